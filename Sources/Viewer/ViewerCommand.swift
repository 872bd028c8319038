import ArgumentParser
import Media
import Wire

/// `viewer`: watch a channel in the terminal, or load-test a cluster with many emulated viewers.
@main
struct ViewerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "viewer",
        abstract: "Watch a live channel in the terminal, or load-test the cluster.",
        version: "protocol \(Hello.currentVersion); \(MediaLibraries.summary)",
        subcommands: [WatchCommand.self, LoadCommand.self],
        defaultSubcommand: WatchCommand.self
    )
}
