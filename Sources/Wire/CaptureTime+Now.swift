#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension CaptureTime {
    /// The wall clock now.
    public static var now: CaptureTime { CaptureTime(microsecondsSinceEpoch: UInt64(Date().timeIntervalSince1970 * 1_000_000)) }
}
