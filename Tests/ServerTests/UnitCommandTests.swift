import Foundation
import Testing
import Wire

@testable import Server

@Suite struct UnitCommandTests {
    static var sample: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples/unit.json").standardized.path
    }

    @Test func flagsWinOverTheSettingsFileWhichWinsOverDefaults() throws {
        let command = try UnitCommand.parse(["--config", Self.sample, "--groups", "7", "--csm", "127.0.0.1:9000"])
        let (configuration, adminPort) = try command.settings()
        #expect(configuration.unit == 2)
        #expect(configuration.groupsPerUnit == 7)
        #expect(configuration.groupCapacity == 10)
        #expect(configuration.publicHost == "10.0.0.12")
        #expect(configuration.csmAddresses == ["127.0.0.1:9000"])
        #expect(adminPort == 7102)
        let defaults = try UnitCommand.parse([]).settings().configuration
        #expect(defaults.unit == 1 && defaults.sessionPort == 7100 && defaults.groupsPerUnit == 50)
    }

    @Test func badSettingsSayWhatIsWrong() {
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--config", "/nonexistent.json"]) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--capacity", "0"]) }
        #expect(throws: (any Error).self) { try UnitCommand.parse(["--csm", "nohostport"]) }
        #expect(UnitCommand.message(for: SettingsError("x")).contains("x"))
    }
}
