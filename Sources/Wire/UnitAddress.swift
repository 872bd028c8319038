/// Where clients reach a unit: its TCP session port, its UDP media port, and the port where
/// browsers open the same sessions over WebSocket and where RTMP publishers (OBS, ffmpeg)
/// connect (each nil where the unit serves none).
public struct UnitAddress: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    public var unit: UnitID
    public var host: String
    public var sessionPort: Int
    public var mediaPort: Int
    public var webSocketPort: Int?
    public var rtmpPort: Int?

    public init(unit: UnitID, host: String, sessionPort: Int, mediaPort: Int, webSocketPort: Int? = nil, rtmpPort: Int? = nil) {
        self.unit = unit
        self.host = host
        self.sessionPort = sessionPort
        self.mediaPort = mediaPort
        self.webSocketPort = webSocketPort
        self.rtmpPort = rtmpPort
    }

    public var description: String { "unit \(unit) at \(host):\(sessionPort) (media udp \(mediaPort))" }
}
