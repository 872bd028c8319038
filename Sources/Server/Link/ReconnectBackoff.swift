/// How long a link waits before it dials again: little after it was lost (a restarted CSM is
/// back within a second, and a takeover after a restart waits on the units coming back to it),
/// twice as long after each failed attempt up to `longest`, and the short wait again once the
/// link works. `jitter` (0...1, random in production) takes up to half a wait off, so that the
/// units of a cluster do not all dial at the same instant.
package struct ReconnectBackoff: Sendable {
    package let first: Duration
    package let longest: Duration
    private var next: Duration

    package init(first: Duration = .milliseconds(100), longest: Duration = .milliseconds(500)) {
        self.first = first
        self.longest = longest
        next = first
    }

    /// The wait before the next attempt.
    package mutating func delay(jitter: Double) -> Duration {
        let wait = next
        next = min(longest, next * 2)
        return wait * (1 - min(max(jitter, 0), 1) / 2)
    }

    /// The link is up (and proved itself): the next loss starts from the short wait again.
    package mutating func linkWorks() { next = first }
}
