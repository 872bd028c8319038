import ArgumentParser

/// How much of the event log a store keeps (docs/SECURITY.md: memory and disk stay flat): lines
/// older than `maxAge`, and the oldest beyond `maxEntries`, are deleted as the log grows.
struct LogRetention: Sendable {
    var maxEntries = LogRetention.onDisk
    /// The default cap of a log in a database file, and of one held in memory.
    static let onDisk = 100_000
    static let inMemory = 10_000
    var maxAge: Duration = .seconds(30 * 24 * 3600)
    /// How often a store is pruned.
    static let interval: Duration = .seconds(10)

    /// The oldest time kept, in wall-clock milliseconds.
    func oldestKept(nowMilliseconds: UInt64) -> UInt64 {
        nowMilliseconds -| UInt64(maxAge.components.seconds) * 1000
    }
}

/// The retention flags of `avserver csm` and `avserver web`.
struct LogRetentionOptions: ParsableArguments {
    @Option(help: "Event log lines kept; older ones are deleted. Default 100000 in a database file, 10000 in memory.")
    var logMaxEntries: Int?
    @Option(help: "Days of event log kept.")
    var logMaxDays = 30

    /// The retention for a log in a file (`inMemory` false) or in memory.
    func retention(inMemory: Bool) -> LogRetention {
        let entries = logMaxEntries ?? (inMemory ? LogRetention.inMemory : LogRetention.onDisk)
        return LogRetention(maxEntries: max(entries, 100), maxAge: .seconds(max(logMaxDays, 1) * 24 * 3600))
    }
}

infix operator -|: AdditionPrecedence

extension UInt64 {
    /// Subtraction that stops at zero.
    static func -| (lhs: UInt64, rhs: UInt64) -> UInt64 { lhs > rhs ? lhs - rhs : 0 }
}
