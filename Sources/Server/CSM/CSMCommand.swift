import ArgumentParser
import ClusterLogic
import Logging
import ServiceLifecycle

/// `avserver csm`: the cluster server manager.
struct CSMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csm",
        abstract: "Run the cluster server manager: units, channels, group trees, placement, failures, log, admin API."
    )

    @Option(help: "JSON settings file, keys as the long flags; AVSERVER_CSM_<FLAG> variables come next, flags last, each over the one before.")
    var config: String?
    @Option(name: .customLong("bind"), help: "Address the unit port (units and the peer CSM) listens on; the HTTP port too unless --http-bind.")
    var bindHost = "127.0.0.1"
    @Option(name: .customLong("http-bind"), help: "Address the HTTP port (client and admin API, /metrics) listens on. Default: --bind.")
    var httpBindHost: String?
    @Option(help: "TCP port units and the peer CSM connect to.")
    var unitPort = 7000
    @Option(help: "HTTP port: admin API, client API, /metrics.")
    var httpPort = 7080
    @Option(help: "File holding the cluster key, the same on every CSM and unit (avserver keygen). Else $AVCLUSTER_SECRET; off loopback one of them is required.")
    var secretFile: String?
    @Option(help: "File holding the admin API's bearer token (avserver keygen). Else $AVCLUSTER_ADMIN_TOKEN; off loopback one of them is required.")
    var adminTokenFile: String?
    @Option(help: "Connections one address may hold on the unit port.")
    var connectionsPerAddress = 64
    @Option(help: "SQLite file of the event log (default: in memory).")
    var database: String?
    @Option(help: "Heartbeat interval in milliseconds.")
    var heartbeatMilliseconds = 250
    @Option(help: "A unit silent this many milliseconds has failed.")
    var failureTimeoutMilliseconds = 1250
    @Option(help: "Expand a channel when its free places fall below this.")
    var expansionThreshold = 3
    @Option(name: .customLong("relay-fan-out"), help: "Groups on other units one group feeds at most; a channel across U units is then at most log(U) relay hops deep.")
    var relayFanOut = 8
    @Option(help: "Free an empty leaf group after this many seconds.")
    var shrinkGraceSeconds = 30
    @Option(help: "The other CSM's unit port (host:port): run as a primary/backup pair.")
    var peer: String?
    @Flag(help: "Start as the backup of --peer.")
    var backup = false
    @Option(help: "Command run on promotion and demotion as 'HOOK promote|demote EPOCH' (samples/vip-hook.sh).")
    var hook: String?
    @Option(help: "This CSM's name in logs and heartbeats; two CSMs of a pair need different names.")
    var name = "csm"
    @Option(help: "File keeping the highest epoch and the registered units across restarts (default: $STATE_DIRECTORY/NAME.json, else ~/.local/state/avcluster/NAME.json).")
    var stateFile: String?
    @Option(help: "How long a unit's lease lets a CSM be primary, in milliseconds: a failed primary is replaced about this long after it stops.")
    var leaseMilliseconds = 1000

    @OptionGroup var rateLimits: RateLimitOptions
    @OptionGroup var clientNetworks: ClientNetworkOptions
    @Option(help: "Live channels one client network may hold at once (the admin API: any).")
    var liveChannelsPerClient = ClusterSettings().liveChannelsPerClient
    @OptionGroup var logRetention: LogRetentionOptions

    func validate() throws {
        guard (2...1000).contains(relayFanOut) else { throw ValidationError("--relay-fan-out must be 2 to 1000") }
        guard heartbeatMilliseconds >= 10 else { throw ValidationError("--heartbeat-milliseconds must be at least 10") }
        guard failureTimeoutMilliseconds > heartbeatMilliseconds else {
            throw ValidationError("--failure-timeout-milliseconds must be longer than the heartbeat")
        }
        guard leaseMilliseconds > heartbeatMilliseconds * 2, leaseMilliseconds <= 60_000 else {
            throw ValidationError("--lease-milliseconds must be more than two heartbeats and at most 60000")
        }
        guard connectionsPerAddress >= 1 else { throw ValidationError("--connections-per-address must be at least 1") }
        _ = try secrets()
        if let peer, HostPort.parse(peer) == nil { throw ValidationError("--peer \(peer) is not host:port, e.g. 10.0.0.2:7000") }
        if backup && peer == nil { throw ValidationError("--backup needs --peer: the address of the primary") }
    }

    /// The cluster key and the admin token, checked against where the CSM listens.
    func secrets() throws -> (clusterKey: String, adminToken: String) {
        let key = try Secret.load(file: secretFile, environment: "AVCLUSTER_SECRET", builtIn: Secret.builtInClusterKey)
        let token = try Secret.load(file: adminTokenFile, environment: "AVCLUSTER_ADMIN_TOKEN", builtIn: Secret.builtInAdminToken)
        for host in [bindHost, httpBindHost ?? bindHost] {
            try Secret.check(key, what: "cluster key", flag: "secret-file", variable: "AVCLUSTER_SECRET", bindHost: host)
            try Secret.check(token, what: "admin token", flag: "admin-token-file", variable: "AVCLUSTER_ADMIN_TOKEN", bindHost: host)
        }
        return (key, token)
    }

    func csmConfiguration() throws -> CSMConfiguration {
        var configuration = CSMConfiguration()
        configuration.bindHost = bindHost
        configuration.httpBindHost = httpBindHost
        configuration.unitPort = unitPort
        configuration.httpPort = httpPort
        (configuration.secret, configuration.adminToken) = try secrets()
        configuration.connectionsPerAddress = connectionsPerAddress
        configuration.databasePath = database
        configuration.heartbeatInterval = .milliseconds(heartbeatMilliseconds)
        configuration.settings.failureTimeout = .milliseconds(failureTimeoutMilliseconds)
        configuration.settings.expansionThreshold = expansionThreshold
        configuration.settings.relayFanOut = relayFanOut
        configuration.settings.shrinkGrace = .seconds(shrinkGraceSeconds)
        configuration.peer = peer
        configuration.startAsBackup = backup
        configuration.hook = hook
        configuration.name = name
        configuration.stateFile = stateFile ?? CSMStateFile.defaultPath(name: name)
        configuration.leaseDuration = .milliseconds(leaseMilliseconds)
        configuration.rateLimits = rateLimits.limits
        configuration.networks = clientNetworks.networks
        configuration.settings.liveChannelsPerClient = liveChannelsPerClient
        configuration.logRetention = logRetention.retention(inMemory: database == nil)
        return configuration
    }

    func run() async throws {
        let logger = Logger(label: "avserver.csm")
        let group = ServiceGroup(
            services: [CSMService(configuration: try csmConfiguration(), logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
