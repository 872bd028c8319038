import ArgumentParser
import Logging
import ServiceLifecycle
import Wire

/// `avserver unit`: one streaming unit.
struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit",
        abstract: "Run a streaming unit: groups of viewers, channel feeds, UDP and TCP media, relay links."
    )

    @Option(name: .customLong("id"), help: "Unit id, unique in the cluster (1-65535).")
    var id: UInt16 = 1
    @Option(help: "Address clients are told to connect to.")
    var host = "127.0.0.1"
    @Option(name: .customLong("bind"), help: "Address to listen on.")
    var bindHost = "127.0.0.1"
    @Option(help: "TCP port of client sessions (0: any free port).")
    var sessionPort = 7100
    @Option(help: "UDP port of media (0: any free port).")
    var mediaPort = 7101
    @Option(help: "HTTP port of /metrics and /health.")
    var adminPort = 7102
    @Option(name: .customLong("groups"), help: "Groups in this unit (paper: 50).")
    var groupsPerUnit = 50
    @Option(name: .customLong("capacity"), help: "Viewers per group (paper: 10).")
    var groupCapacity = 10
    @Option(help: "Packets each channel feed holds.")
    var feedPackets = 1024
    @Option(help: "Packets a TCP viewer may lag before it gets audio only.")
    var lagThreshold = 100
    @Option(name: .customLong("csm"), help: "A CSM address (host:port); repeat for primary and backup.")
    var csmAddresses: [String] = []
    @Option(help: "Secret shared with the CSM for tickets.")
    var secret = UnitConfiguration().ticketSecret
    @Option(help: "Heartbeat interval in milliseconds.")
    var heartbeatMilliseconds = 500

    func validate() throws {
        guard id > 0 else { throw ValidationError("--id must be 1 or more") }
        guard (1...4096).contains(groupsPerUnit) else { throw ValidationError("--groups must be between 1 and 4096") }
        guard (1...10_000).contains(groupCapacity) else { throw ValidationError("--capacity must be between 1 and 10000") }
        guard feedPackets >= 16 else { throw ValidationError("--feed-packets must be at least 16") }
        guard lagThreshold >= 2 else { throw ValidationError("--lag-threshold must be at least 2") }
        for csm in csmAddresses where HostPort.parse(csm) == nil {
            throw ValidationError("--csm \(csm) is not host:port, e.g. 127.0.0.1:7000")
        }
    }

    var unitConfiguration: UnitConfiguration {
        var configuration = UnitConfiguration()
        configuration.unit = UnitID(id)
        configuration.publicHost = host
        configuration.bindHost = bindHost
        configuration.sessionPort = sessionPort
        configuration.mediaPort = mediaPort
        configuration.groupsPerUnit = groupsPerUnit
        configuration.groupCapacity = groupCapacity
        configuration.feedCapacity = feedPackets
        configuration.lagThreshold = lagThreshold
        configuration.csmAddresses = csmAddresses
        configuration.ticketSecret = secret
        configuration.heartbeatInterval = .milliseconds(heartbeatMilliseconds)
        return configuration
    }

    func run() async throws {
        let logger = Logger(label: "avserver.unit.\(id)")
        let service = UnitService(configuration: unitConfiguration, adminPort: adminPort, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
