import NIOCore

/// Sessions a unit refused, by reason, told to the CSMs as one line every `interval` rather than
/// one event each: strangers make refusals as fast as they like, and each would be an event
/// the CSM must budget (docs/SECURITY.md).
package struct RefusalTally {
    private var counts: [String: Int] = [:]
    private var since: NIODeadline
    package let interval: TimeAmount

    package init(interval: TimeAmount = .seconds(10), now: NIODeadline) {
        self.interval = interval
        since = now
    }

    package mutating func note(_ reason: String) { counts[reason, default: 0] += 1 }

    /// The line to tell, once `interval` has passed since the last one and there is something to tell.
    package mutating func summary(now: NIODeadline) -> String? {
        guard now - since >= interval else { return nil }
        since = now
        guard !counts.isEmpty else { return nil }
        defer { counts.removeAll() }
        let total = counts.values.reduce(0, +)
        let reasons = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(total) session\(total == 1 ? "" : "s") refused in the last \(interval.nanoseconds / 1_000_000_000) s: \(reasons)"
    }
}
