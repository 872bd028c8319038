import NIOCore

/// Splits a TCP byte stream into frames that each start with a big-endian length.
/// RFC 4571 (RTP over TCP) uses a 16-bit length; control links use a 32-bit length and a cap, so a
/// peer can never make the reader wait for, or buffer, more than the cap.
public struct LengthPrefixedFramer: Sendable {
    /// Width of the length field.
    public enum LengthField: Int, Sendable {
        case twoBytes = 2
        case fourBytes = 4
    }

    public let lengthField: LengthField
    public let maxFrameSize: Int

    public init(lengthField: LengthField, maxFrameSize: Int) {
        self.lengthField = lengthField
        self.maxFrameSize = lengthField == .twoBytes ? min(maxFrameSize, Int(UInt16.max)) : maxFrameSize
    }

    /// RFC 4571 framing: client-unit sessions, where RTP and session messages share one stream.
    public static let rfc4571 = LengthPrefixedFramer(lengthField: .twoBytes, maxFrameSize: Int(UInt16.max))
    /// Control links between units, CSMs and web servers.
    public static let control = LengthPrefixedFramer(lengthField: .fourBytes, maxFrameSize: 1 << 20)

    /// Takes the next whole frame off the front of `buffer`, or returns nil and leaves `buffer`
    /// untouched when more bytes are needed. Throws as soon as a length over the cap (or over
    /// `limit`, when lower) is seen.
    public func nextFrame(from buffer: inout ByteBuffer, limit: Int? = nil) throws -> ByteBuffer? {
        let maxFrameSize = min(maxFrameSize, limit ?? .max)
        let length: Int
        switch lengthField {
        case .twoBytes:
            guard let value = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) else { return nil }
            length = Int(value)
        case .fourBytes:
            guard let value = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
            length = Int(value)
        }
        guard length <= maxFrameSize else { throw WireError.frameTooLarge(size: length, limit: maxFrameSize) }
        guard buffer.readableBytes >= lengthField.rawValue + length else { return nil }
        buffer.moveReaderIndex(forwardBy: lengthField.rawValue)
        return buffer.readSlice(length: length)
    }

    /// Appends `frame` with its length prefix.
    public func write(_ frame: ByteBuffer, to buffer: inout ByteBuffer) throws {
        try writeLength(frame.readableBytes, to: &buffer)
        buffer.writeImmutableBuffer(frame)
    }

    /// Appends `frame` with its length prefix.
    public func write(bytes frame: some Collection<UInt8>, to buffer: inout ByteBuffer) throws {
        try writeLength(frame.count, to: &buffer)
        buffer.writeBytes(frame)
    }

    /// Appends a length prefix for a frame the caller writes next (to build a frame in place).
    public func writeLength(_ length: Int, to buffer: inout ByteBuffer) throws {
        guard length <= maxFrameSize else { throw WireError.frameTooLarge(size: length, limit: maxFrameSize) }
        switch lengthField {
        case .twoBytes: buffer.writeInteger(UInt16(length))
        case .fourBytes: buffer.writeInteger(UInt32(length))
        }
    }
}
