import Client
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing
import Wire

@testable import Server

/// A raw control-protocol connection, as a stranger (or a broken peer) would open one.
struct RawLink {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func connect(port: Int, from source: String? = nil) async throws -> RawLink {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .control)))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return RawLink(channel: channel)
    }

    /// Sends the messages, then reads every frame until the other side closes or `timeout` passes.
    /// `closed` says whether the other side closed the connection.
    func exchange(_ messages: [any Encodable], timeout: Duration = .seconds(4)) async throws -> (frames: [String], closed: Bool) {
        try await channel.executeThenClose { inbound, outbound in
            // Writes after the other side closed may fail (a reset): that is a close too.
            for message in messages { try? await outbound.write(message: message) }
            return try await withThrowingTaskGroup(of: ([String], Bool)?.self) { group in
                group.addTask {
                    var frames: [String] = []
                    do {
                        for try await frame in inbound { frames.append(String(decoding: frame.readableBytesView, as: UTF8.self)) }
                    } catch {
                        return (frames, true)
                    }
                    return (frames, true)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                return first ?? ([], false)
            }
        }
    }
}

@Suite(.serialized) struct HostileNetworkTests {
    static let stranger = LinkKey(secret: "a guess")

    static func heartbeat(epoch: UInt64) -> PeerMessage {
        .heartbeat(Heartbeat(csm: "aaa-stranger", role: .primary, epoch: epoch, sentAtMilliseconds: 1))
    }

    static func role(_ csm: RunningCSM) async throws -> (status: Int, body: String) {
        let (status, body) = try await csm.http.send(.GET, "/role")
        return (status, String(decoding: body, as: UTF8.self))
    }

    @Test func aStrangerWithoutTheKeyCannotDemoteThePrimaryOrRegisterAUnit() async throws {
        let (primary, backup, ports) = try await FailoverTests.pair()
        let units = try await UnitHarness { $0.csmAddresses = ports.map { "127.0.0.1:\($0)" } }
        #expect(try await eventually { try await primary.activeUnits() == 1 })
        #expect(await eventually { await primary.isPrimary() })
        let opened = try await primary.http.openChannel()

        // The issue's attack: a hello as a CSM, then eight heartbeats claiming primary at epoch 1000.
        var messages: [any Encodable] = [PeerMessage.hello(Hello(peer: .csm, name: "aaa-stranger", nonce: "AAAA"))]
        messages += (0..<8).map { _ in Self.heartbeat(epoch: 1000) }
        for port in ports {
            let (frames, closed) = try await RawLink.connect(port: port).exchange(Array(messages.prefix(1)))
            #expect(closed, "the CSM closes a link that does not prove the key")
            #expect(frames.contains { $0.contains("notAuthenticated") && $0.contains("nonce") })
            #expect(try await RawLink.connect(port: port).exchange(messages).closed)
        }
        // A stranger that plays the handshake with a guessed key: refused at the proof.
        let guessed = try await RawLink.connect(port: ports[0]).exchange(
            [PeerMessage.hello(Hello(peer: .csm, name: "aaa-stranger", nonce: "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE"))]
                + [PeerMessage.hello(Hello(peer: .csm, name: "aaa-stranger", proof: "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE"))]
                + (0..<8).map { _ in Self.heartbeat(epoch: 1000) })
        #expect(guessed.closed && guessed.frames.contains { $0.contains("proof of the cluster key is wrong") })
        // And as a unit: announce unit 77, report absurd numbers.
        let report = UnitReport(
            unit: 77, epoch: 1, sentAtMilliseconds: 1,
            groups: [GroupReport(group: 1, channel: 1, parent: nil, broadcasterHere: true, udpViewers: .max - 1, tcpViewers: 1, bytesSent: 0)],
            load: UnitLoad(viewers: 0, bytesPerSecond: 0, freeGroups: 0), draining: false)
        let unit = try await RawLink.connect(port: ports[0]).exchange([
            UnitMessage.hello(Hello(peer: .unit, name: "unit 77")),
            UnitMessage.announce(UnitAnnouncement(
                address: UnitAddress(unit: 77, host: "127.0.0.1", sessionPort: 1, mediaPort: 2), adminPort: nil, groupsPerUnit: 50,
                groupCapacity: 10, epoch: 1000)),
            UnitMessage.report(report),
        ])
        #expect(unit.closed)

        // Three seconds on, the cluster is as it was: one primary at epoch 1, the one unit, joins work.
        try await Task.sleep(for: .seconds(3))
        let (primaryStatus, primaryRole) = try await Self.role(primary)
        #expect(primaryStatus == 200 && primaryRole.contains("\"epoch\":1"))
        #expect(try await Self.role(backup).status == 503)
        #expect(try await primary.view().units.map(\.unit) == [1])
        #expect(try await primary.http.join(opened.channel).channel == opened.channel)
        try await units.shutdown()
        await backup.stop()
        await primary.stop()
    }

