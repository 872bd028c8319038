/// A stream key as the portal keeps it: never the key itself (shown once, when made), only what
/// names it and whether it was revoked.
struct StreamKeyRecord: Codable, Equatable, Sendable {
    var id: UInt64
    var title: String
    var record: Bool
    var madeAtMilliseconds: UInt64
    var revokedAtMilliseconds: UInt64?
}
