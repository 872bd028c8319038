import Logging
import PostgresNIO
import ClusterLogic
import Wire

/// The portal's shared database: PostgreSQL, so several web servers can share one. Migrations
/// take an advisory lock, so web servers starting together migrate once.
final class PostgresPortalStore: PortalStore {
    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            """
            CREATE TABLE channels (
                id BIGSERIAL PRIMARY KEY,
                channel BIGINT NOT NULL,
                title TEXT NOT NULL,
                broadcaster_name TEXT NOT NULL,
                started_ms BIGINT NOT NULL,
                ended_ms BIGINT,
                peak_viewers BIGINT NOT NULL DEFAULT 0,
                total_viewers BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX channels_by_number ON channels (channel, ended_ms)",
            """
            CREATE TABLE event_log (
                id BIGSERIAL PRIMARY KEY,
                time_ms BIGINT NOT NULL,
                unit BIGINT,
                kind TEXT NOT NULL,
                channel BIGINT,
                group_id BIGINT,
                details TEXT NOT NULL
            )
            """,
            "CREATE INDEX event_log_by_time ON event_log (time_ms)",
        ]),
        (2, [
            // Ids are the keys' own 64-bit numbers, kept as their bit pattern.
            "CREATE TABLE stream_keys (id BIGINT PRIMARY KEY, title TEXT NOT NULL, record BOOLEAN NOT NULL, made_ms BIGINT NOT NULL, revoked_ms BIGINT)"
        ]),
    ]

    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let logger: Logger

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        running = Task { await client.run() }
    }

    /// Connects to `url` (postgres://user[:password]@host[:port]/database) and migrates.
    static func open(url: String, logger: Logger) async throws -> PostgresPortalStore {
        guard let configuration = PostgresURL.configuration(url) else {
            throw PortalError.badDatabaseURL(url)
        }
        let store = PostgresPortalStore(client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw PortalError.databaseUnavailable("\(String(reflecting: error))")
        }
        return store
    }

    private func migrate() async throws {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(7001)", logger: self.logger)
                try await connection.query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)", logger: self.logger)
                var current: Int64 = 0
                for try await (version) in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_version", logger: self.logger).decode(Int64.self) {
                    current = version
                }
                for migration in Self.migrations where migration.version > current {
                    for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger) }
                    try await connection.query("INSERT INTO schema_version (version) VALUES (\(Int64(migration.version)))", logger: self.logger)
                }
                try await connection.query("COMMIT", logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    func channelOpened(_ record: ChannelHistory) async throws {
        let number = Int64(record.channel.rawValue)
        try await client.query(
            """
            INSERT INTO channels (channel, title, broadcaster_name, started_ms, peak_viewers, total_viewers)
            SELECT \(number), \(record.title), \(record.broadcasterName), \(Int64(clamping: record.startedAtMilliseconds)),
                   \(Int64(clamping: record.peakViewers)), \(Int64(clamping: record.totalViewers))
            WHERE NOT EXISTS (
                SELECT 1 FROM channels WHERE channel = \(number) AND (ended_ms IS NULL OR ended_ms >= \(Int64(clamping: record.startedAtMilliseconds))))
            """, logger: logger)
    }

    func channelEnded(_ channel: ChannelID, atMilliseconds time: UInt64) async throws {
        try await client.query(
            "UPDATE channels SET ended_ms = \(Int64(clamping: time)) WHERE channel = \(Int64(channel.rawValue)) AND ended_ms IS NULL", logger: logger)
    }

    func viewerJoined(_ channel: ChannelID) async throws {
        try await client.query(
            "UPDATE channels SET total_viewers = total_viewers + 1 WHERE channel = \(Int64(channel.rawValue)) AND ended_ms IS NULL", logger: logger)
    }

    func viewersNow(_ channel: ChannelID, _ viewers: Int) async throws {
        try await client.query(
            "UPDATE channels SET peak_viewers = GREATEST(peak_viewers, \(Int64(clamping: viewers))) WHERE channel = \(Int64(channel.rawValue)) AND ended_ms IS NULL",
            logger: logger)
    }

    func channel(_ channel: ChannelID) async throws -> ChannelHistory? {
        try await records(
            "SELECT channel, title, broadcaster_name, started_ms, ended_ms, peak_viewers, total_viewers FROM channels WHERE channel = \(Int64(channel.rawValue)) ORDER BY ended_ms IS NULL DESC, id DESC LIMIT 1"
        ).first
    }

    func channels(limit: Int) async throws -> [ChannelHistory] {
        try await records(
            "SELECT channel, title, broadcaster_name, started_ms, ended_ms, peak_viewers, total_viewers FROM channels ORDER BY ended_ms IS NULL DESC, id DESC LIMIT \(Int64(limit))")
    }

    func streamKeyMade(_ key: StreamKeyRecord) async throws {
        try await client.query(
            """
            INSERT INTO stream_keys (id, title, record, made_ms)
            VALUES (\(Int64(bitPattern: key.id)), \(key.title), \(key.record), \(Int64(clamping: key.madeAtMilliseconds))) ON CONFLICT (id) DO NOTHING
            """, logger: logger)
    }

    func streamKeyRevoked(_ id: UInt64, atMilliseconds time: UInt64) async throws {
        try await client.query(
            "UPDATE stream_keys SET revoked_ms = \(Int64(clamping: time)) WHERE id = \(Int64(bitPattern: id)) AND revoked_ms IS NULL", logger: logger)
    }

    func streamKeys(limit: Int) async throws -> [StreamKeyRecord] {
        var keys: [StreamKeyRecord] = []
        let rows = try await client.query(
            "SELECT id, title, record, made_ms, revoked_ms FROM stream_keys ORDER BY made_ms DESC LIMIT \(Int64(limit))", logger: logger)
        for try await (id, title, record, made, revoked) in rows.decode((Int64, String, Bool, Int64, Int64?).self) {
            keys.append(StreamKeyRecord(
                id: UInt64(bitPattern: id), title: title, record: record, madeAtMilliseconds: UInt64(clamping: made),
                revokedAtMilliseconds: revoked.map { UInt64(clamping: $0) }))
        }
        return keys
    }

    func appendLog(_ entries: [ClusterLogEntry]) async throws {
        for entry in entries {
            try await client.query(
                """
                INSERT INTO event_log (time_ms, unit, kind, channel, group_id, details)
                VALUES (\(Int64(clamping: entry.timeMilliseconds)), \(entry.unit.map { Int64($0.rawValue) }), \(entry.kind),
                        \(entry.channel.map { Int64($0.rawValue) }), \(entry.group.map { Int64($0.rawValue) }), \(entry.details))
                """, logger: logger)
        }
    }

    /// Deletes lines past their age and the oldest beyond the size cap (ids only grow).
    func pruneLog(_ retention: LogRetention, nowMilliseconds: UInt64) async throws {
        let oldest = Int64(retention.oldestKept(nowMilliseconds: nowMilliseconds))
        let keep = Int64(retention.maxEntries)
        try await client.query(
            "DELETE FROM event_log WHERE time_ms < \(oldest) OR id <= (SELECT MAX(id) FROM event_log) - \(keep)", logger: logger)
    }

    func log(limit: Int) async throws -> [ClusterLogEntry] {
        var entries: [ClusterLogEntry] = []
        let rows = try await client.query(
            "SELECT time_ms, unit, kind, channel, group_id, details FROM event_log ORDER BY time_ms DESC, id DESC LIMIT \(Int64(limit))", logger: logger)
        for try await (time, unit, kind, channel, group, details) in rows.decode((Int64, Int64?, String, Int64?, Int64?, String).self) {
            entries.append(ClusterLogEntry(
                unit: unit.map { UnitID(UInt16(clamping: $0)) }, timeMilliseconds: UInt64(clamping: time), kind: kind, channel: channel.map { ChannelID(UInt32(clamping: $0)) },
                group: group.map { GroupID(UInt16(clamping: $0)) }, details: details))
        }
        return entries
    }

    func lastLogTime() async throws -> UInt64? {
        for try await (newest) in try await client.query("SELECT MAX(time_ms) FROM event_log", logger: logger).decode(Int64?.self) {
            return newest.map { UInt64(clamping: $0) }
        }
        return nil
    }

    func close() async {
        running.cancel()
        _ = await running.value
    }

    private func records(_ query: PostgresQuery) async throws -> [ChannelHistory] {
        var records: [ChannelHistory] = []
        for try await (channel, title, name, started, ended, peak, total) in try await client.query(query, logger: logger)
            .decode((Int64, String, String, Int64, Int64?, Int64, Int64).self)
        {
            records.append(ChannelHistory(
                channel: ChannelID(UInt32(clamping: channel)), title: title, broadcasterName: name, startedAtMilliseconds: UInt64(clamping: started),
                endedAtMilliseconds: ended.map { UInt64(clamping: $0) }, peakViewers: Int(peak), totalViewers: Int(total)))
        }
        return records
    }
}
