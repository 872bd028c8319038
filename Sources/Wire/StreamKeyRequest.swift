/// Asking for a stream key (the portal's form, `avserver admin stream-key`): the title of the
/// channel it opens, and whether that channel is recorded.
public struct StreamKeyRequest: Codable, Equatable, Sendable {
    public var title: String
    public var record: Bool

    public init(title: String, record: Bool = false) {
        self.title = title
        self.record = record
    }
}

/// A new stream key: shown once (only its id is kept anywhere), with what to paste into OBS.
public struct StreamKeyResponse: Codable, Equatable, Sendable {
    public var id: UInt64
    /// The text to paste into OBS's "Stream Key" (or to end an rtmp:// or srt:// URL with).
    public var key: String
    public var title: String
    public var record: Bool
    public var issuedAtMilliseconds: UInt64

    public init(id: UInt64, key: String, title: String, record: Bool, issuedAtMilliseconds: UInt64) {
        self.id = id
        self.key = key
        self.title = title
        self.record = record
        self.issuedAtMilliseconds = issuedAtMilliseconds
    }
}
