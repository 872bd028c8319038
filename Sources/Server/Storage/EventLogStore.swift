import ClusterLogic
/// Where the CSM's event log lives: SQLite by default; PostgreSQL when several web servers
/// share one database (the web portal adds that back end to the same protocol).
protocol EventLogStore: Sendable {
    /// Appends lines in one transaction.
    func append(_ entries: [ClusterLogEntry]) async throws
    /// Newest first.
    func entries(matching filter: LogFilter) async throws -> [ClusterLogEntry]
    /// Deletes what `retention` does not keep.
    func prune(_ retention: LogRetention, nowMilliseconds: UInt64) async throws
}