    @Test func aRecordedValidHandshakeReplayedLaterFails() async throws {
        let csm = try await RunningCSM.start()
        let key = ClusterKeys(clusterKey: UnitHarness.secret).unitLink(5)
        // A real unit's handshake, recorded: its hello and its proof over the CSM's nonce.
        let nonce = LinkKey.freshNonce()
        let hello = UnitMessage.hello(Hello(peer: .unit, name: "unit 5", nonce: Data(nonce).base64URL))
        let link = try await RawLink.connect(port: csm.ports.unit)
        let proof: UnitMessage = try await link.channel.executeThenClose { inbound, outbound in
            try await outbound.write(message: hello)
            var frames = inbound.makeAsyncIterator()
            let challenge = try ControlCoder.decodeHello(from: try #require(try await frames.next()))
            let theirs = try #require(challenge.nonce.flatMap { Data(base64URL: $0) })
            #expect(key.verify(
                try #require(challenge.proof.flatMap { Data(base64URL: $0) }).map { $0 }, side: .responder, role: .unit,
                initiatorNonce: nonce, responderNonce: Array(theirs)))
            let proof = key.proof(side: .initiator, role: .unit, initiatorNonce: nonce, responderNonce: Array(theirs))
            return UnitMessage.hello(Hello(peer: .unit, name: "unit 5", proof: Data(proof).base64URL))
        }
        // Replayed on a new connection: the CSM's nonce is new, so the recorded proof fails.
        let (frames, closed) = try await RawLink.connect(port: csm.ports.unit).exchange([hello, proof])
        #expect(closed && frames.contains { $0.contains("proof of the cluster key is wrong") })
        await csm.stop()
    }

    @Test func absurdNumbersFromAnAuthenticatedUnitAreRefusedWithMessages() async throws {
        let csm = try await RunningCSM.start()
        let key = ClusterKeys(clusterKey: UnitHarness.secret).unitLink(9)
        let link = try await RawLink.connect(port: csm.ports.unit)
        let replies: [String] = try await link.channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            let nonce = LinkKey.freshNonce()
            try await outbound.write(message: UnitMessage.hello(Hello(peer: .unit, name: "unit 9", nonce: Data(nonce).base64URL)))
            let challenge = try ControlCoder.decodeHello(from: try #require(try await frames.next()))
            let theirs = Array(try #require(challenge.nonce.flatMap { Data(base64URL: $0) }))
            let proof = key.proof(side: .initiator, role: .unit, initiatorNonce: nonce, responderNonce: theirs)
            try await outbound.write(message: UnitMessage.hello(Hello(peer: .unit, name: "unit 9", proof: Data(proof).base64URL)))
            // Every numeric field at its extremes, one message each.
            let address = UnitAddress(unit: 9, host: "127.0.0.1", sessionPort: 1, mediaPort: 2)
            let extremes: [String] = [
                #"{"announce":{"_0":{"address":{"unit":9,"host":"h","sessionPort":70000,"mediaPort":1},"groupsPerUnit":50,"groupCapacity":10,"epoch":1}}}"#,
                #"{"announce":{"_0":{"address":{"unit":9,"host":"h","sessionPort":1,"mediaPort":1},"groupsPerUnit":9223372036854775807,"groupCapacity":10,"epoch":1}}}"#,
                #"{"announce":{"_0":{"address":{"unit":9,"host":"h","sessionPort":1,"mediaPort":1},"groupsPerUnit":50,"groupCapacity":-1,"epoch":1}}}"#,
                #"{"announce":{"_0":{"address":{"unit":9,"host":"h","sessionPort":1,"mediaPort":1},"groupsPerUnit":50,"groupCapacity":10,"epoch":18446744073709551615}}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[{"group":1,"channel":1,"broadcasterHere":true,"udpViewers":9223372036854775807,"tcpViewers":9223372036854775807,"bytesSent":1}],"load":{"viewers":0,"bytesPerSecond":0,"freeGroups":0},"draining":false}}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[],"load":{"viewers":-9223372036854775808,"bytesPerSecond":18446744073709551615,"freeGroups":0},"draining":false}}}"#,
                #"{"event":{"_0":{"unit":9,"timeMilliseconds":18446744073709551615,"kind":"error","details":"x"}}}"#,
                #"{"lease":{"id":1,"epoch":18446744073709551615,"grantedMilliseconds":1000}}"#,
                #"{"lease":{"id":1,"epoch":1,"grantedMilliseconds":18446744073709551615}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[{"group":65535,"channel":1,"broadcasterHere":true,"udpViewers":1,"tcpViewers":1,"bytesSent":1}],"load":{"viewers":0,"bytesPerSecond":0,"freeGroups":0},"draining":false}}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[],"load":{"viewers":0,"bytesPerSecond":0,"freeGroups":0,"loopDelayMilliseconds":18446744073709551615},"draining":false}}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[],"load":{"viewers":0,"bytesPerSecond":0,"freeGroups":0,"blockedReceivers":-1},"draining":false}}}"#,
                #"{"report":{"_0":{"unit":9,"epoch":1,"sentAtMilliseconds":1,"groups":[{"group":1,"channel":1,"broadcasterHere":true,"udpViewers":1,"tcpViewers":1,"bytesSent":1,"openedTickets":[\#((0...10_000).map(String.init).joined(separator: ","))]}],"load":{"viewers":0,"bytesPerSecond":0,"freeGroups":0},"draining":false}}}"#,
            ]
            for text in extremes {
                var frame = ByteBuffer()
                try LengthPrefixedFramer.control.write(bytes: Array(text.utf8), to: &frame)
                try await outbound.write(frame)
            }
            // Then a sane announcement: the link still works.
            try await outbound.write(message: UnitMessage.announce(UnitAnnouncement(address: address, adminPort: nil, groupsPerUnit: 50, groupCapacity: 10, epoch: 0)))
            var replies: [String] = []
            for _ in extremes {
                guard let frame = try await frames.next() else { break }
                replies.append(String(decoding: frame.readableBytesView, as: UTF8.self))
            }
            return replies
        }
        #expect(replies.count == 13)
        #expect(replies.allSatisfy { $0.contains("outOfRange") || $0.contains("malformed") })
        #expect(replies.filter { $0.contains("outOfRange") }.count >= 11)
        #expect(replies.contains { $0.contains("openedTickets") } && replies.contains { $0.contains("loopDelayMilliseconds") })
        // The CSM is up, took the sane announcement and nothing absurd.
        #expect(try await eventually { try await csm.view().units.map(\.unit) == [9] })
        await csm.stop()
    }

    @Test func slowLinksAreClosedAfterTheirTimeoutsWhileOthersAreServed() async throws {
        let csm = try await RunningCSM.start {
            $0.helloTimeout = .milliseconds(500)
            $0.httpIdleTimeout = .seconds(1)
        }
        let harness = try await UnitHarness { $0.openTimeout = .milliseconds(500) }
        // Connect and say nothing, on the CSM's unit port and on a unit's session port.
        let silentCSM = try await RawLink.connect(port: csm.ports.unit)
        let silentUnit = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: harness.unit.address.sessionPort).get()
        let (frames, closed) = try await silentCSM.exchange([], timeout: .seconds(5))
        #expect(closed && frames.contains { $0.contains("no handshake within") })
        #expect(try await eventually(timeout: .seconds(5)) { !silentUnit.isActive })
        // HTTP: half a request head, then nothing.
        let slowHTTP = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: csm.ports.http).get()
        try await slowHTTP.writeAndFlush(ByteBuffer(string: "GET /role HTTP/1.1\r\nHost: x\r\n"))
        #expect(try await eventually(timeout: .seconds(5)) { !slowHTTP.isActive })
        // Meanwhile new clients are served.
        _ = try await harness.connect(.viewer)
        #expect(try await Self.role(csm).status == 200)
        try await harness.shutdown()
        await csm.stop()
    }

    @Test func aSessionThatGoesQuietIsClosedButATCPReceiverIsNot() async throws {
        let harness = try await UnitHarness { $0.sessionIdleTimeout = .seconds(1) }
        let broadcaster = try await harness.connect(.broadcaster)
        let quiet = EventRecorder(try await harness.connect(.viewer, udp: false, name: "quiet"))
        let tcpClient = try await harness.connect(.viewer, udp: false, name: "tcp")
        tcpClient.send(.setMode(.tcp, reason: "test"))
        let tcp = EventRecorder(tcpClient)
        // The broadcaster keeps its binding alive, as every client does.
        for _ in 0..<25 {
            broadcaster.sendBind()
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await quiet.wait { $0.closed })
        #expect(quiet.recorded.messages.contains { if case .error(let error) = $0 { error.message.contains("nothing heard") } else { false } })
        #expect(!tcp.recorded.closed)
        #expect(try await harness.unit.inspect { $0.sessions[broadcaster.opened.session] != nil })
        try await harness.shutdown()
    }

    @Test func aViewerThatNeverReadsIsCutOffAndTheOthersKeepEveryPacket() async throws {
        let harness = try await UnitHarness { configuration in
            configuration.sessionSendBuffer = 16 << 10
            configuration.feedCapacity = 4096
            configuration.stallTimeout = .milliseconds(500)
        }
        let broadcaster = try await harness.connect(.broadcaster)
        let udpViewer = EventRecorder(try await harness.connect(.viewer, name: "udp"))
        let tcpClient = try await harness.connect(.viewer, udp: false, name: "tcp")
        tcpClient.send(.setMode(.tcp, reason: "test"))
        let tcpViewer = EventRecorder(tcpClient)
        let stuckClient = try await harness.connect(.viewer, udp: false, name: "stuck", receiveBufferSize: 4 << 10)
        stuckClient.send(.setMode(.tcp, reason: "test"))
        let stuck = EventRecorder(stuckClient)
        #expect(await stuck.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
        #expect(await tcpViewer.wait { $0.messages.contains(.modeChanged(.tcp, reason: "test")) })
        try await stuckClient.setReading(false)

        var stream = TestStream(keyframeInterval: 10)
        var sent: [ReceivedPacket] = []
        var step = 0
        while try await harness.unit.inspect({ $0.sessions[stuckClient.opened.session] != nil }), step < 4000 {
            sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: step..<(step + 50))
            step += 50
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await harness.unit.inspect { $0.sessions[stuckClient.opened.session] == nil }, "the stuck viewer was cut off")
        sent += try await UnitFanOutTests.broadcast(broadcaster, stream: &stream, steps: step..<(step + 50))
        #expect(await udpViewer.wait { $0.packets.count >= sent.count })
        #expect(difference(udpViewer.recorded.packets.map(\.packet), sent) == nil)
        #expect(await tcpViewer.wait { $0.packets.last?.packet.sequence == sent.last?.sequence })
        _ = stuck
        try await harness.shutdown()
    }

    @Test func opensFromOneAddressGet429WhileAnotherAddressStillOpens() async throws {
        let csm = try await RunningCSM.start { $0.rateLimits = RateLimits() }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        var statuses: [Int] = []
        var retryAfter = false
        for _ in 0..<200 {
            // An anonymous client: no admin token, so the limits apply.
            let anonymous = APIEndpoint(host: "127.0.0.1", port: csm.ports.http)
            let (status, _) = try await anonymous.send(.POST, "/api/channels", body: Array(#"{"title":"x","broadcasterName":"y"}"#.utf8))
            statuses.append(status)
            if status == 429 { retryAfter = true; break }
        }
        #expect(retryAfter && statuses.filter { $0 == 201 || $0 == 200 }.count == RateLimits().openBurst)
        // The unit (50 groups) is not full: another address opens at once.
        let other = try await RawLink.rawHTTP(port: csm.ports.http, from: "127.0.0.2", "POST /api/channels", body: #"{"title":"x","broadcasterName":"y"}"#)
        #expect(other.hasPrefix("HTTP/1.1 200") || other.hasPrefix("HTTP/1.1 201"), "\(other)")
        try await units.shutdown()
        await csm.stop()
    }

    @Test func aChannelWhoseBroadcasterNeverConnectsIsClosedAfterTheGrace() async throws {
        let csm = try await RunningCSM.start { $0.settings.broadcasterGrace = .seconds(1) }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let opened = try await csm.http.openChannel()
        #expect(try await csm.view().channels.map(\.channel) == [opened.channel])
        #expect(try await eventually(timeout: .seconds(5)) { try await csm.view().channels.isEmpty })
        #expect(try await eventually { try await units.unit.inspect { $0.channels.isEmpty } })
        try await units.shutdown()
        await csm.stop()
    }

    @Test func aCSMOffLoopbackWithoutASecretFileRefusesToStart() throws {
        let process = Process()
        process.executableURL = UnitProcess.binary
        process.arguments = ["csm", "--bind", "0.0.0.0", "--unit-port", "0", "--http-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["AVCLUSTER_SECRET"] = nil
        environment["AVCLUSTER_ADMIN_TOKEN"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains("avserver keygen") && text.contains("--secret-file"))
    }
}

extension RawLink {
    /// One HTTP request from `source`, the whole answer as text.
    static func rawHTTP(port: Int, from source: String, _ requestLine: String, body: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let request = "\(requestLine) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            try await outbound.write(ByteBuffer(string: request))
            var answer = ""
            for try await chunk in inbound { answer += String(decoding: chunk.readableBytesView, as: UTF8.self) }
            return answer
        }
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
