import SQLiteNIO

/// Versioned migrations for an SQLite database: each version's statements run once, in one
/// transaction, recorded in `schema_version`.
enum SQLiteMigrations {
    /// The event log's table, the same in the CSM's database and the portal's.
    static let createEventLog = """
        CREATE TABLE event_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time_ms INTEGER NOT NULL,
            unit INTEGER,
            kind TEXT NOT NULL,
            channel INTEGER,
            group_id INTEGER,
            details TEXT NOT NULL
        )
        """

    static func run(_ migrations: [(version: Int, sql: [String])], on connection: SQLiteConnection) async throws {
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", [])
        let current = try await connection.query("SELECT MAX(version) AS version FROM schema_version", []).first?.column("version")?.integer ?? 0
        for migration in migrations where migration.version > current {
            _ = try await connection.query("BEGIN IMMEDIATE", [])
            do {
                for statement in migration.sql { _ = try await connection.query(statement, []) }
                _ = try await connection.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(migration.version)])
                _ = try await connection.query("COMMIT", [])
            } catch {
                _ = try? await connection.query("ROLLBACK", [])
                throw error
            }
        }
    }
}
