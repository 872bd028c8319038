import ArgumentParser
import Logging
import ServiceLifecycle
import Wire

/// `avserver all`: the whole cluster in one process, with embedded defaults: a primary CSM, its
/// backup and three streaming units on loopback.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run the whole cluster on this machine with embedded defaults."
    )

    @Option(help: "Streaming units to start.")
    var units = 3
    @Option(help: "First port; the CSM uses the next 0-80, unit N uses base+100*N ... +2.")
    var basePort = 7000

    @Option(help: "RTMP port of unit 1, where OBS and ffmpeg publish; unit N listens on this + N - 1.")
    var rtmpPort = 1935

    @Option(help: "HTTP port of the web portal.")
    var webPort = 8080
    @Option(help: "SQLite file of the web portal's database (default: in memory).")
    var webDatabase: String?
    @Option(help: "File holding the admin token of the CSMs and the dashboard (avserver keygen). Else $AVCLUSTER_ADMIN_TOKEN, else the built-in loopback token.")
    var adminTokenFile: String?
    @Option(name: .customLong("max-loop-delay-ms"), help: "Units refuse new viewers, and the CSMs place none there, while a unit's event loop runs its timers later than this. Default 250.")
    var maxLoopDelayMilliseconds = 250

    func validate() throws {
        guard (1...20).contains(units) else { throw ValidationError("--units must be between 1 and 20") }
        guard (1...65000).contains(rtmpPort) else { throw ValidationError("--rtmp-port must be between 1 and 65000") }
        guard (1024...60000).contains(basePort) else { throw ValidationError("--base-port must be between 1024 and 60000") }
        guard maxLoopDelayMilliseconds >= 10 else { throw ValidationError("--max-loop-delay-ms must be at least 10") }
    }

    func run() async throws {
        let logger = Logger(label: "avserver.all")
        var csm = CSMConfiguration()
        // Every server is in this process: a fresh cluster key each run, known to nobody else.
        csm.secret = Secret.generate()
        csm.adminToken = try Secret.load(file: adminTokenFile, environment: "AVCLUSTER_ADMIN_TOKEN", builtIn: Secret.builtInAdminToken)
        try Secret.check(csm.adminToken, what: "admin token", flag: "admin-token-file", variable: "AVCLUSTER_ADMIN_TOKEN", bindHost: csm.bindHost)
        // One machine: every unit, viewer and load test comes from 127.0.0.1.
        csm.connectionsPerAddress = 1000
        csm.unprovenLinksPerNetwork = csm.unprovenLinks
        csm.rateLimits = .unlimited
        csm.settings.liveChannelsPerClient = .max
        csm.httpLimits = .loopbackLoad
        // Its logs are in memory: keep them small.
        csm.logRetention.maxEntries = LogRetention.inMemory
        csm.name = "csm-a"
        csm.unitPort = basePort
        csm.httpPort = basePort + 80
        csm.peer = "127.0.0.1:\(basePort + 2)"
        csm.settings.maxUnitLoopDelay = .milliseconds(maxLoopDelayMilliseconds)
        var backup = csm
        backup.name = "csm-b"
        backup.unitPort = basePort + 2
        backup.httpPort = basePort + 81
        backup.peer = "127.0.0.1:\(basePort)"
        backup.startAsBackup = true
        let http = "http://127.0.0.1:\(csm.httpPort)"
        // The banner goes out once every server listens; one that cannot ends the process instead.
        let (primaryHTTP, backupHTTP) = (csm.httpPort, backup.httpPort)
        let banner = StartedTogether(count: 3 + units) {
            print("""
                avcluster: a primary CSM (HTTP \(primaryHTTP)), its backup (HTTP \(backupHTTP)), \(units) streaming units and the web portal on 127.0.0.1.
                  web portal     http://127.0.0.1:\(webPort)/                  (dashboard: /admin?token=ADMIN-TOKEN)
                  cluster API    \(http)/api/channels            (open: POST {"title":..,"broadcasterName":..})
                  admin API      \(http)/admin/view               (Authorization: Bearer ADMIN-TOKEN)
                  status table   avserver admin status --csm \(http)\(adminTokenFile.map { " --token-file \($0)" } ?? "")
                  metrics        \(http)/metrics, and each unit's on port base+100*N+2
                  OBS, ffmpeg    rtmp://127.0.0.1:\(rtmpPort)/live (unit 1; unit N on \(rtmpPort)+N-1), stream key: avserver admin stream-key --title T
                Stop with Ctrl-C.
                """)
        }
        var services: [any Service] = [
            CSMService(configuration: csm, logger: Logger(label: "avserver.csm-a"), onStarted: { _ in await banner.started() }),
            CSMService(configuration: backup, logger: Logger(label: "avserver.csm-b"), onStarted: { _ in await banner.started() }),
        ]
        for index in 1...units {
            var unit = UnitConfiguration()
            unit.unit = UnitID(UInt16(index))
            unit.sessionPort = basePort + 100 * index
            unit.mediaPort = basePort + 100 * index + 1
            unit.webSocketPort = basePort + 100 * index + 3
            unit.rtmpPort = rtmpPort + index - 1
            unit.csmAddresses = ["127.0.0.1:\(csm.unitPort)", "127.0.0.1:\(backup.unitPort)"]
            // One machine: every viewer and load test connects from 127.0.0.1.
            unit.unopenedSessions = 4096
            unit.unopenedSessionsPerNetwork = 4096
            unit.secret = ClusterKeys(clusterKey: csm.secret).credential(for: unit.unit).text
            unit.sessionsPerAddress = 20_000
            unit.maxLoopDelay = .milliseconds(maxLoopDelayMilliseconds)
            services.append(UnitService(
                configuration: unit, adminPort: basePort + 100 * index + 2, logger: Logger(label: "avserver.unit.\(index)"),
                onStarted: { _, _ in await banner.started() }))
        }
        var web = WebConfiguration()
        web.port = webPort
        web.csmURLs = ["http://127.0.0.1:\(csm.httpPort)", "http://127.0.0.1:\(backup.httpPort)"]
        web.databasePath = webDatabase
        web.rateLimits = .unlimited
        web.httpLimits = .loopbackLoad
        if webDatabase == nil { web.logRetention.maxEntries = LogRetention.inMemory }
        web.adminToken = csm.adminToken
        web.csmToken = csm.adminToken
        services.append(WebService(configuration: web, logger: Logger(label: "avserver.web"), onStarted: { _ in await banner.started() }))
        // Shutdown ends the services one after another, and one may finish before its turn (a
        // unit's links close with the CSMs'): that is the shutdown going on, not a failure.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // A service that fails (a port taken) shuts the others down gracefully too: a
                // cancelled HTTP server drops the connections it accepted, which NIO traps on.
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Runs `then` once `count` servers have said they listen.
actor StartedTogether {
    private var remaining: Int
    private let then: @Sendable () -> Void

    init(count: Int, then: @escaping @Sendable () -> Void) {
        remaining = count
        self.then = then
    }

    func started() {
        remaining -= 1
        if remaining == 0 { then() }
    }
}
