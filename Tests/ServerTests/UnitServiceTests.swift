import Client
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct UnitServiceTests {
    @Test func theAdminPortServesMetricsAndHealth() async throws {
        var configuration = UnitConfiguration()
        configuration.unit = 42
        configuration.secret = UnitHarness.secret
        configuration.heartbeatInterval = .milliseconds(50)
        let (started, continuation) = AsyncStream.makeStream(of: (UnitAddress, Int).self)
        let service = UnitService(configuration: configuration, adminPort: 0, logger: Logger(label: "test"), onStarted: { unit, port in
            continuation.yield((unit.address, port ?? 0))
        })
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        var iterator = started.makeAsyncIterator()
        let (address, adminPort) = try #require(await iterator.next())

        // Some traffic, including a packet nobody bound for.
        let signer = TicketSigner(secret: UnitHarness.secret)
        let ticket = signer.sign(Ticket(channel: 1, group: 1, role: .broadcaster, unit: 42, expiresAtMilliseconds: UnitClock.system.wallMilliseconds() + 10_000))
        let broadcaster = try await SessionClient.connect(to: address, ticket: ticket, peer: .broadcaster, name: "b")
        var stream = SyntheticStream()
        broadcaster.sendMedia(stream.next(step: 0), via: .udp)  // not bound yet: dropped
        try await broadcaster.bindUDP()
        broadcaster.sendMedia(stream.next(step: 1), via: .udp)

        let http = APIEndpoint(host: "127.0.0.1", port: adminPort)
        #expect(try await eventually {
            let metrics = String(decoding: try await http.send(.GET, "/metrics").body, as: UTF8.self)
            return metrics.contains(#"avcluster_unit_packets_in_total{unit="42"} 1"#)
                && metrics.contains(#"avcluster_unit_dropped_total{unit="42",reason="unbound_media"} "#)
        })
        #expect(try await eventually { try await http.json(.GET, "/health", as: UnitHealth.self).groups.first?.broadcasterHere == true })
        let health = try await http.json(.GET, "/health", as: UnitHealth.self)
        #expect(health.unit == 42 && health.groups.first?.broadcasterHere == true)
        // Nothing in it for an attacker: no nonces, titles or names.
        let text = String(decoding: try await http.send(.GET, "/health").body, as: UTF8.self)
        for secret in ["Nonce", "nonce", "title", "Tickets", "broadcasterName"] { #expect(!text.contains(secret), "\(text)") }
        await broadcaster.close()
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
