import NIOCore

/// The UDP exchange that proves an address belongs to a session before a unit sends it media, so a
/// unit can never be used to reflect traffic at a third party. Its first byte (1 or 2) can never
/// start an RTP packet (128...191, RFC 7983 section 7).
///
/// The client sends a request with its session id and the bind token the unit gave it over the
/// authenticated TCP session; the unit answers with a reply that is smaller than the request, so
/// the exchange cannot amplify. Clients repeat the request as their UDP keepalive.
public enum BindDatagram: Equatable, Sendable {
    case request(session: SessionID, token: BindToken)
    case reply(session: SessionID)

    static let version: UInt8 = 1
    static let requestType: UInt8 = 1
    static let replyType: UInt8 = 2
    /// Bytes of a request on the wire.
    public static let requestSize = 2 + 8 + BindToken.size
    /// Bytes of a reply on the wire.
    public static let replySize = 2 + 8

    /// Whether a datagram's first byte says it is a bind datagram rather than RTP.
    public static func isBindDatagram(firstByte: UInt8) -> Bool {
        firstByte == requestType || firstByte == replyType
    }

    public init(parsing datagram: ByteBuffer) throws {
        var buffer = datagram
        guard let type = buffer.readInteger(as: UInt8.self), let version = buffer.readInteger(as: UInt8.self) else {
            throw WireError.truncated(what: "bind datagram", needed: 2, available: datagram.readableBytes)
        }
        guard version == Self.version else {
            throw WireError.versionMismatch(ours: Int(Self.version), theirs: Int(version))
        }
        switch type {
        case Self.requestType:
            guard datagram.readableBytes == Self.requestSize, let session = buffer.readInteger(as: UInt64.self),
                let token = buffer.readBytes(length: BindToken.size)
            else {
                throw WireError.invalidBindDatagram("a request is exactly \(Self.requestSize) bytes, got \(datagram.readableBytes)")
            }
            self = .request(session: SessionID(session), token: BindToken(bytes: token))
        case Self.replyType:
            guard datagram.readableBytes == Self.replySize, let session = buffer.readInteger(as: UInt64.self) else {
                throw WireError.invalidBindDatagram("a reply is exactly \(Self.replySize) bytes, got \(datagram.readableBytes)")
            }
            self = .reply(session: SessionID(session))
        default:
            throw WireError.invalidBindDatagram("unknown type \(type)")
        }
    }

    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .request(let session, let token):
            buffer.writeInteger(Self.requestType)
            buffer.writeInteger(Self.version)
            buffer.writeInteger(session.rawValue)
            buffer.writeBytes(token.bytes)
        case .reply(let session):
            buffer.writeInteger(Self.replyType)
            buffer.writeInteger(Self.version)
            buffer.writeInteger(session.rawValue)
        }
    }

    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.requestSize)
        write(to: &buffer)
        return buffer
    }
}
