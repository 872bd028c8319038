import Foundation
import NIOCore
import Testing
import Wire

@testable import Server

@Suite struct UnitCommandTests {
    static var sample: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples/unit.json").standardized.path
    }

    /// A fresh cluster key in a file, as `avserver keygen > FILE` writes it.
    static func keyFile() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString).key").path
        try (Secret.generate() + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A file holding unit `unit`'s credential, made from a fresh cluster key.
    static func credentialFile(unit: UInt16) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString).key").path
        try (ClusterKeys(clusterKey: Secret.generate()).credential(for: UnitID(unit)).text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func flagsWinOverTheSettingsFileWhichWinsOverDefaults() throws {
        let key = try Self.credentialFile(unit: 2)
        defer { try? FileManager.default.removeItem(atPath: key) }
        let command = try UnitCommand.parse(SettingsSources.layered(["--config", Self.sample, "--groups", "7", "--csm", "127.0.0.1:9000", "--secret-file", key], role: "unit"))
        let (configuration, adminPort) = try command.settings()
        #expect(configuration.unit == 2)
        #expect(configuration.groupsPerUnit == 7)
        #expect(configuration.groupCapacity == 10)
        #expect(configuration.publicHost == "10.0.0.12")
        #expect(configuration.csmAddresses == ["127.0.0.1:9000"])
        #expect(adminPort == 7102)
        #expect(configuration.threads == 4)
        let defaults = try UnitCommand.parse([]).settings().configuration
        #expect(defaults.unit == 1 && defaults.sessionPort == 7100 && defaults.groupsPerUnit == 50)
        #expect(defaults.threads == System.coreCount)
    }

    @Test func theEnvironmentComesBetweenTheFileAndTheFlagsThroughTheSameFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString).json").path
        try #"{"session-port": 7200, "mediaPort": 7201, "tcpBatchMilliseconds": 10, "csm": ["10.0.0.1:7000", "10.0.0.2:7000"], "groups": 5}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let environment = ["AVSERVER_UNIT_MEDIA_PORT": "7301", "AVSERVER_UNIT_GROUPS": "6", "AVSERVER_CSM_GROUPS": "99", "AVCLUSTER_SECRET": "x"]
        let arguments = try SettingsSources.layered(["--config", file, "--groups", "7"], role: "unit", environment: environment)
        let configuration = try UnitCommand.parse(arguments).settings().configuration
        #expect(configuration.sessionPort == 7200, "the file's, under the flag's own name")
        #expect(configuration.mediaPort == 7301, "the environment's over the file's")
        #expect(configuration.groupsPerUnit == 7, "the flag's over both")
        #expect(configuration.tcpBatchInterval == .milliseconds(10), "a key of earlier releases still reads")
        #expect(configuration.csmAddresses == ["10.0.0.1:7000", "10.0.0.2:7000"])
        let replaced = try SettingsSources.layered(["--config", file, "--csm", "10.0.0.3:7000"], role: "unit")
        #expect(try UnitCommand.parse(replaced).settings().configuration.csmAddresses == ["10.0.0.3:7000"], "a list on the command line replaces the file's")
        // A flag without a value, and a key that names no flag.
        let backup = try SettingsSources.layered(["--peer", "127.0.0.1:7002"], role: "csm", environment: ["AVSERVER_CSM_BACKUP": "true"])
        #expect(try CSMCommand.parse(backup).csmConfiguration().startAsBackup)
        let mistyped = try SettingsSources.layered([], role: "unit", environment: ["AVSERVER_UNIT_SESION_PORT": "1"])
        #expect(throws: (any Error).self) { try UnitCommand.parse(mistyped) }
        try #"{"groups": {"a": 1}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: SettingsError.self) { try SettingsSources.layered(["--config", file], role: "unit") }
    }

    @Test func badSettingsSayWhatIsWrong() {
        #expect(throws: (any Error).self) { try UnitCommand.parse(SettingsSources.layered(["--config", "/nonexistent.json"], role: "unit")) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--capacity", "0"]) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--threads", "0"]) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--csm", "nohostport"]) }
        #expect(UnitCommand.message(for: SettingsError("x")).contains("x"))
    }

    @Test func offLoopbackTheBuiltInSecretsAreRefused() throws {
        // The sample binds 0.0.0.0 and names a key file that is not there.
        #expect(throws: (any Error).self) { try UnitCommand.parse(SettingsSources.layered(["--config", Self.sample], role: "unit")) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--bind", "0.0.0.0"]) }
        #expect(throws: (any Error).self) { try CSMCommand.parse(["--bind", "10.0.0.1"]) }
        #expect(throws: (any Error).self) { try WebCommand.parse(["--bind", "0.0.0.0"]) }
        // Loopback is what the name resolves to, not how it is spelled.
        #expect(throws: (any Error).self) { try CSMCommand.parse(["--bind", "127.attacker.invalid"]) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--bind", "127.0.0.1.nip.invalid"]) }
        #expect(Secret.isLoopback("localhost") && Secret.isLoopback("127.0.0.1") && Secret.isLoopback("127.3.4.5") && Secret.isLoopback("::1"))
        #expect(!Secret.isLoopback("0.0.0.0") && !Secret.isLoopback("::") && !Secret.isLoopback("10.0.0.1"))
        let short = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID().uuidString).key").path
        try "short".write(toFile: short, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: short) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--bind", "0.0.0.0", "--secret-file", short]) }
        // A good key off loopback, and the built-in one on loopback, are fine.
        let key = try Self.keyFile()
        defer { try? FileManager.default.removeItem(atPath: key) }
        let tokenFile = try Self.keyFile()
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        // Off loopback a unit takes its own credential, made from the cluster key, not the key itself.
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--bind", "0.0.0.0", "--secret-file", key]) }
        let clusterKey = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let credential = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString).key").path
        try ClusterKeys(clusterKey: clusterKey).credential(for: 3).text.write(toFile: credential, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: credential) }
        #expect(try UnitCommand.parse(["--bind", "0.0.0.0", "--id", "3", "--secret-file", credential]).settings().configuration.credential.unit == 3)
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--bind", "0.0.0.0", "--id", "4", "--secret-file", credential]) }
        _ = try CSMCommand.parse(["--bind", "0.0.0.0", "--secret-file", key, "--admin-token-file", tokenFile])
        _ = try UnitCommand.parse([])
    }
}
