/// Everything a CSM is told at start.
struct CSMConfiguration: Sendable {
    var bindHost = "127.0.0.1"
    /// Units connect here.
    var unitPort = 7000
    /// Web servers and clients call the cluster API here (control protocol).
    var clientPort = 7001
    /// HTTP: admin API, client API as JSON, /metrics.
    var httpPort = 7080
    var secret = UnitConfiguration().ticketSecret
    /// Bearer token of the admin API.
    var adminToken = "avcluster-admin"
    var heartbeatInterval: Duration = .milliseconds(250)
    var settings = ClusterSettings()
    /// The event log's SQLite file; nil keeps it in memory.
    var databasePath: String? = nil
    var name = "csm"
    /// The other CSM's unit port (host:port); nil runs a single CSM.
    var peer: String?
    /// Start as the backup (the other CSM is the primary).
    var startAsBackup = false
    /// Run on promotion and demotion: `HOOK promote|demote EPOCH`.
    var hook: String?
}
