import Testing
import Wire

@testable import Server

/// The relay tree's bound (`RelayTreeTests`, on the cluster state alone) in a real cluster.
@Suite struct RelayTreeClusterTests {
    /// The tree's depth with real sockets: a CSM and 12 units of 2 groups x 3 places,
    /// viewers joining through the HTTP API until the units are nearly full, the tree read from
    /// `/admin/view`. The chain was 5 hops; now at most 2.
    @Test func twelveRealUnitsGiveAChainOfAtMostTwoRelayHops() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 12, groups: 2, capacity: 3, name: "csm-depth")
        let opened = try await csm.http.openChannel()
        var joined = 0
        for _ in 0..<66 {
            if (try? await csm.http.json(.POST, "/api/channels/\(opened.channel)/join", as: JoinChannelResponse.self)) != nil { joined += 1 }
        }
        #expect(joined >= 60)
        let channel = try #require(try await csm.view().channels.first { $0.channel == opened.channel })
        func hops(_ location: GroupLocation) -> Int {
            var count = 0
            var current = location
            while let parent = channel.tree["\(current)"] {
                if parent.unit != current.unit { count += 1 }
                current = parent
            }
            return count
        }
        let deepest = channel.tree.keys.compactMap { key -> Int? in
            let parts = key.split(separator: "-").compactMap { UInt16($0) }
            return parts.count == 2 ? hops(GroupLocation(unit: UnitID(parts[0]), group: GroupID(parts[1]))) : nil
        }.max() ?? 0
        let unitsUsed = Set(channel.tree.keys.map { $0.split(separator: "-")[0] }).count
        print("12 real units: \(channel.groupCount) groups on \(unitsUsed) units, deepest chain \(deepest) relay hops")
        #expect(unitsUsed >= 10 && deepest <= 2, "\(channel.tree)")
        try await units.shutdown()
        await csm.stop()
    }
}
