import ArgumentParser
import Logging
import NIOCore
import ServiceLifecycle
import Wire

/// `avserver unit`: one streaming unit.
struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit",
        abstract: "Run a streaming unit: groups of viewers, channel feeds, UDP and TCP media, relay links."
    )

    @Option(help: "JSON settings file (keys as the long flags: id, groups, capacity, csm, ...); flags win.")
    var config: String?
    @Option(name: .customLong("id"), help: "Unit id, unique in the cluster (1-65535). Default 1.")
    var id: UInt16?
    @Option(help: "Address clients are told to connect to. Default 127.0.0.1.")
    var host: String?
    @Option(name: .customLong("bind"), help: "Address to listen on. Default 127.0.0.1.")
    var bindHost: String?
    @Option(help: "TCP port of client sessions (0: any free port). Default 7100.")
    var sessionPort: Int?
    @Option(help: "UDP port of media (0: any free port). Default 7101.")
    var mediaPort: Int?
    @Option(name: .customLong("websocket-port"), help: "TCP port where browsers open sessions over WebSocket (0: any free port, off: none). Default 7103.")
    var webSocketPort: String?
    @Option(name: .customLong("websocket-public-port"), help: "The WebSocket port browsers are told, where a TLS proxy in front of the unit listens (wss). Default: the port bound.")
    var webSocketPublicPort: Int?
    @Option(name: .customLong("allowed-origin"), help: ArgumentHelp(
        "A web origin (https://portal.example.com) whose pages may open sessions over WebSocket; repeat for several. Pages from loopback and from --host always may.",
        valueName: "ORIGIN"))
    var allowedOrigins: [String] = []
    @Option(help: "HTTP port of /metrics and /health. Default 7102.")
    var adminPort: Int?
    @Option(name: .customLong("admin-bind"), help: "Address /metrics and /health listen on (the operator's network, not the public's). Default 127.0.0.1.")
    var adminBindHost: String?
    @Option(name: .customLong("groups"), help: "Groups in this unit (paper: 50). Default 50.")
    var groupsPerUnit: Int?
    @Option(name: .customLong("capacity"), help: "Viewers per group (paper: 10). Default 10.")
    var groupCapacity: Int?
    @Option(help: "Packets each channel feed holds. Default 1024.")
    var feedPackets: Int?
    @Option(help: "Event loops sending media, each with its own socket on the media port (SO_REUSEPORT). Default: the machine's cores.")
    var threads: Int?
    @Option(help: "Packets a TCP viewer may lag before it gets audio only. Default 100.")
    var lagThreshold: Int?
    @Option(name: .customLong("tcp-batch-ms"), help: "TCP viewers get a write at the end of each video frame, or this many milliseconds after a packet came (audio only): what came in between goes in one write. 0: at once. Default 40.")
    var tcpBatchMilliseconds: Int?
    @Option(name: .customLong("max-loop-delay-ms"), help: "Refuse new viewers while the unit's event loop runs its timers later than this (the CSM places none here either). Default 250.")
    var maxLoopDelayMilliseconds: Int?
    @Option(name: .customLong("csm"), help: "A CSM address (host:port); repeat for primary and backup.")
    var csmAddresses: [String] = []
    @Option(help: "File holding the cluster key, the same on every CSM and unit (avserver keygen). Else $AVCLUSTER_SECRET; off loopback one of them is required.")
    var secretFile: String?
    @Option(help: "Sessions one address may hold. Default 256.")
    var sessionsPerAddress: Int?
    @Option(help: "Connections that may wait to open a session at once; past it a newcomer closes the oldest. Default 256.")
    var unopenedSessions: Int?
    @Option(help: "Of those, from one client network. Default 32.")
    var unopenedPerNetwork: Int?
    @Option(help: "Largest RTP packet taken from a broadcaster, in bytes. Default 1500.")
    var maxPacketBytes: Int?
    @Option(help: "Most a channel's broadcaster may send, in kbit/s; the excess is dropped. Default 8000.")
    var maxChannelKbps: Int?
    @Option(help: "Heartbeat interval in milliseconds. Default 500.")
    var heartbeatMilliseconds: Int?
    @OptionGroup var clientNetworks: ClientNetworkOptions

    /// Flags over the settings file over the defaults.
    func settings() throws -> (configuration: UnitConfiguration, adminPort: Int) {
        let file = try config.map(UnitSettingsFile.load) ?? UnitSettingsFile()
        var configuration = UnitConfiguration()
        configuration.unit = UnitID(id ?? file.id ?? 1)
        configuration.publicHost = host ?? file.host ?? configuration.publicHost
        configuration.bindHost = bindHost ?? file.bind ?? configuration.bindHost
        configuration.adminBindHost = adminBindHost ?? file.adminBind ?? configuration.adminBindHost
        configuration.sessionPort = sessionPort ?? file.sessionPort ?? 7100
        configuration.mediaPort = mediaPort ?? file.mediaPort ?? 7101
        switch webSocketPort ?? file.webSocketPort ?? "7103" {
        case "off": configuration.webSocketPort = nil
        case let text:
            guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("--websocket-port takes a port number or off, not '\(text)'") }
            configuration.webSocketPort = port
        }
        configuration.webSocketPublicPort = webSocketPublicPort ?? file.webSocketPublicPort
        configuration.allowedOrigins = allowedOrigins
        for origin in allowedOrigins where OriginPolicy.host(of: origin.lowercased()) == nil {
            throw ValidationError("--allowed-origin \(origin) is not an origin such as https://portal.example.com")
        }
        configuration.groupsPerUnit = groupsPerUnit ?? file.groups ?? configuration.groupsPerUnit
        configuration.groupCapacity = groupCapacity ?? file.capacity ?? configuration.groupCapacity
        configuration.feedCapacity = feedPackets ?? file.feedPackets ?? configuration.feedCapacity
        configuration.lagThreshold = lagThreshold ?? file.lagThreshold ?? configuration.lagThreshold
        configuration.threads = threads ?? file.threads ?? System.coreCount
        if let milliseconds = tcpBatchMilliseconds ?? file.tcpBatchMilliseconds { configuration.tcpBatchInterval = .milliseconds(milliseconds) }
        if let milliseconds = maxLoopDelayMilliseconds ?? file.maxLoopDelayMilliseconds { configuration.maxLoopDelay = .milliseconds(milliseconds) }
        configuration.csmAddresses = csmAddresses.isEmpty ? (file.csm ?? []) : csmAddresses
        configuration.secret = try Secret.load(
            file: secretFile ?? file.secretFile, environment: "AVCLUSTER_SECRET", builtIn: Secret.builtInClusterKey)
        configuration.sessionsPerAddress = sessionsPerAddress ?? file.sessionsPerAddress ?? configuration.sessionsPerAddress
        configuration.unopenedSessions = unopenedSessions ?? configuration.unopenedSessions
        configuration.unopenedSessionsPerNetwork = unopenedPerNetwork ?? configuration.unopenedSessionsPerNetwork
        configuration.heartbeatInterval = .milliseconds(heartbeatMilliseconds ?? file.heartbeatMilliseconds ?? 500)
        configuration.maxPacketBytes = maxPacketBytes ?? file.maxPacketBytes ?? configuration.maxPacketBytes
        configuration.maxChannelBitrate = (maxChannelKbps ?? file.maxChannelKbps).map { $0 * 1000 } ?? configuration.maxChannelBitrate
        configuration.networks = clientNetworks.networks
        try Self.check(configuration)
        return (configuration, adminPort ?? file.adminPort ?? 7102)
    }

    static func check(_ configuration: UnitConfiguration) throws {
        guard configuration.unit.rawValue > 0 else { throw ValidationError("the unit id must be 1 or more") }
        try Secret.check(
            configuration.secret, what: "unit credential", flag: "secret-file", variable: "AVCLUSTER_SECRET", bindHost: configuration.bindHost)
        if let credential = UnitCredential(text: configuration.secret) {
            guard credential.unit == configuration.unit else {
                throw ValidationError("the credential is unit \(credential.unit)'s, not unit \(configuration.unit)'s; make this unit's with 'avserver keygen --unit \(configuration.unit)'")
            }
        } else if !Secret.isLoopback(configuration.bindHost) {
            // A unit faces the Internet: the likeliest machine to fall must not hold a key that speaks for the others.
            throw ValidationError(
                "refusing to listen on \(configuration.bindHost) with the cluster key: a unit takes its own credential; make it on the admin's machine with 'avserver keygen --unit \(configuration.unit) --secret-file cluster.key > unit\(configuration.unit).key' and pass --secret-file unit\(configuration.unit).key")
        }
        guard configuration.sessionsPerAddress >= 1 else { throw ValidationError("sessions per address must be at least 1") }
        guard configuration.unopenedSessions >= 1, configuration.unopenedSessionsPerNetwork >= 1 else {
            throw ValidationError("--unopened-sessions and --unopened-per-network must be at least 1")
        }
        guard (1...4096).contains(configuration.groupsPerUnit) else { throw ValidationError("groups must be between 1 and 4096") }
        guard (1...10_000).contains(configuration.groupCapacity) else { throw ValidationError("capacity must be between 1 and 10000") }
        guard configuration.feedCapacity >= 16 else { throw ValidationError("feed packets must be at least 16") }
        guard (64...65535).contains(configuration.maxPacketBytes) else { throw ValidationError("the packet cap must be between 64 and 65535 bytes") }
        guard configuration.maxChannelBitrate >= 64_000 else { throw ValidationError("the channel bitrate cap must be at least 64 kbit/s") }
        guard (1...256).contains(configuration.threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard configuration.lagThreshold >= 2 else { throw ValidationError("the lag threshold must be at least 2") }
        guard configuration.maxLoopDelay >= .milliseconds(10) else { throw ValidationError("--max-loop-delay-ms must be at least 10") }
        guard (.zero ... .milliseconds(200)).contains(configuration.tcpBatchInterval) else {
            throw ValidationError("--tcp-batch-ms must be 0 to 200: longer adds that much delay for every TCP viewer")
        }
        for csm in configuration.csmAddresses where HostPort.parse(csm) == nil {
            throw ValidationError("CSM address \(csm) is not host:port, e.g. 127.0.0.1:7000")
        }
    }

    func validate() throws {
        do {
            _ = try settings()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let (configuration, adminPort) = try settings()
        let logger = Logger(label: "avserver.unit.\(configuration.unit)")
        let service = UnitService(configuration: configuration, adminPort: adminPort, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
