import NIOCore

/// One RFC 4571 frame of a client session: RTP media or a session message. RTP always starts with
/// a byte in 128...191 (version 2); a session message is a JSON object and starts with `{`.
public enum SessionFrame: Equatable, Sendable {
    case media(ByteBuffer)
    case message(SessionMessage)

    public init(frame: ByteBuffer) throws {
        guard let first = frame.getInteger(at: frame.readerIndex, as: UInt8.self) else {
            throw WireError.malformedControlMessage("empty frame on a session")
        }
        if first & 0xC0 == 0x80 {
            self = .media(frame)
        } else {
            self = .message(try ControlCoder.decode(SessionMessage.self, from: frame))
        }
    }

    /// Appends the frame, with its RFC 4571 length, to `buffer`.
    public func write(to buffer: inout ByteBuffer) throws {
        switch self {
        case .media(let packet): try LengthPrefixedFramer.rfc4571.write(packet, to: &buffer)
        case .message(let message): try LengthPrefixedFramer.rfc4571.write(bytes: ControlCoder.encode(message), to: &buffer)
        }
    }
}
