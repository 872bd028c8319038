/// One chat message of a channel. Units clean the text before relaying it (`ChatText`).
public struct ChatLine: Codable, Equatable, Sendable {
    /// Display name of the sender, cleaned like the text.
    public var from: String
    public var text: String
    /// Milliseconds since the Unix epoch, set by the unit that first accepted the line.
    public var sentAtMilliseconds: UInt64

    public init(from: String, text: String, sentAtMilliseconds: UInt64) {
        self.from = from
        self.text = text
        self.sentAtMilliseconds = sentAtMilliseconds
    }
}
