import ArgumentParser
import Foundation

/// `avserver`: the server roles of the cluster (the executable's whole `main` runs this).
public struct AVServer: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "avserver",
        abstract: "Cluster A/V server for personal live broadcasting.",
        subcommands: [AllCommand.self, CSMCommand.self, UnitCommand.self, WebCommand.self, AdminCommand.self, KeygenCommand.self]
    )

    public init() {}

    /// Runs the command line, a server role's settings file and environment read into it first
    /// (`SettingsSources`).
    public static func main() async {
        do {
            await main(try SettingsSources.expanded(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
        } catch {
            exit(withError: error)
        }
    }
}
