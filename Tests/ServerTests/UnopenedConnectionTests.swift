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
            (unit.counters, unit.unopened.count, unit.pendingEvents.count { $0.kind == .sessionRefused })
        }
        print("viewers with tickets admitted while 1,000 silent connections came from 4 addresses: \(admitted) of 12; silent connections shed: \(counters.unopenedShed), waiting: \(waiting), refusal events queued: \(refusalsTold)")
        #expect(admitted == 12)
        #expect(waiting <= UnitConfiguration().unopenedSessions)
        #expect(counters.sessionsRefused == 0 && refusalsTold == 0, "shedding a silent connection is no event")
        for peer in silent { try? await peer.channel.close() }
        _ = broadcaster
        try await harness.shutdown()
    }

    @Test func thePoolShedsTheOldestOfTheNetworkThenOfAll() {
        var pool = UnopenedPool(total: 4, perNetwork: 2)
        #expect(pool.admit(1, network: "a").isEmpty && pool.admit(2, network: "a").isEmpty)
        #expect(pool.admit(3, network: "a") == [1], "a network past its share sheds its own oldest")
        #expect(pool.admit(4, network: "b").isEmpty && pool.admit(5, network: "c").isEmpty)
        #expect(pool.admit(6, network: "d") == [2], "past the total: the oldest of all")
        pool.remove(3)
        #expect(pool.count == 3 && pool.admit(7, network: "a").isEmpty)
    }

    @Test func refusalsAreToldAsOneLineEachInterval() {
        let start = NIODeadlineStart.now
        var tally = RefusalTally(interval: .seconds(10), now: start)
        for _ in 0..<500 { tally.note("badTicket") }
        tally.note("noRoom")
        #expect(tally.summary(now: start + .seconds(5)) == nil)
        #expect(tally.summary(now: start + .seconds(10)) == "501 sessions refused in the last 10 s: 500 badTicket, 1 noRoom")
        #expect(tally.summary(now: start + .seconds(20)) == nil, "nothing new")
    }
}

import NIOCore

enum NIODeadlineStart {
    static let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
}
