import Client
import DataPlane
import Testing
import Wire

@testable import Server

/// Attack 2 of the second round: connections that never open a session must not hold the
/// unit's places, nor flood the CSMs with one event per refusal.
@Suite(.serialized) struct UnopenedConnectionTests {
    @Test func aThousandSilentConnectionsFromFourAddressesLeaveRoomForEveryViewerWithATicket() async throws {
        // The unit's own defaults for the pool and the per-address cap, not the harness's.
        let harness = try await UnitHarness {
            $0.sessionsPerAddress = UnitConfiguration().sessionsPerAddress
            $0.unopenedSessions = UnitConfiguration().unopenedSessions
            $0.unopenedSessionsPerNetwork = UnitConfiguration().unopenedSessionsPerNetwork
            // On a loaded machine making 1,000 connections takes longer than the 5 s open timeout,
            // whose refusals are real ones: here only shedding may close the silent connections.
            $0.openTimeout = .seconds(120)
        }
        let broadcaster = try await harness.connect(.broadcaster, udp: false)
        var silent: [RawTCPPeer] = []
        for round in 0..<250 {
            for address in 0..<4 { silent.append(try await RawTCPPeer(port: harness.unit.address.sessionPort, from: "127.0.1.\(10 + address)")) }
            if round % 50 == 49 { try await Task.sleep(for: .milliseconds(10)) }
        }
        var admitted = 0
        for index in 0..<12 {
            do {
                let viewer = try await harness.connect(.viewer, group: GroupID(UInt16(2 + index / 10)), udp: false, name: "honest \(index)", from: "127.0.2.\(index)")
                admitted += 1
                await viewer.close()
            } catch {
                Issue.record("honest viewer \(index) refused: \(error)")
            }
        }
        let (counters, waiting, refusalsTold) = try await harness.unit.inspect { unit in
            (unit.counters, unit.admission.unopened.count, unit.control.pendingEvents.count { $0.kind == .sessionRefused })
        }
        print("viewers with tickets admitted while 1,000 silent connections came from 4 addresses: \(admitted) of 12; silent connections shed: \(counters.unopenedShed), waiting: \(waiting), refusal events queued: \(refusalsTold)")
        #expect(admitted == 12)
        #expect(waiting <= UnitConfiguration().unopenedSessions)
        #expect(counters.sessionsRefused == 0 && refusalsTold == 0, "shedding a silent connection is no event")
        for peer in silent { try? await peer.channel.close() }
        _ = broadcaster
        try await harness.shutdown()
    }
}
