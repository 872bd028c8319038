import Foundation
import NIOCore

/// What time it is for a unit: NIO's monotonic deadlines (the packet path, timers and limits),
/// the continuous clock (leases and relay sessions, whose pure types count in it) and the wall
/// clock (tickets, chat and event times). Every reading of the unit's goes through it: the
/// system's in service, a test's or the fuzzer's own where they give one.
struct UnitClock: Sendable {
    var deadline: @Sendable () -> NIODeadline = { .now() }
    var instant: @Sendable () -> ContinuousClock.Instant = { .now }
    var wallMilliseconds: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) }

    static let system = UnitClock()
}
