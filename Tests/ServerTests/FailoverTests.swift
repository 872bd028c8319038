import Client
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

@Suite(.serialized) struct FailoverTests {
    /// Ports nobody listens on now (bound and released), for CSMs that must know each other's.
    static func freePorts(_ count: Int) async throws -> [Int] {
        var channels: [any Channel] = []
        for _ in 0..<count {
            channels.append(try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get())
        }
        let ports = channels.compactMap { $0.localAddress?.port }
        for channel in channels { try await channel.close() }
        return ports
    }

    static func pair(peerOfPrimary: Int? = nil) async throws -> (primary: RunningCSM, backup: RunningCSM, ports: [Int]) {
        let ports = try await freePorts(2)
        let primary = try await RunningCSM.start {
            $0.name = "csm-a"
            $0.unitPort = ports[0]
            $0.peer = "127.0.0.1:\(peerOfPrimary ?? ports[1])"
            $0.settings.failureTimeout = .seconds(1)
        }
        let backup = try await RunningCSM.start {
            $0.name = "csm-b"
            $0.unitPort = ports[1]
            $0.peer = "127.0.0.1:\(ports[0])"
            $0.startAsBackup = true
            $0.settings.failureTimeout = .seconds(1)
        }
        return (primary, backup, ports)
    }

    static func canJoin(_ csm: RunningCSM, _ channel: ChannelID) async -> Bool {
        (try? await csm.http.join(channel)) != nil
    }

