import ArgumentParser
import Media
import Wire

/// `broadcaster`: opens a live channel from this PC's camera and sound card (`live`, the
/// default), lists the devices (`devices`) and tries them without going on the air (`preview`).
@main
struct BroadcasterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcaster",
        abstract: "Go live from this PC's camera and sound card, or from a file.",
        discussion: """
            With no command, goes live: broadcaster --title "My channel" uses /dev/video0 and the ALSA \
            default device (broadcaster live --help lists every flag). broadcaster devices lists the \
            cameras and sound cards to choose from; broadcaster preview tries them without going on the air.

            \(exitCodes)
            """,
        version: "protocol \(Hello.currentVersion); \(MediaLibraries.summary)",
        subcommands: [LiveCommand.self, DevicesCommand.self, PreviewCommand.self],
        defaultSubcommand: LiveCommand.self
    )

    static let exitCodes = """
        Exit codes: 0 done, 64 bad flags, 65 unsupported format or bad file, 66 no such device or file, \
        69 no server answered or the cluster refused, 70 codec failure, 74 device failed, 77 no \
        permission for the device.
        """
}
