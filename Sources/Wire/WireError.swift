/// Everything the Wire decoders and the ticket checks can reject. Each description says what was
/// wrong and what the sender should do about it.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the structure needs.
    case truncated(what: String, needed: Int, available: Int)
    /// An RTP packet whose version field is not 2.
    case unsupportedRTPVersion(UInt8)
    /// A padding count larger than the payload it claims to pad, or zero.
    case invalidPadding(count: Int, available: Int)
    /// An RFC 8285 header extension that breaks its own rules.
    case invalidHeaderExtension(String)
    /// A length-prefixed frame over the configured cap.
    case frameTooLarge(size: Int, limit: Int)
    /// A VP8 payload descriptor (RFC 7741) that cannot be read.
    case invalidVP8Payload(String)
    /// An Opus payload (RFC 7587) that cannot be read.
    case invalidOpusPayload(String)
    /// A control frame that is not a message of the expected conversation.
    case malformedControlMessage(String)
    /// A peer speaking another protocol version.
    case versionMismatch(ours: Int, theirs: Int)
    /// The first frame of a connection was not a hello.
    case expectedHello
    /// A ticket that is not a ticket at all (wrong length, encoding or format).
    case malformedTicket(String)
    /// A ticket whose signature does not verify: forged, altered or signed with another key.
    case ticketSignatureInvalid
    /// A ticket past its expiry.
    case ticketExpired(expiredAtMilliseconds: UInt64, nowMilliseconds: UInt64)
    /// A ticket issued for another unit.
    case ticketForAnotherUnit(ticketUnit: UnitID, thisUnit: UnitID)
    /// A UDP datagram that starts like a bind datagram but is not one.
    case invalidBindDatagram(String)
    /// A control link whose peer did not prove the cluster key.
    case linkNotAuthenticated(String)
    /// A number from the network outside the range that makes sense for it.
    case outOfRange(field: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case .truncated(let what, let needed, let available):
            return "\(what) is truncated: needs \(needed) bytes, got \(available); the sender must send whole packets"
        case .unsupportedRTPVersion(let version):
            return "RTP version \(version) is not supported; only version 2 (RFC 3550) is accepted"
        case .invalidPadding(let count, let available):
            return "RTP padding count \(count) does not fit the \(available) bytes after the header; the packet is corrupt"
        case .invalidHeaderExtension(let why):
            return "RTP header extension is invalid (RFC 8285): \(why)"
        case .frameTooLarge(let size, let limit):
            return "frame of \(size) bytes exceeds the limit of \(limit) bytes; send smaller messages"
        case .invalidVP8Payload(let why):
            return "VP8 payload is invalid (RFC 7741): \(why)"
        case .invalidOpusPayload(let why):
            return "Opus payload is invalid (RFC 7587): \(why)"
        case .malformedControlMessage(let why):
            return "control message is malformed: \(why)"
        case .versionMismatch(let ours, let theirs):
            return "protocol version mismatch: this side speaks version \(ours), the peer speaks version \(theirs); run the same release on both sides"
        case .expectedHello:
            return "the first frame of a connection must be a hello; connect with a matching client"
        case .malformedTicket(let why):
            return "ticket is malformed (\(why)); ask the web server for a new ticket"
        case .ticketSignatureInvalid:
            return "ticket signature is invalid; ask the web server for a new ticket"
        case .ticketExpired(let expiredAt, let now):
            return "ticket expired \(Double(now &- expiredAt) / 1000) s ago; ask the web server for a new ticket"
        case .ticketForAnotherUnit(let ticketUnit, let thisUnit):
            return "ticket is for unit \(ticketUnit), this is unit \(thisUnit); connect to the unit the ticket names"
        case .invalidBindDatagram(let why):
            return "bind datagram is invalid: \(why)"
        case .linkNotAuthenticated(let why):
            return "control link not authenticated: \(why)"
        case .outOfRange(let field, let value, let allowed):
            return "\(field) is \(value), outside \(allowed); the message was refused"
        }
    }
}
