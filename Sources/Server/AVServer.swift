import ArgumentParser

/// `avserver`: the server roles of the cluster.
@main
struct AVServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "avserver",
        abstract: "Cluster A/V server for personal live broadcasting.",
        subcommands: [AllCommand.self, CSMCommand.self, UnitCommand.self, WebCommand.self, AdminCommand.self, KeygenCommand.self]
    )
}
