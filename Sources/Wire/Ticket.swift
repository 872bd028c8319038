import NIOCore

/// The CSM's permission for one client to open a session in one group of one unit, for a short
/// time. Signed with HMAC-SHA256 by `TicketSigner`; the nonce lets a unit refuse a replay.
public struct Ticket: Equatable, Hashable, Sendable {
    static let formatVersion: UInt8 = 1
    /// Bytes of the signed fields.
    static let bodySize = 1 + 1 + 4 + 2 + 2 + 8 + 8

    public var channel: ChannelID
    public var group: GroupID
    public var role: TicketRole
    public var unit: UnitID
    /// Milliseconds since the Unix epoch after which the ticket is refused.
    public var expiresAtMilliseconds: UInt64
    public var nonce: UInt64

    public init(
        channel: ChannelID, group: GroupID, role: TicketRole, unit: UnitID, expiresAtMilliseconds: UInt64,
        nonce: UInt64 = .random(in: .min ... .max)
    ) {
        self.channel = channel
        self.group = group
        self.role = role
        self.unit = unit
        self.expiresAtMilliseconds = expiresAtMilliseconds
        self.nonce = nonce
    }

    /// The fields in their signed byte order.
    public var body: [UInt8] {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(Self.bodySize)
        buffer.writeInteger(Self.formatVersion)
        buffer.writeInteger(role.rawValue)
        buffer.writeInteger(channel.rawValue)
        buffer.writeInteger(group.rawValue)
        buffer.writeInteger(unit.rawValue)
        buffer.writeInteger(expiresAtMilliseconds)
        buffer.writeInteger(nonce)
        return Array(buffer.readableBytesView)
    }

    /// Reads the fields back from `body`.
    init(body: some Collection<UInt8>) throws {
        var buffer = ByteBuffer(bytes: body)
        guard buffer.readableBytes == Self.bodySize, let version = buffer.readInteger(as: UInt8.self),
            let roleValue = buffer.readInteger(as: UInt8.self), let channel = buffer.readInteger(as: UInt32.self),
            let group = buffer.readInteger(as: UInt16.self), let unit = buffer.readInteger(as: UInt16.self),
            let expiry = buffer.readInteger(as: UInt64.self), let nonce = buffer.readInteger(as: UInt64.self)
        else { throw WireError.malformedTicket("the signed part must be \(Self.bodySize) bytes") }
        guard version == Self.formatVersion else { throw WireError.malformedTicket("format version \(version) is unknown") }
        guard let role = TicketRole(rawValue: roleValue) else { throw WireError.malformedTicket("role \(roleValue) is unknown") }
        self.init(
            channel: ChannelID(channel), group: GroupID(group), role: role, unit: UnitID(unit),
            expiresAtMilliseconds: expiry, nonce: nonce)
    }
}
