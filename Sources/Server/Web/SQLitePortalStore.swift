import Logging
import SQLiteNIO
import ClusterLogic
import Wire

/// The portal's embedded database: one SQLite file (nothing to set up), versioned migrations.
final class SQLitePortalStore: PortalStore {
    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            """
            CREATE TABLE channels (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel INTEGER NOT NULL,
                title TEXT NOT NULL,
                broadcaster_name TEXT NOT NULL,
                started_ms INTEGER NOT NULL,
                ended_ms INTEGER,
                peak_viewers INTEGER NOT NULL DEFAULT 0,
                total_viewers INTEGER NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX channels_by_number ON channels (channel, ended_ms)",
            SQLiteMigrations.createEventLog,
            "CREATE INDEX event_log_by_time ON event_log (time_ms)",
        ]),
        (2, [
            // Ids are the keys' own 64-bit numbers, kept as their bit pattern.
            "CREATE TABLE stream_keys (id INTEGER PRIMARY KEY, title TEXT NOT NULL, record INTEGER NOT NULL, made_ms INTEGER NOT NULL, revoked_ms INTEGER)"
        ]),
    ]

    private let connection: SQLiteConnection

    private init(connection: SQLiteConnection) { self.connection = connection }

    /// Opens (creating if needed) and migrates the file at `path`; nil: in memory.
    static func open(path: String?, logger: Logger) async throws -> SQLitePortalStore {
        let store = SQLitePortalStore(connection: try await SQLiteConnection.open(storage: path.map { .file(path: $0) } ?? .memory, logger: logger))
        try await store.migrate()
        return store
    }

    private func migrate() async throws { try await SQLiteMigrations.run(Self.migrations, on: connection) }

    func channelOpened(_ record: ChannelHistory) async throws {
        let number = SQLiteData.integer(Int(record.channel.rawValue))
        _ = try await connection.query(
            """
            INSERT INTO channels (channel, title, broadcaster_name, started_ms, peak_viewers, total_viewers)
            SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM channels WHERE channel = ? AND (ended_ms IS NULL OR ended_ms >= ?))
            """,
            [number, .text(record.title), .text(record.broadcasterName), .integer(Int(clamping: record.startedAtMilliseconds)),
             .integer(record.peakViewers), .integer(record.totalViewers), number, .integer(Int(clamping: record.startedAtMilliseconds))])
    }

    func channelEnded(_ channel: ChannelID, atMilliseconds time: UInt64) async throws {
        _ = try await connection.query(
            "UPDATE channels SET ended_ms = ? WHERE channel = ? AND ended_ms IS NULL", [.integer(Int(clamping: time)), .integer(Int(channel.rawValue))])
    }

    func viewerJoined(_ channel: ChannelID) async throws {
        _ = try await connection.query(
            "UPDATE channels SET total_viewers = total_viewers + 1 WHERE channel = ? AND ended_ms IS NULL", [.integer(Int(channel.rawValue))])
    }

    func viewersNow(_ channel: ChannelID, _ viewers: Int) async throws {
        _ = try await connection.query(
            "UPDATE channels SET peak_viewers = MAX(peak_viewers, ?) WHERE channel = ? AND ended_ms IS NULL",
            [.integer(viewers), .integer(Int(channel.rawValue))])
    }

    func channel(_ channel: ChannelID) async throws -> ChannelHistory? {
        try await connection.query(
            "SELECT * FROM channels WHERE channel = ? ORDER BY ended_ms IS NULL DESC, id DESC LIMIT 1", [.integer(Int(channel.rawValue))]
        ).first.map(Self.record)
    }

    func channels(limit: Int) async throws -> [ChannelHistory] {
        try await connection.query("SELECT * FROM channels ORDER BY ended_ms IS NULL DESC, id DESC LIMIT ?", [.integer(limit)]).map(Self.record)
    }

    func streamKeyMade(_ key: StreamKeyRecord) async throws {
        _ = try await connection.query(
            "INSERT OR IGNORE INTO stream_keys (id, title, record, made_ms) VALUES (?, ?, ?, ?)",
            [.integer(Int(Int64(bitPattern: key.id))), .text(key.title), .integer(key.record ? 1 : 0), .integer(Int(clamping: key.madeAtMilliseconds))])
    }

    func streamKeyRevoked(_ id: UInt64, atMilliseconds time: UInt64) async throws {
        _ = try await connection.query(
            "UPDATE stream_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", [.integer(Int(clamping: time)), .integer(Int(Int64(bitPattern: id)))])
    }

    func streamKeys(limit: Int) async throws -> [StreamKeyRecord] {
        try await connection.query("SELECT * FROM stream_keys ORDER BY made_ms DESC LIMIT ?", [.integer(limit)]).map { row in
            StreamKeyRecord(
                id: UInt64(bitPattern: Int64(row.column("id")?.integer ?? 0)), title: row.column("title")?.string ?? "",
                record: row.column("record")?.integer == 1, madeAtMilliseconds: UInt64(clamping: row.column("made_ms")?.integer ?? 0),
                revokedAtMilliseconds: row.column("revoked_ms")?.integer.map { UInt64(clamping: $0) })
        }
    }

    func appendLog(_ entries: [ClusterLogEntry]) async throws {
        for entry in entries {
            _ = try await connection.query(
                "INSERT INTO event_log (time_ms, unit, kind, channel, group_id, details) VALUES (?, ?, ?, ?, ?, ?)",
                [.integer(Int(clamping: entry.timeMilliseconds)), entry.unit.map { .integer(Int($0.rawValue)) } ?? .null, .text(entry.kind),
                 entry.channel.map { .integer(Int($0.rawValue)) } ?? .null, entry.group.map { .integer(Int($0.rawValue)) } ?? .null,
                 .text(entry.details)])
        }
    }

    func log(limit: Int) async throws -> [ClusterLogEntry] {
        try await connection.query("SELECT * FROM event_log ORDER BY time_ms DESC, id DESC LIMIT ?", [.integer(limit)]).map { row in
            ClusterLogEntry(
                unit: row.column("unit")?.integer.map { UnitID(UInt16(clamping: $0)) }, timeMilliseconds: UInt64(clamping: row.column("time_ms")?.integer ?? 0),
                kind: row.column("kind")?.string ?? "", channel: row.column("channel")?.integer.map { ChannelID(UInt32(clamping: $0)) },
                group: row.column("group_id")?.integer.map { GroupID(UInt16(clamping: $0)) }, details: row.column("details")?.string ?? "")
        }
    }

    func lastLogTime() async throws -> UInt64? {
        try await connection.query("SELECT MAX(time_ms) AS newest FROM event_log", []).first?.column("newest")?.integer.map { UInt64(clamping: $0) }
    }

    /// Deletes lines past their age and the oldest beyond the size cap (ids only grow).
    func pruneLog(_ retention: LogRetention, nowMilliseconds: UInt64) async throws {
        _ = try await connection.query(
            "DELETE FROM event_log WHERE time_ms < ? OR id <= (SELECT MAX(id) FROM event_log) - ?",
            [.integer(Int(clamping: retention.oldestKept(nowMilliseconds: nowMilliseconds))), .integer(retention.maxEntries)])
    }

    func close() async { try? await connection.close() }

    private static func record(_ row: SQLiteRow) -> ChannelHistory {
        ChannelHistory(
            channel: ChannelID(UInt32(clamping: row.column("channel")?.integer ?? 0)), title: row.column("title")?.string ?? "",
            broadcasterName: row.column("broadcaster_name")?.string ?? "", startedAtMilliseconds: UInt64(clamping: row.column("started_ms")?.integer ?? 0),
            endedAtMilliseconds: row.column("ended_ms")?.integer.map { UInt64(clamping: $0) }, peakViewers: row.column("peak_viewers")?.integer ?? 0,
            totalViewers: row.column("total_viewers")?.integer ?? 0)
    }
}
