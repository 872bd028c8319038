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

    @Option(help: "JSON settings file, keys as the long flags (\"session-port\": 7100); AVSERVER_UNIT_<FLAG> variables come next, flags last, each over the one before.")
    var config: String?
    @Option(name: .customLong("id"), help: "Unit id, unique in the cluster (1-65535).")
    var id: UInt16 = 1
    @Option(help: "Address clients are told to connect to.")
    var host = UnitConfiguration().publicHost
    @Option(name: .customLong("bind"), help: "Address to listen on.")
    var bindHost = UnitConfiguration().bindHost
    @Option(help: "TCP port of client sessions (0: any free port).")
    var sessionPort = 7100
    @Option(help: "UDP port of media (0: any free port).")
    var mediaPort = 7101
    @Option(name: .customLong("websocket-port"), help: "TCP port where browsers open sessions over WebSocket (0: any free port, off: none).")
    var webSocketPort = "7103"
    @Option(name: .customLong("rtmp-port"), help: "TCP port where RTMP publishers (OBS, ffmpeg, GStreamer) go live with a stream key (0: any free port, off: none).")
    var rtmpPort = "1935"
    @Option(name: .customLong("rtmp-per-network"), help: "RTMP connections one client network may hold at once.")
    var rtmpPerNetwork = UnitConfiguration().rtmpPerNetwork
    @Option(name: .customLong("websocket-public-port"), help: "The WebSocket port browsers are told, where a TLS proxy in front of the unit listens (wss). Default: the port bound.")
    var webSocketPublicPort: Int?
    @Option(name: .customLong("allowed-origin"), help: ArgumentHelp(
        "A web origin (https://portal.example.com) whose pages may open sessions over WebSocket; repeat for several. Pages from loopback and from --host always may.",
        valueName: "ORIGIN"))
    var allowedOrigins: [String] = []
    @Option(help: "HTTP port of /metrics and /health.")
    var adminPort = 7102
    @Option(name: .customLong("admin-bind"), help: "Address /metrics and /health listen on (the operator's network, not the public's).")
    var adminBindHost = UnitConfiguration().adminBindHost
    @Option(name: .customLong("groups"), help: "Groups in this unit (paper: 50).")
    var groupsPerUnit = UnitConfiguration().groupsPerUnit
    @Option(name: .customLong("capacity"), help: "Viewers per group (paper: 10).")
    var groupCapacity = UnitConfiguration().groupCapacity
    @Option(help: "Packets each channel feed holds.")
    var feedPackets = UnitConfiguration().feedCapacity
    @Option(help: "Event loops sending media, each with its own socket on the media port (SO_REUSEPORT). Default: the machine's cores.")
    var threads: Int?
    @Option(help: "Packets a TCP viewer may lag before it gets audio only.")
    var lagThreshold = UnitConfiguration().lagThreshold
    @Option(name: .customLong("tcp-batch-ms"), help: "TCP viewers get a write at the end of each video frame, or this many milliseconds after a packet came (audio only): what came in between goes in one write. 0: at once.")
    var tcpBatchMilliseconds = Int(UnitConfiguration().tcpBatchInterval.wholeMilliseconds)
    @Option(name: .customLong("max-loop-delay-ms"), help: "Refuse new viewers while the unit's event loop runs its timers later than this many milliseconds (the CSM places none here either).")
    var maxLoopDelayMilliseconds = Int(UnitConfiguration().maxLoopDelay.wholeMilliseconds)
    @Option(name: .customLong("csm"), help: "A CSM address (host:port); repeat for primary and backup.")
    var csmAddresses: [String] = []
    @Option(help: "File holding this unit's credential (avserver keygen --unit ID). Else $AVCLUSTER_SECRET; off loopback one of them is required.")
    var secretFile: String?
    @Option(help: "Sessions one address may hold.")
    var sessionsPerAddress = UnitConfiguration().sessionsPerAddress
    @Option(help: "Connections that may wait to open a session at once; past it a newcomer closes the oldest.")
    var unopenedSessions = UnitConfiguration().unopenedSessions
    @Option(help: "Of those, from one client network.")
    var unopenedPerNetwork = UnitConfiguration().unopenedSessionsPerNetwork
    @Option(help: "Largest RTP packet taken from a broadcaster, in bytes.")
    var maxPacketBytes = UnitConfiguration().maxPacketBytes
    @Option(help: "Most a channel's broadcaster may send, in kbit/s; the excess is dropped.")
    var maxChannelKbps = UnitConfiguration().maxChannelBitrate / 1000
    @Option(help: "Heartbeat interval in milliseconds.")
    var heartbeatMilliseconds = Int(UnitConfiguration().heartbeatInterval.wholeMilliseconds)
    @OptionGroup var clientNetworks: ClientNetworkOptions

    /// The unit's configuration and its admin port, from the flags (which `SettingsSources` has
    /// filled from the settings file and the environment).
    func settings() throws -> (configuration: UnitConfiguration, adminPort: Int) {
        var configuration = UnitConfiguration()
        configuration.unit = UnitID(id)
        configuration.publicHost = host
        configuration.bindHost = bindHost
        configuration.adminBindHost = adminBindHost
        configuration.sessionPort = sessionPort
        configuration.mediaPort = mediaPort
        configuration.webSocketPort = try Self.port(webSocketPort, flag: "websocket-port")
        configuration.rtmpPort = try Self.port(rtmpPort, flag: "rtmp-port")
        configuration.rtmpPerNetwork = rtmpPerNetwork
        configuration.webSocketPublicPort = webSocketPublicPort
        configuration.allowedOrigins = allowedOrigins
        for origin in allowedOrigins where OriginPolicy.host(of: origin.lowercased()) == nil {
            throw ValidationError("--allowed-origin \(origin) is not an origin such as https://portal.example.com")
        }
        configuration.groupsPerUnit = groupsPerUnit
        configuration.groupCapacity = groupCapacity
        configuration.feedCapacity = feedPackets
        configuration.lagThreshold = lagThreshold
        configuration.threads = threads ?? System.coreCount
        configuration.tcpBatchInterval = .milliseconds(tcpBatchMilliseconds)
        configuration.maxLoopDelay = .milliseconds(maxLoopDelayMilliseconds)
        configuration.csmAddresses = csmAddresses
        configuration.secret = try Secret.load(file: secretFile, environment: "AVCLUSTER_SECRET", builtIn: Secret.builtInClusterKey)
        configuration.sessionsPerAddress = sessionsPerAddress
        configuration.unopenedSessions = unopenedSessions
        configuration.unopenedSessionsPerNetwork = unopenedPerNetwork
        configuration.heartbeatInterval = .milliseconds(heartbeatMilliseconds)
        configuration.maxPacketBytes = maxPacketBytes
        configuration.maxChannelBitrate = maxChannelKbps * 1000
        configuration.networks = clientNetworks.networks
        try Self.check(configuration)
        return (configuration, adminPort)
    }

    /// A port flag that may say `off`.
    static func port(_ text: String, flag: String) throws -> Int? {
        if text == "off" { return nil }
        guard let port = Int(text), (0...65535).contains(port) else { throw ValidationError("--\(flag) takes a port number or off, not '\(text)'") }
        return port
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
        guard configuration.rtmpPerNetwork >= 1 else { throw ValidationError("--rtmp-per-network must be at least 1") }
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
        _ = try settings()
    }

    func run() async throws {
        let (configuration, adminPort) = try settings()
        let logger = Logger(label: "avserver.unit.\(configuration.unit)")
        let service = UnitService(configuration: configuration, adminPort: adminPort, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
