import ArgumentParser

/// `viewer load`: many emulated viewers in one process.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Run many emulated viewers of one channel and report.")

    func run() async throws {}
}
