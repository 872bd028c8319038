/// A random secret a unit hands a client over its authenticated TCP session; the client proves it
/// owns a UDP address by sending it back from there (`BindDatagram`).
public struct BindToken: Equatable, Hashable, Sendable, Codable {
    public static let size = 16
    public let bytes: [UInt8]

    /// Pads or cuts to `size` bytes so a token always has its fixed width.
    public init(bytes: [UInt8]) {
        self.bytes = Array((bytes + [UInt8](repeating: 0, count: Self.size)).prefix(Self.size))
    }

    /// A fresh token from the system's random source.
    public static func random() -> BindToken {
        var generator = SystemRandomNumberGenerator()
        return BindToken(bytes: (0..<size).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Compares in time independent of where the tokens differ.
    public func matches(_ other: BindToken) -> Bool {
        zip(bytes, other.bytes).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = Base64URL.decode(text), bytes.count == Self.size else {
            throw WireError.malformedControlMessage("bind token must be \(Self.size) bytes in base64url")
        }
        self.init(bytes: bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Base64URL.encode(bytes))
    }
}