    @Test func theBackupTakesOverWhenThePrimaryDiesAndMediaNeverStops() async throws {
        let (primary, backup, ports) = try await Self.pair()
        let units = try await UnitHarness(units: 3) { $0.csmAddresses = ["127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"] }
        #expect(try await eventually {
            let seenByPrimary = try await primary.view().units.count
            let seenByBackup = try await backup.view().units.count
            return seenByPrimary == 3 && seenByBackup == 3
        })
        #expect(await eventually { await primary.isPrimary() })

        let opened = try await primary.http.openChannel()
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "host")
        try await broadcaster.bindUDP()
        let streaming = Task {
            var stream = SyntheticStream()
            var step = 0
            while !Task.isCancelled {
                broadcaster.sendMedia(stream.next(step: step), via: .udp)
                step += 1
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let (viewerClient, _) = try await primary.http.watch(opened.channel)
        let viewer = UnitFailureTests.PacketLog()
        let following = viewer.follow(viewerClient)
        defer { following.cancel() }
        // The backup follows the units' reports but refuses clients.
        #expect(try await eventually { try await backup.view().channels.first?.channel == opened.channel })
        await #expect(throws: APIEndpoint.Failure.self) { _ = try await backup.http.join(opened.channel) }
        #expect(try await backup.http.send(.GET, "/role").status == 503)
        #expect(try await primary.http.send(.GET, "/role").status == 200)
        // The backup's refusal says it is for a moment only; a client with only the backup gives up
        // when its patience runs out, with the backup's words.
        let refusal = try await backup.http.exchange(.POST, "/api/channels/\(opened.channel)/join")
        #expect(refusal.status == 503 && refusal.retryAfterSeconds == 1)
        let impatient = try #require(ClusterAPIClient(urls: ["http://127.0.0.1:\(backup.ports.http)"], patience: .milliseconds(600)))
        await #expect { _ = try await impatient.joinChannel(opened.channel) } throws: { "\($0)".contains("backup") }

        let urls = ["http://127.0.0.1:\(primary.ports.http)", "http://127.0.0.1:\(backup.ports.http)"]
        let endpoints = try #require(ClusterEndpoints(urls: urls))
        #expect(await endpoints.primary()?.port == primary.ports.http)
        let primaryChannels = try await primary.http.json(.GET, "/api/channels", as: [ChannelSummary].self)
        #expect(try await eventually { try await backup.view().channels.first?.title == "test" })
        let killed = ContinuousClock.now
        await primary.stop()
        // A client that asks at once rides through the takeover: it asks again while the backup
        // answers 503 with Retry-After, and is served once the backup has taken over.
        let place = try await #require(ClusterAPIClient(urls: urls)).joinChannel(opened.channel)
        #expect(place.unit.unit.rawValue > 0)
        print("a join asked at the kill was served \(ContinuousClock.now - killed) later")
        #expect(await eventually(timeout: .seconds(10)) { await Self.canJoin(backup, opened.channel) })
        print("joins work again \(ContinuousClock.now - killed) after the primary stopped")
        let view = try await backup.view()
        // Above the old primary's: 2, or more when a first campaign on a busy machine did not get
        // its majority in time and the backup asked again higher.
        #expect(view.epoch >= 2)
        // The channel is what it was: the root unit's reports carried its title, broadcaster and start.
        let opening = try #require(primaryChannels.first)
        let after = try #require(try await backup.http.json(.GET, "/api/channels", as: [ChannelSummary].self).first)
        #expect(after.title == "test" && after.broadcasterName == "host")
        #expect(after.startedAtMilliseconds == opening.startedAtMilliseconds)
        // A channel opened now gets a number the old primary never gave.
        #expect(try await backup.http.openChannel().channel.rawValue > opened.channel.rawValue)
        #expect(await endpoints.primary()?.port == backup.ports.http)  // a client with both addresses follows
        let log = try await backup.http.json(.GET, "/admin/log?kind=csmPromoted", as: [ClusterLogEntry].self)
        #expect(log.count == 1)

        // The old primary comes back on its ports and becomes the backup.
        let returned = try await RunningCSM.start {
            $0.name = "csm-a"
            $0.unitPort = ports[0]
            $0.peer = "127.0.0.1:\(ports[1])"
            $0.settings.failureTimeout = .seconds(1)
        }
        #expect(try await eventually { try await returned.view().epoch == view.epoch })
        #expect(await eventually { await !Self.canJoin(returned, opened.channel) })
        #expect(await Self.canJoin(backup, opened.channel))

        // The viewer's audio never stopped.
        try await Task.sleep(for: .milliseconds(300))
        #expect(viewer.audioCount > 50)
        #expect(viewer.missing(since: killed - .seconds(1)).isEmpty)
        streaming.cancel()
        try await units.shutdown()
        await returned.stop()
        await backup.stop()
    }

    @Test func aCutLinkBetweenTheCSMsLeavesExactlyOnePrimary() async throws {
        // The primary's heartbeats go to a port nobody listens on: the backup never hears it.
        let nowhere = try await Self.freePorts(1)[0]
        let (primary, backup, ports) = try await Self.pair(peerOfPrimary: nowhere)
        let units = try await UnitHarness(units: 3) { $0.csmAddresses = ["127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"] }
        #expect(try await eventually { try await backup.activeUnits() == 3 })
        #expect(await eventually { await primary.isPrimary() })
        let opened = try await primary.http.openChannel()
        try await Task.sleep(for: .seconds(3))  // three failure timeouts: the backup asked the units, and they said no
        #expect(await Self.canJoin(primary, opened.channel))
        #expect(await !Self.canJoin(backup, opened.channel))
        #expect(try await backup.view().epoch == 1)
        try await units.shutdown()
        await primary.stop()
        await backup.stop()
    }
}

/// The one way clients, the portal and the admin CLI find the server to talk to.
@Suite struct ClusterEndpointsTests {
    @Test func aServerThatIsDownIsPassedOverAndNamedWhenAllAre() async throws {
        let csm = try await RunningCSM.start { $0.name = "csm-endpoints" }
        let nowhere = try await FailoverTests.freePorts(1)[0]
        let endpoints = try #require(ClusterEndpoints(urls: ["http://127.0.0.1:\(nowhere)", "http://127.0.0.1:\(csm.ports.http)"]))
        #expect(try await endpoints.exchange(.GET, "/api/channels").status == 200)
        #expect(await endpoints.primary()?.port == csm.ports.http)
        let client = ClusterAPIClient(endpoints: endpoints)
        #expect(try await client.listChannels().isEmpty)
        await csm.stop()
        let stopped = ContinuousClock.now
        await #expect { _ = try await client.listChannels() } throws: {
            "\($0)".contains("no server answered at 127.0.0.1:\(nowhere), 127.0.0.1:\(csm.ports.http)")
        }
        print("all down: said so after \(ContinuousClock.now - stopped)")
        #expect(await endpoints.primary() == nil)
        #expect(ClusterEndpoints(urls: ["http://127.0.0.1:80", "ftp://x:y:z"]) == nil)
    }
}
