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
        guard length >= 0, let given = datagram.getBytes(at: datagram.readerIndex + length, length: Self.size) else { return nil }
        let expected = tag(of: datagram, length: length)
        guard zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        return datagram.getSlice(at: datagram.readerIndex, length: length)
    }

    /// Bytes `seal` adds: the tag and the padding's count byte.
    public static let sealSize = size + 1

    /// Seals the RTP packet at `start...` of `buffer` for a relay child, in place: the tag goes in
    /// as RTP padding (RFC 3550 section 5.1: the P bit, then the padding's length in its last
    /// byte), after any padding it had, so every receiver that is not a unit simply ignores it.
    /// The tag covers the packet with the P bit set. False when the padding would pass 255 bytes.
    public func seal(_ buffer: inout ByteBuffer, packetAt start: Int) -> Bool {
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return false }
        let end = buffer.writerIndex
        let hadPadding = first & 0x20 != 0
        let before = hadPadding ? Int(buffer.getInteger(at: end - 1, as: UInt8.self) ?? 0) : 0
        // A padding count includes its own byte: 0 is no padding a receiver could skip.
        guard !hadPadding || before >= 1, before + Self.sealSize <= 255 else { return false }
        buffer.setInteger(first | 0x20, at: start)
        let mac = buffer.getSlice(at: start, length: end - start).map { tag(of: $0, length: $0.readableBytes) } ?? []
        buffer.writeBytes(mac)
        buffer.writeInteger(UInt8(before + Self.sealSize))
        return true
    }

    /// The packet as it was before `seal` when the seal is right; nil when it is missing or wrong.
    public func unsealed(_ datagram: ByteBuffer) -> ByteBuffer? {
        let length = datagram.readableBytes - Self.sealSize
        guard length >= 12, let first = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self), first & 0x20 != 0,
            let count = datagram.getInteger(at: datagram.readerIndex + datagram.readableBytes - 1, as: UInt8.self), count >= Self.sealSize,
            let given = datagram.getBytes(at: datagram.readerIndex + length, length: Self.size)
        else { return nil }
        let expected = tag(of: datagram, length: length)
        guard zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0, var packet = datagram.getSlice(at: datagram.readerIndex, length: length) else { return nil }
        if count == Self.sealSize { packet.setInteger(first & ~0x20, at: packet.readerIndex) }  // it had no padding of its own
        return packet
    }

    private func tag(of buffer: ByteBuffer, length: Int) -> [UInt8] {
        buffer.withUnsafeReadableBytes { bytes in
            Array(HMAC<SHA256>.authenticationCode(for: UnsafeRawBufferPointer(rebasing: bytes.prefix(length)), using: SymmetricKey(data: key)).prefix(Self.size))
        }
    }
}
