/// The broadcaster's wall-clock capture time of a packet, carried in an RFC 8285 header extension so
/// every hop and every viewer can measure latency: 8 bytes, microseconds since the Unix epoch.
public struct CaptureTime: Equatable, Comparable, Sendable {
    /// The extension id this project uses (announced in SDP with `uri`).
    public static let extensionID: UInt8 = 1
    /// The URI that names the extension in an SDP `a=extmap` line.
    public static let uri = "urn:avcluster:rtp-hdrext:capture-time-us"

    public var microsecondsSinceEpoch: UInt64

    public init(microsecondsSinceEpoch: UInt64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Reads the 8-byte big-endian element data.
    public init(elementData: [UInt8]) throws {
        guard elementData.count == 8 else {
            throw WireError.invalidHeaderExtension("capture time needs 8 bytes, got \(elementData.count)")
        }
        microsecondsSinceEpoch = elementData.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The element that carries this time.
    public var element: RTPHeaderExtensionElement {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: microsecondsSinceEpoch >> (56 - 8 * $0)) }
        return RTPHeaderExtensionElement(id: Self.extensionID, data: bytes)
    }

    /// Microseconds from this capture time to `now`; negative when clocks disagree.
    public func age(at now: CaptureTime) -> Int64 {
        Int64(bitPattern: now.microsecondsSinceEpoch &- microsecondsSinceEpoch)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch }
}
