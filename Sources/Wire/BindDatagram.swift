import NIOCore

/// The UDP exchange that proves an address belongs to a session, and that it can hear the unit,
/// before a unit sends it media: a unit can never be used to reflect traffic at a third party.
/// Its first byte (1, 2 or 3) can never start an RTP packet (128...191, RFC 7983 section 7).
///
/// The client sends a request with its session id, the bind token the unit gave it over the
/// authenticated TCP session, and the last cookie the unit sent it (none at first). A request
/// without a good cookie for its source address gets a `challenge` with a fresh one, and nothing
/// else; one with a good cookie binds the address (media starts) and gets `bound`, again with a
/// fresh cookie. Both replies are smaller than the request, so the exchange cannot amplify, and a
/// spoofed source gets one small challenge it never answers. Clients repeat the request, with the
/// newest cookie, as their UDP keepalive.
public enum BindDatagram: Equatable, Sendable {
    case request(session: SessionID, token: BindToken, cookie: BindCookie)
    /// `bound`: the address is proven and media flows there; otherwise a challenge to echo.
    case reply(session: SessionID, cookie: BindCookie, bound: Bool)

    static let version: UInt8 = 2
    static let requestType: UInt8 = 1
    static let challengeType: UInt8 = 2
    static let boundType: UInt8 = 3
    /// Bytes of a request on the wire.
    public static let requestSize = 2 + 8 + BindToken.size + BindCookie.size
    /// Bytes of a reply on the wire.
    public static let replySize = 2 + 8 + BindCookie.size

    /// Whether a datagram's first byte says it is a bind datagram rather than RTP.
    public static func isBindDatagram(firstByte: UInt8) -> Bool {
        (requestType...boundType).contains(firstByte)
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
                let token = buffer.readBytes(length: BindToken.size), let cookie = buffer.readBytes(length: BindCookie.size)
            else {
                throw WireError.invalidBindDatagram("a request is exactly \(Self.requestSize) bytes, got \(datagram.readableBytes)")
            }
            self = .request(session: SessionID(session), token: BindToken(bytes: token), cookie: BindCookie(bytes: cookie))
        case Self.challengeType, Self.boundType:
            guard datagram.readableBytes == Self.replySize, let session = buffer.readInteger(as: UInt64.self),
                let cookie = buffer.readBytes(length: BindCookie.size)
            else {
                throw WireError.invalidBindDatagram("a reply is exactly \(Self.replySize) bytes, got \(datagram.readableBytes)")
            }
            self = .reply(session: SessionID(session), cookie: BindCookie(bytes: cookie), bound: type == Self.boundType)
        default:
            throw WireError.invalidBindDatagram("unknown type \(type)")
        }
    }

    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .request(let session, let token, let cookie):
            buffer.writeInteger(Self.requestType)
            buffer.writeInteger(Self.version)
            buffer.writeInteger(session.rawValue)
            buffer.writeBytes(token.bytes)
            buffer.writeBytes(cookie.bytes)
        case .reply(let session, let cookie, let bound):
            buffer.writeInteger(bound ? Self.boundType : Self.challengeType)
            buffer.writeInteger(Self.version)
            buffer.writeInteger(session.rawValue)
            buffer.writeBytes(cookie.bytes)
        }
    }

    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.requestSize)
        write(to: &buffer)
        return buffer
    }
}
