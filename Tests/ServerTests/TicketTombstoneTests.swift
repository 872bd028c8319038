import Client
import Testing
import Wire

@testable import Server

/// Attack 9 of the second round: a viewer ticket taken while a channel was live, used after the
/// channel closed, must neither open a session nor bring the channel back.
@Suite struct TicketTombstoneTests {
    @Test func aTicketOfAClosedChannelOpensNothingAndTheChannelStaysClosed() async throws {
        let csm = try await RunningCSM.start()
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let opened = try await csm.http.openChannel()
        let (viewer, _) = try await csm.http.watch(opened.channel, udp: false)
        let kept = try await csm.http.join(opened.channel)  // taken while live, used later
        try await ClusterAPIClient(urls: ["http://127.0.0.1:\(csm.ports.http)"])!.closeChannel(opened.channel, secret: opened.secret)
        #expect(try await eventually { try await units.unit.inspect { $0.channels.isEmpty } })
        await #expect(throws: ClientError.self) {
            do {
                _ = try await SessionClient.connect(to: kept.unit, ticket: kept.ticket, peer: .viewer, name: "late")
            } catch let error as ClientError {
                #expect("\(error)".contains("has ended"), "\(error)")
                throw error
            }
        }
        // Two heartbeats of the unit on, the CSM lists no such channel and the unit holds no group of it.
        try await Task.sleep(for: .seconds(1))
        #expect(try await csm.view().channels.isEmpty)
        #expect(try await units.unit.inspect { unit in unit.groups.allSatisfy { $0.channel == nil } })
        await viewer.close()
        try await units.shutdown()
        await csm.stop()
    }
}
