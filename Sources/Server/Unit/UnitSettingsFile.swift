import Foundation

/// A unit's settings as a JSON file (`avserver unit --config FILE`): every key optional, named
/// like the long flags; a flag given on the command line wins over the file.
struct UnitSettingsFile: Codable, Equatable, Sendable {
    var id: UInt16?
    var host: String?
    var bind: String?
    var sessionPort: Int?
    var mediaPort: Int?
    /// A port number as text, or "off".
    var webSocketPort: String?
    var webSocketPublicPort: Int?
    var adminPort: Int?
    var adminBind: String?
    var groups: Int?
    var capacity: Int?
    var feedPackets: Int?
    var lagThreshold: Int?
    var threads: Int?
    var tcpBatchMilliseconds: Int?
    var maxLoopDelayMilliseconds: Int?
    var csm: [String]?
    /// A file holding the cluster key (never the key itself: settings files get copied around).
    var secretFile: String?
    var sessionsPerAddress: Int?
    var maxPacketBytes: Int?
    var maxChannelKbps: Int?
    var heartbeatMilliseconds: Int?

    static func load(_ path: String) throws -> UnitSettingsFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("cannot read \(path); check the path given to --config")
        }
        do {
            return try JSONDecoder().decode(UnitSettingsFile.self, from: data)
        } catch {
            throw SettingsError("\(path) is not a valid unit settings file (\(error)); see samples/unit.json")
        }
    }
}

/// A settings file that cannot be used, with what to do.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
