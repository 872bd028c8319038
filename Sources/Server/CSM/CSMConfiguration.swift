import ClusterLogic
import Wire

/// Everything a CSM is told at start.
struct CSMConfiguration: Sendable {
    var bindHost = "127.0.0.1"
    /// Units and the peer CSM connect here.
    var unitPort = 7000
    /// HTTP: admin API, client API as JSON, /metrics.
    var httpPort = 7080
    /// The cluster key: signs tickets and opens every control link.
    var secret = Secret.builtInClusterKey
    /// Bearer token of the admin API.
    var adminToken = Secret.builtInAdminToken
    /// Opens and joins one client address may make (a front end with the admin token: any).
    var rateLimits = RateLimits()
    /// How client addresses group into the networks those limits count.
    var networks = ClientNetworks()
    /// How much of the event log the database keeps.
    var logRetention = LogRetention()
    /// Events one unit may send a second (after a burst of ten times as many); the rest are dropped.
    var unitEventsPerSecond = 100.0
    /// Connections one address may hold on the unit port.
    var connectionsPerAddress = 64
    /// Links on the unit port still proving a key, in all and from one client network.
    var unprovenLinks = 128
    var unprovenLinksPerNetwork = 16
    /// An HTTP connection idle this long is closed.
    var httpIdleTimeout = AdminApplication.idleTimeout
    /// Connections of the HTTP port per client network and in all, and its request deadline.
    var httpLimits = HTTPConnectionLimits()
    /// Where the HTTP port listens, when not where the unit port does (`--http-bind`).
    var httpBindHost: String?
    /// A control link must finish its handshake this soon after it connects.
    var helloTimeout: Duration = .seconds(5)
    /// A control link silent this long is closed (units report and CSMs beat several times a second).
    var linkIdleTimeout: Duration = .seconds(15)
    /// Bytes a control link may have waiting before the CSM stops queueing more.
    var linkOutboundCap = 1 << 20
    var heartbeatInterval: Duration = .milliseconds(250)
    /// How long a unit's lease lets this CSM be primary without renewing it (docs/HA.md).
    var leaseDuration: Duration = .seconds(1)
    /// Where the highest epoch and the registered units are kept; nil keeps them in memory.
    var stateFile: String?
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
