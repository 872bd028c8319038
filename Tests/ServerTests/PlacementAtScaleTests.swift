import Client
import NIOConcurrencyHelpers
import Testing
import Wire

@testable import Server

@Suite(.serialized) struct PlacementAtScaleTests {
    @Test func twelveHundredViewersArePlacedOnThreeRealUnits() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 3)
        let opened = try await csm.http.openChannel()
        let clients = NIOLockedValueBox<[(SessionClient, UnitID)]>([])
        // 1,200 real sessions, 16 joining at a time.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<(1200 / 16) {
                for index in 0..<16 {
                    group.addTask {
                        let (client, place) = try await csm.http.watch(opened.channel, udp: false, name: "v\(batch * 16 + index)")
                        clients.withLockedValue { $0.append((client, place.unit.unit)) }
                    }
                }
                try await group.waitForAll()
            }
        }
        let placed = clients.withLockedValue { $0 }
        #expect(placed.count == 1200)
        #expect(try await eventually(timeout: .seconds(20)) { try await csm.view().channels.first?.viewers == 1200 })
        let view = try await csm.view()
        let perUnit = Dictionary(grouping: view.units, by: \.unit).mapValues { $0[0].viewers }
        print("1,200 viewers per unit: \(perUnit.sorted { $0.key < $1.key })")
        #expect(perUnit[1]! >= 490)  // the root's unit fills first
        #expect(perUnit[2]! > 0 && perUnit[3]! > 0)
        // No group holds more than its capacity: counted at the units themselves.
        for unit in units.units {
            let fullest = try await unit.inspect { unit in unit.groups.indices.map { unit.viewerCount(in: $0) }.max() ?? 0 }
            #expect(fullest <= 10)
        }
        for (client, _) in placed { await client.close() }
        try await units.shutdown()
        await csm.stop()
    }
}
