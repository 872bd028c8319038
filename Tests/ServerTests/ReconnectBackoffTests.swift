import Server
import Testing

/// A link's waits before it dials again: short after a loss, doubling to the cap while attempts
/// fail, short again once the link worked; jitter only ever shortens a wait, by half at most.
struct ReconnectBackoffTests {
    @Test func waitsDoubleUpToTheCapAndStartOverOnceTheLinkWorks() {
        var backoff = ReconnectBackoff(first: .milliseconds(100), longest: .milliseconds(500))
        let waits = (0..<6).map { _ in backoff.delay(jitter: 0) }
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500), .milliseconds(500)])
        backoff.linkWorks()
        #expect(backoff.delay(jitter: 0) == .milliseconds(100))
    }

    @Test func jitterTakesOffAtMostHalfAWait() {
        var backoff = ReconnectBackoff(first: .milliseconds(100), longest: .milliseconds(500))
        #expect(backoff.delay(jitter: 1) == .milliseconds(50))
        #expect(backoff.delay(jitter: 0.5) == .milliseconds(150))
        // Out of range counts as the nearest end.
        #expect(backoff.delay(jitter: 7) == .milliseconds(200))
        #expect(backoff.delay(jitter: -1) == .milliseconds(500))
    }
}
