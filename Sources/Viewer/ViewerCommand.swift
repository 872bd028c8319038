import ArgumentParser
import Media
import Wire

/// `viewer`: watches a live channel in the terminal, or emulates many viewers for load tests.
@main
struct ViewerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viewer",
        abstract: "Watch a live channel in the terminal, or emulate many viewers.",
        version: "protocol \(Hello.currentVersion); \(MediaLibraries.summary)"
    )

    func run() throws {
        print("viewer, protocol version \(Hello.currentVersion), linked with \(MediaLibraries.summary)")
        print("Watching and load testing arrive with the viewer's own release; see README.md.")
    }
}
