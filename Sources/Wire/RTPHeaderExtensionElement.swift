/// One element of an RFC 8285 header extension: a local identifier and its data.
public struct RTPHeaderExtensionElement: Equatable, Sendable {
    /// 1...14 fit the one-byte form; 1...255 need the two-byte form.
    public var id: UInt8
    public var data: [UInt8]

    public init(id: UInt8, data: [UInt8]) {
        self.id = id
        self.data = data
    }

    /// Whether the element fits the one-byte header form (RFC 8285 section 4.2).
    public var fitsOneByteForm: Bool { (1...14).contains(id) && (1...16).contains(data.count) }
}
