import Foundation

/// What time it is for a CSM: the monotonic clock every decision measures intervals by, and the
/// wall clock of tickets, heartbeats and the event log. The system's in service; a test or a
/// benchmark gives its own, so every decision takes its time from here and never from the system.
struct CSMClock: Sendable {
    var now: @Sendable () -> ContinuousClock.Instant
    var wallMilliseconds: @Sendable () -> UInt64

    static let system = CSMClock(now: { .now }, wallMilliseconds: { UInt64(Date().timeIntervalSince1970 * 1000) })
}
