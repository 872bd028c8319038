import Logging
import NIOConcurrencyHelpers
import NIOCore
import SQLiteNIO
import ClusterLogic
import Wire

/// The embedded database: one SQLite file (or memory), versioned migrations, the event log.
final class SQLiteStore: EventLogStore {
    /// Schema versions in order; each runs once, recorded in `schema_version`.
    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            SQLiteMigrations.createEventLog,
            "CREATE INDEX event_log_time ON event_log (time_ms)",
            "CREATE INDEX event_log_unit ON event_log (unit, time_ms)",
            "CREATE INDEX event_log_channel ON event_log (channel, time_ms)",
        ])
    ]

    private let connection: SQLiteConnection
    /// Closed, and how many queries are running: a query that reached SQLite after the close
    /// would use a freed handle, so the close waits for those running and refuses new ones.
    private let use = NIOLockedValueBox((closed: false, running: 0))

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the event log database is closed (the CSM is stopping)" }
    }

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    private func query(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try use.withLockedValue { use in
            guard !use.closed else { throw Closed() }
            use.running += 1
        }
        defer { use.withLockedValue { $0.running -= 1 } }
        return try await connection.query(sql, binds)
    }

    /// Opens (creating if needed) and migrates the database at `path`; nil: in memory.
    static func open(path: String?, logger: Logger) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: path.map { .file(path: $0) } ?? .memory, logger: logger)
        let store = SQLiteStore(connection: connection)
        try await store.migrate()
        return store
    }

    private func migrate() async throws { try await SQLiteMigrations.run(Self.migrations, on: connection) }

    /// One multi-row INSERT per 500 lines: each statement is atomic on its own, so appends from
    /// concurrent callers never interleave inside a transaction.
    func append(_ entries: [ClusterLogEntry]) async throws {
        for start in stride(from: 0, to: entries.count, by: 500) {
            let chunk = entries[start..<min(start + 500, entries.count)]
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            let binds: [SQLiteData] = chunk.flatMap { entry -> [SQLiteData] in
                [
                    .integer(Int(clamping: entry.timeMilliseconds)), entry.unit.map { .integer(Int($0.rawValue)) } ?? .null, .text(entry.kind),
                    entry.channel.map { .integer(Int($0.rawValue)) } ?? .null, entry.group.map { .integer(Int($0.rawValue)) } ?? .null,
                    .text(entry.details),
                ]
            }
            _ = try await query("INSERT INTO event_log (time_ms, unit, kind, channel, group_id, details) VALUES \(rows)", binds)
        }
    }

    func entries(matching filter: LogFilter) async throws -> [ClusterLogEntry] {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        if let unit = filter.unit { conditions.append("unit = ?"); binds.append(.integer(Int(unit.rawValue))) }
        if let channel = filter.channel { conditions.append("channel = ?"); binds.append(.integer(Int(channel.rawValue))) }
        if let kind = filter.kind { conditions.append("kind = ?"); binds.append(.text(kind)) }
        if let since = filter.sinceMilliseconds { conditions.append("time_ms >= ?"); binds.append(.integer(Int(clamping: since))) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        binds += [.integer(max(1, min(filter.limit, 1000))), .integer(max(0, filter.offset))]
        let rows = try await query(
            "SELECT time_ms, unit, kind, channel, group_id, details FROM event_log \(whereClause) ORDER BY id DESC LIMIT ? OFFSET ?", binds)
        return rows.map { row in
            ClusterLogEntry(
                unit: row.column("unit")?.integer.map { UnitID(UInt16(clamping: $0)) },
                timeMilliseconds: UInt64(clamping: row.column("time_ms")?.integer ?? 0),
                kind: row.column("kind")?.string ?? "",
                channel: row.column("channel")?.integer.map { ChannelID(UInt32(clamping: $0)) },
                group: row.column("group_id")?.integer.map { GroupID(UInt16(clamping: $0)) },
                details: row.column("details")?.string ?? "")
        }
    }

    /// Deletes lines past their age and the oldest beyond the size cap (ids only grow).
    func prune(_ retention: LogRetention, nowMilliseconds: UInt64) async throws {
        _ = try await query(
            "DELETE FROM event_log WHERE time_ms < ? OR id <= (SELECT MAX(id) FROM event_log) - ?",
            [.integer(Int(clamping: retention.oldestKept(nowMilliseconds: nowMilliseconds))), .integer(retention.maxEntries)])
    }

    func close() async throws {
        use.withLockedValue { $0.closed = true }
        while use.withLockedValue({ $0.running }) > 0 { try await Task.sleep(for: .milliseconds(5)) }
        try await connection.close()
    }
}
