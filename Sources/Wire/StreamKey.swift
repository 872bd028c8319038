import Crypto
import NIOCore

/// What a publisher (OBS, ffmpeg, a phone) is given to go live with: a key that lasts, made by the
/// CSMs for a channel title and signed with their ticket key, so a unit that takes an RTMP or SRT
/// connection can refuse a forged or garbled key at once with the public key it already holds,
/// without a database. Revocation is the portal's: a key is named by its `id`, and the CSM asked
/// to open its channel checks the list.
public struct StreamKey: Equatable, Sendable {
    static let formatVersion: UInt8 = 1
    /// What every stream key's text starts with: a user who pastes one in the wrong field sees it.
    public static let prefix = "avk_"
    /// Signed apart from tickets: no ticket's signature is a stream key's.
    static let domain = Array("avcluster stream key v1".utf8)
    /// The longest key text taken: a version, id, time, flags, a title of 120 bytes and a signature, in base64url.
    public static let maxTextBytes = 400

    public var id: UInt64
    /// The title of the channel it opens.
    public var title: String
    public var record: Bool
    public var issuedAtMilliseconds: UInt64

    /// Ids stay below 2^53, so a browser's JSON numbers hold them exactly (the dashboard's revoke).
    public static let ids: ClosedRange<UInt64> = 1...(1 << 53) - 1

    public init(id: UInt64 = .random(in: StreamKey.ids), title: String, record: Bool = false, issuedAtMilliseconds: UInt64) {
        self.id = id
        // Cut at a character, never inside one.
        var kept = ""
        for character in title {
            guard kept.utf8.count + character.utf8.count <= OpenChannelRequest.maxTitleLength else { break }
            kept.append(character)
        }
        self.title = kept
        self.record = record
        self.issuedAtMilliseconds = issuedAtMilliseconds
    }

    /// The fields in their signed byte order.
    var body: [UInt8] {
        let title = Array(title.utf8)
        var buffer = ByteBuffer()
        buffer.writeInteger(Self.formatVersion)
        buffer.writeInteger(id)
        buffer.writeInteger(issuedAtMilliseconds)
        buffer.writeInteger(UInt8(record ? 1 : 0))
        buffer.writeInteger(UInt8(title.count))
        buffer.writeBytes(title)
        return Array(buffer.readableBytesView)
    }

    init(body: some Collection<UInt8>) throws {
        var buffer = ByteBuffer(bytes: body)
        guard let version = buffer.readInteger(as: UInt8.self), version == Self.formatVersion, let id = buffer.readInteger(as: UInt64.self),
            let issued = buffer.readInteger(as: UInt64.self), let flags = buffer.readInteger(as: UInt8.self), flags <= 1,
            let length = buffer.readInteger(as: UInt8.self), Int(length) == buffer.readableBytes, length <= OpenChannelRequest.maxTitleLength,
            let title = buffer.readString(length: Int(length))
        else { throw WireError.malformedTicket("not a stream key of format \(Self.formatVersion)") }
        self.init(id: id, title: title, record: flags == 1, issuedAtMilliseconds: issued)
    }
}

extension TicketSigner {
    /// The key as text to paste into OBS's "Stream Key".
    public func sign(_ key: StreamKey) -> String {
        let body = key.body
        return StreamKey.prefix + Base64URL.encode(body + signature(for: StreamKey.domain + body))
    }
}

extension TicketVerifier {
    /// The key a publisher gave, if the CSMs made it.
    public func verify(streamKey text: String) throws -> StreamKey {
        guard text.hasPrefix(StreamKey.prefix), text.utf8.count <= StreamKey.maxTextBytes, let bytes = Base64URL.decode(String(text.dropFirst(StreamKey.prefix.count))),
            bytes.count > Self.signatureSize
        else { throw WireError.malformedTicket("not a stream key: they start with \(StreamKey.prefix); copy it again from the portal") }
        let body = bytes.dropLast(Self.signatureSize)
        guard isValidSignature(Array(bytes.suffix(Self.signatureSize)), for: StreamKey.domain + Array(body)) else { throw WireError.ticketSignatureInvalid }
        return try StreamKey(body: body)
    }
}
