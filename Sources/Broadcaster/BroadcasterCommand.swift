import ArgumentParser
import Media
import Wire

/// `broadcaster`: opens a live channel from this PC's camera and sound card.
@main
struct BroadcasterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcaster",
        abstract: "Open a live channel from this PC's camera and sound card.",
        version: "protocol \(Hello.currentVersion); \(MediaLibraries.summary)"
    )

    func run() throws {
        print("broadcaster, protocol version \(Hello.currentVersion), linked with \(MediaLibraries.summary)")
        print("Capture and sending arrive with the broadcaster's own release; see README.md.")
    }
}
