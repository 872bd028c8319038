import Client
import NIOCore
import TestSupport
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

@Suite(.serialized) struct ClusterTests {
    static func startCluster(
        units count: Int, groups: Int = 50, capacity: Int = 10, threshold: Int = 3, name: String = "csm", restartable: Bool = false,
        configure: @escaping @Sendable (inout UnitConfiguration) -> Void = { _ in }
    ) async throws -> (RunningCSM, UnitHarness) {
        // A CSM to be restarted on its ports takes ones no other test's bind to port 0 can get while it is down.
        let ports = restartable ? try await FailoverTests.freePorts(2) : [0, 0]
        let csm = try await RunningCSM.start {
            $0.settings.expansionThreshold = threshold
            // A dozen units in one debug test process beside other suites run late at times: that
            // is the test machine, not load to admit by (UnitLimitsTests and ClusterStateTests test that).
            $0.settings.maxUnitLoopDelay = .seconds(10)
            // A channel these tests open without a broadcaster must not be closed as unused while
            // a starved run is still joining it (ChannelLifetimeTests test that grace).
            $0.settings.unusedOpenGrace = .seconds(120)
            $0.name = name
            $0.unitPort = ports[0]
            $0.httpPort = ports[1]
        }
        let address = csm.unitAddress
        let units = try await UnitHarness(units: count) {
            $0.groupsPerUnit = groups
            $0.groupCapacity = capacity
            $0.csmAddresses = [address]
            $0.maxLoopDelay = .seconds(10)
            configure(&$0)
        }
        // Time enough for a starved run (a dozen units' handshakes on a loaded machine).
        #expect(try await eventually(timeout: .seconds(30)) { try await csm.activeUnits() == count })
        return (csm, units)
    }

    @Test func aChannelGrowsAcrossUnitsAndMediaFollowsTheTree() async throws {
        // A name of its own: the metrics registry is shared by every CSM in this test process.
        let (csm, units) = try await Self.startCluster(units: 3, groups: 2, capacity: 2, threshold: 1, name: "csm-tree")
        let opened = try await csm.http.openChannel()
        #expect(opened.unit.unit == 1)
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "host")
        try await broadcaster.bindUDP()
        var viewers: [(EventRecorder, UnitID)] = []
        for index in 0..<10 {
            let (client, place) = try await csm.http.watch(opened.channel, name: "v\(index)")
            viewers.append((EventRecorder(client), place.unit.unit))
        }
        // Two groups of two on each unit: the channel filled unit 1, then spread over relay links.
        #expect(Set(viewers.map(\.1)) == [1, 2, 3])
        let view = try await csm.view()
        let channel = try #require(view.channels.first)
        #expect(channel.root == GroupLocation(unit: 1, group: 1))
        #expect(channel.groupCount >= 5)
        #expect(channel.tree.values.allSatisfy { parent in view.units.contains { $0.unit == parent.unit } })

        // Wait for every relay link, then stream: every viewer on every unit gets every packet.
        #expect(try await eventually {
            var up = true
            for index in 1...2 {
                let linksUp = try await units.units[index].inspect { unit in unit.channels.values.allSatisfy { $0.parentLink?.isUp ?? true } }
                up = up && linksUp
            }
            return up
        })
        var stream = TestStream()
        let sent = try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: 0..<40)
        for (viewer, unit) in viewers {
            #expect(await viewer.wait { $0.packets.count >= sent.count }, "viewer on unit \(unit)")
            #expect(difference(viewer.recorded.packets.map(\.packet), sent) == nil)
        }

        // The admin sees the viewers the units report, and the log has the story.
        #expect(try await eventually { try await csm.view().channels.first?.viewers == 10 })
        let log = try await csm.http.json(.GET, "/admin/log?kind=channelExpanded", as: [ClusterLogEntry].self)
        #expect(log.count >= 4)
        let opens = try await csm.http.json(.GET, "/admin/log?kind=sessionOpened&limit=5", as: [ClusterLogEntry].self)
        #expect(opens.count == 5)
        let metrics = String(decoding: try await csm.http.send(.GET, "/metrics").body, as: UTF8.self)
        #expect(metrics.contains(#"avcluster_csm_joins_total{csm="csm-tree"}"#) && metrics.contains(#"avcluster_csm_units{csm="csm-tree"} 3"#))
        try await units.shutdown()
        await csm.stop()
    }

    @Test func aFullClusterAnswersNoRoomAndBadRequestsGetClearErrors() async throws {
        let (csm, units) = try await Self.startCluster(units: 1, groups: 1, capacity: 2, threshold: 0)
        let opened = try await csm.http.openChannel()
        _ = try await csm.http.join(opened.channel)
        _ = try await csm.http.join(opened.channel)
        await #expect(throws: APIEndpoint.Failure.self) {
            do { _ = try await csm.http.join(opened.channel) } catch let failure as APIEndpoint.Failure {
                #expect(failure.status == 503 && failure.message.contains("full"))
                throw failure
            }
        }
        await #expect(throws: APIEndpoint.Failure.self) { _ = try await csm.http.openChannel() }  // no free group
        let (status, body) = try await csm.http.send(.POST, "/api/channels/abc/join")
        #expect(status == 400 && String(decoding: body, as: UTF8.self).contains("positive whole number"))
        let unauthorized = try await APIEndpoint(host: "127.0.0.1", port: csm.ports.http).send(.GET, "/admin/view")
        #expect(unauthorized.status == 401)
        let close = try await csm.http.send(.POST, "/api/channels/\(opened.channel)/close", body: Array(#"{"secret":"wrong"}"#.utf8))
        #expect(close.status == 403)
        let closed = try await csm.http.send(.POST, "/api/channels/\(opened.channel)/close", body: Array("{\"secret\":\"\(opened.secret)\"}".utf8))
        #expect(closed.status == 204)
        #expect(try await eventually { try await csm.view().units.first?.groups.isEmpty == true })
        try await units.shutdown()
        await csm.stop()
    }

    @Test func aRestartedCSMRebuildsTheSameViewFromReports() async throws {
        let (csm, units) = try await Self.startCluster(units: 3, groups: 3, capacity: 3, threshold: 1, restartable: true)
        var sessions: [SessionClient] = []
        for title in ["one", "two"] {
            let opened = try await csm.http.openChannel(title: title)
            let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: title)
            sessions.append(broadcaster)
            for _ in 0..<(title == "one" ? 12 : 4) { sessions.append(try await csm.http.watch(opened.channel, udp: false).0) }
        }
        #expect(try await eventually { try await csm.view().channels.map(\.viewers) == [12, 4] })
        let before = try await csm.view()
        let ports = csm.ports
        await csm.stop()

        let restarted = try await RunningCSM.start {
            $0.unitPort = ports.unit
            $0.httpPort = ports.http
        }
        #expect(try await eventually { try await restarted.view().channels.map(\.viewers) == [12, 4] })
        let after = try await restarted.view()
        #expect(after.structure == before.structure)
        // And it carries on: a new viewer joins the rebuilt channel.
        sessions.append(try await restarted.http.watch(try #require(before.channels.first).channel).0)
        for session in sessions { await session.close() }
        try await units.shutdown()
        await restarted.stop()
    }
}
