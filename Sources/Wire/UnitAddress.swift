/// Where clients reach a unit: its TCP session port and its UDP media port.
public struct UnitAddress: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var unit: UnitID
    public var host: String
    public var sessionPort: Int
    public var mediaPort: Int

    public init(unit: UnitID, host: String, sessionPort: Int, mediaPort: Int) {
        self.unit = unit
        self.host = host
        self.sessionPort = sessionPort
        self.mediaPort = mediaPort
    }

    public var description: String { "unit \(unit) at \(host):\(sessionPort) (media udp \(mediaPort))" }
}
