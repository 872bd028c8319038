import Client
import Logging
import NIOCore
import NIOPosix
import Wire

@testable import Server

/// Starts real units on loopback and hands out tickets signed with their secret.
final class UnitHarness: Sendable {
    static let secret = "test secret"
    let units: [RunningUnit]
    let loops: MultiThreadedEventLoopGroup
    let signer = TicketSigner(secret: UnitHarness.secret)

    /// `threads` loops for each unit (`--threads`).
    init(units count: Int = 1, threads: Int = 1, configure: @Sendable (inout UnitConfiguration) -> Void = { _ in }) async throws {
        loops = MultiThreadedEventLoopGroup(numberOfThreads: count * threads)
        let allLoops = Array(loops.makeIterator())
        var units: [RunningUnit] = []
        var logger = Logger(label: "test.unit")
        logger.logLevel = .warning
        for index in 0..<count {
            var configuration = UnitConfiguration()
            configuration.unit = UnitID(UInt16(index + 1))
            configuration.secret = Self.secret
            configuration.heartbeatInterval = .milliseconds(100)
            // These units never ran before: no lease of an earlier run can still be running.
            configuration.leaseStartGuard = .zero
            // Every test client comes from 127.0.0.1.
            configuration.sessionsPerAddress = 10_000
            configuration.unopenedSessions = 10_000
            configuration.unopenedSessionsPerNetwork = 10_000
            configuration.threads = threads
            configure(&configuration)
            units.append(try await RunningUnit.start(configuration, on: Array(allLoops[index * threads..<(index + 1) * threads]), logger: logger))
        }
        self.units = units
    }

    var unit: RunningUnit { units[0] }

    func ticket(
        channel: ChannelID = 7, group: GroupID = 1, role: TicketRole, unit: UnitID = 1, expiresIn milliseconds: Int64 = 60_000
    ) -> String {
        signer.sign(Ticket(
            channel: channel, group: group, role: role, unit: unit,
            expiresAtMilliseconds: UInt64(Int64(UnitClock.system.wallMilliseconds()) + milliseconds)))
    }

    /// Opens a session; UDP-bound unless `udp` is false.
    func connect(
        _ role: TicketRole, channel: ChannelID = 7, group: GroupID = 1, on index: Int = 0, udp: Bool = true,
        name: String = "client", receiveBufferSize: Int? = nil, from source: String? = nil
    ) async throws -> SessionClient {
        let unit = units[index]
        let client = try await SessionClient.connect(
            to: unit.address,
            ticket: ticket(channel: channel, group: group, role: role, unit: unit.address.unit),
            peer: role == .broadcaster ? .broadcaster : .viewer, name: name, receiveBufferSize: receiveBufferSize, tcpSource: source)
        if udp { try await client.bindUDP() }
        return client
    }

    func shutdown() async throws {
        for unit in units { try await unit.shutdown() }
        try await loops.shutdownGracefully()
    }
}
