import Crypto
import NIOCore

/// Proves that a UDP packet of a broadcaster's uplink comes from its session (docs/SECURITY.md):
/// the broadcaster appends an 80-bit tag, HMAC-SHA256 under the session's uplink key over the
/// whole RTP packet, as SRTP's HMAC-SHA1-80 authenticates (RFC 3711 section 4.2); the unit checks
/// it before any policy, budget or feed sees the packet, and strips it. The key is made by the
/// unit for each broadcaster session and given over that session's TCP connection, so a packet
/// from a spoofed source address cannot carry a good tag. (Media stays in the clear: public
/// broadcasting; SRTP's encryption is not needed to prove the sender.)
public struct UplinkTag: Sendable, Equatable {
    public static let size = 10
    public static let keySize = 32

    public let key: [UInt8]

    public init?(key: [UInt8]) {
        guard key.count == Self.keySize else { return nil }
        self.key = key
    }

    /// A fresh key from the system's random source.
    public static func random() -> UplinkTag {
        var generator = SystemRandomNumberGenerator()
        return UplinkTag(key: (0..<keySize).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    /// As text in `SessionOpened`.
    public var text: String { Base64URL.encode(key) }

    public init?(text: String) {
        guard let bytes = Base64URL.decode(text) else { return nil }
        self.init(key: bytes)
    }

    /// The packet with its tag appended.
    public func tagged(_ packet: ByteBuffer) -> ByteBuffer {
        var out = packet
        out.writeBytes(tag(of: packet, length: packet.readableBytes))
        return out
    }

    /// The packet without its tag when the tag is right; nil when it is missing or wrong.
    public func verified(_ datagram: ByteBuffer) -> ByteBuffer? {
        let length = datagram.readableBytes - Self.size
        guard length > 0, let given = datagram.getBytes(at: datagram.readerIndex + length, length: Self.size) else { return nil }
        let expected = tag(of: datagram, length: length)
        guard zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        return datagram.getSlice(at: datagram.readerIndex, length: length)
    }

    private func tag(of buffer: ByteBuffer, length: Int) -> [UInt8] {
        buffer.withUnsafeReadableBytes { bytes in
            Array(HMAC<SHA256>.authenticationCode(for: UnsafeRawBufferPointer(rebasing: bytes.prefix(length)), using: SymmetricKey(data: key)).prefix(Self.size))
        }
    }
}
