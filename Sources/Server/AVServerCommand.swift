import ArgumentParser

/// `avserver`: the server roles of the cluster (the executable's whole `main` runs this).
public struct AVServer: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "avserver",
        abstract: "Cluster A/V server for personal live broadcasting.",
        subcommands: [AllCommand.self, CSMCommand.self, UnitCommand.self, WebCommand.self, AdminCommand.self, KeygenCommand.self]
    )

    public init() {}
}
