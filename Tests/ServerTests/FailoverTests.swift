import Client
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

/// Ports from 20000 up to the ephemeral range (32768 here and by default), each once a process;
/// where the test process starts is taken from its pid so that two test processes rarely meet.
enum TestPorts {
    private static let counter = NIOLockedValueBox(Int(getpid()) % 6000 * 2)

    /// The first of `count` ports in a row (`--rtp-out P` takes P and P+2: 3).
    static func next(count: Int = 1) -> Int {
        counter.withLockedValue { counter in
            if counter + count > 12000 { counter = 0 }
            defer { counter += count }
            return 20000 + counter
        }
    }
}

@Suite(.serialized) struct FailoverTests {
    /// Ports nobody listens on now, for CSMs that must know each other's before they bind, and
    /// for a peer that is never there. Each is handed out once in this process and lies below the
    /// kernel's ephemeral range, so no other test's bind to port 0 can take it in the meantime:
    /// a port released back to that range once went to another suite's CSM, which then heard this
    /// suite's primary and never campaigned.
    static func freePorts(_ count: Int) async throws -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = TestPorts.next()
            // Taken by something outside this process: try the next one.
            guard let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).get()
            else { continue }
            try await channel.close()
            ports.append(port)
        }
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
        let backupEpoch = try await backup.view().epoch
        #expect(backupEpoch == 1, "the units granted the backup a lease: the primary did not renew for a lease time")
        try await units.shutdown()
        await primary.stop()
        await backup.stop()
    }

    @Test func aCSMUnderThePrimarysOwnNameIsNotTakenForItsPeer() async throws {
        let (primary, backup, ports) = try await Self.pair()
        // Another pair's primary, under the same name and key, beating at this pair's first CSM
        // before any unit is there: were it heard, csm-a would take its units for the members and
        // never campaign.
        let twin = PeerLink(
            host: "127.0.0.1", port: ports[0], name: "csm-a", key: ClusterKeys(clusterKey: UnitHarness.secret).peerLink, logger: Logger(label: "test.twin"))
        let beating = Task {
            while !Task.isCancelled {
                await twin.send(Heartbeat(csm: "csm-a", role: .primary, epoch: 5, sentAtMilliseconds: 1, units: [7, 8, 9]))
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let units = try await UnitHarness { $0.csmAddresses = ports.map { "127.0.0.1:\($0)" } }
        #expect(await eventually { await primary.isPrimary() })
        #expect(try await primary.view().epoch == 1)
        #expect(try await primary.http.openChannel().channel.rawValue >= 1)
        beating.cancel()
        await beating.value
        twin.close()
        try await units.shutdown()
        await backup.stop()
        await primary.stop()
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
