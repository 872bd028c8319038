/// A broadcaster asking for a new channel (web API body and CSM call).
public struct OpenChannelRequest: Codable, Equatable, Sendable {
    public static let maxTitleLength = 120
    public static let maxNameLength = 60

    public var title: String
    public var broadcasterName: String

    public init(title: String, broadcasterName: String) {
        self.title = title
        self.broadcasterName = broadcasterName
    }
}
