import Wire

/// What `avserver web` runs with.
struct WebConfiguration: Sendable {
    var bindHost = "127.0.0.1"
    var port = 8080
    /// HTTP base URLs of the CSMs (primary and backup), e.g. http://127.0.0.1:7080.
    var csmURLs = ["http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    /// The CSMs' admin token, for the dashboard's view and buttons.
    var csmToken = Secret.builtInAdminToken
    /// The dashboard's own token.
    var adminToken = Secret.builtInAdminToken
    /// SQLite file; nil keeps the database in memory.
    var databasePath: String?
    /// A PostgreSQL URL; when set, used instead of SQLite.
    var postgresURL: String?
    /// Opens and joins one client address may make.
    var rateLimits = RateLimits()
    /// How client addresses group into the networks those limits count, and which proxies name the client.
    var networks = ClientNetworks()
    /// Connections per client network and in all, and the deadline of each request.
    var httpLimits = HTTPConnectionLimits()
    /// How much of the event log the database keeps.
    var logRetention = LogRetention()
    /// Largest request body accepted.
    var maxBodyBytes = 16 << 10
}
