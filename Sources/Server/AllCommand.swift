import ArgumentParser

/// `avserver all`: the whole cluster in one process, with embedded defaults.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run the whole cluster on this machine with embedded defaults."
    )

    func run() async throws {
        print("avserver all")
    }
}
