/// One chat message of a channel. Units clean the text before relaying it (`ChatText`).
public struct ChatLine: Codable, Equatable, Sendable {
    /// Display name of the sender, cleaned like the text.
    public var from: String
    public var text: String
    /// Milliseconds since the Unix epoch, set by the unit that first accepted the line.
    public var sentAtMilliseconds: UInt64
    /// Set by the unit when the channel's broadcaster sent the line: clients mark it so, and no
    /// viewer's line ever carries it (nil from a client, or from an older unit, is false).
    public var broadcaster: Bool?

    public init(from: String, text: String, sentAtMilliseconds: UInt64, broadcaster: Bool? = nil) {
        self.from = from
        self.text = text
        self.sentAtMilliseconds = sentAtMilliseconds
        self.broadcaster = broadcaster
    }

    public var isFromBroadcaster: Bool { broadcaster == true }
}
