import Foundation
import NIOCore
import Testing
import Wire

@testable import Server

/// A link opened with the cluster key, as a compromised unit (which holds it) opens one.
enum AuthenticatedRawLink {
    /// Opens a link to `port` as `role`, proves the key, sends `messages` and holds the link for `duration`.
    static func send(port: Int, as role: PeerKind, name: String, key: LinkKey, _ messages: [String], for duration: Duration = .seconds(1)) async throws {
        let link = try await RawLink.connect(port: port)
        try await link.channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            let nonce = LinkKey.freshNonce()
            try await outbound.write(message: PeerMessage.hello(Hello(peer: role, name: name, nonce: Data(nonce).base64URL)))
            let challenge = try ControlCoder.decodeHello(from: try #require(try await frames.next()))
            let theirs = Array(try #require(challenge.nonce.flatMap { Data(base64URL: $0) }))
            let proof = key.proof(side: .initiator, role: role, initiatorNonce: nonce, responderNonce: theirs)
            try await outbound.write(message: PeerMessage.hello(Hello(peer: role, name: name, proof: Data(proof).base64URL)))
            for message in messages {
                var buffer = ByteBuffer()
                try LengthPrefixedFramer.control.write(bytes: Array(message.utf8), to: &buffer)
                try await outbound.write(buffer)
            }
            try await Task.sleep(for: duration)
        }
    }
}

/// Attack 5 of the second round, the part that epochs alone can answer: a holder of the cluster
/// key claims an epoch at the top of its range.
@Suite(.serialized) struct CompromisedKeyTests {
    @Test func aHeartbeatAtTheTopEpochLeavesThePrimaryAndIsNeverKept() async throws {
        let ports = try await FailoverTests.freePorts(2)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epoch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func start(_ name: String, backup: Bool) async throws -> RunningCSM {
            try await RunningCSM.start {
                $0.name = name
                $0.unitPort = ports[backup ? 1 : 0]
                $0.peer = "127.0.0.1:\(ports[backup ? 0 : 1])"
                $0.startAsBackup = backup
                $0.stateFile = "\(directory)/\(name).json"
            }
        }
        let primary = try await start("csm-a", backup: false)
        let backup = try await start("csm-b", backup: true)
        let units = try await UnitHarness { $0.csmAddresses = ports.map { "127.0.0.1:\($0)" } }
        #expect(await eventually { await primary.isPrimary() })
        let top = UInt64(1) << 53
        for port in ports {
            try await AuthenticatedRawLink.send(
                port: port, as: .csm, name: "aaa-attacker", key: LinkKey(secret: UnitHarness.secret),
                [#"{"heartbeat":{"_0":{"csm":"aaa-attacker","role":"primary","epoch":\#(top),"sentAtMilliseconds":1}}}"#])
        }
        try await Task.sleep(for: .seconds(2))
        #expect(await primary.isPrimary(), "the primary stays primary")
        let files = try [primary, backup].indices.map { try String(contentsOfFile: "\(directory)/csm-\(["a", "b"][$0]).json", encoding: .utf8) }
        print("state files after a heartbeat at epoch 2^53: \(files)")
        #expect(files.allSatisfy { !$0.contains("\(top)") })
        // Restarted, the pair has a primary again at once, as before.
        await backup.stop()
        await primary.stop()
        let again = try await start("csm-a", backup: false)
        let againBackup = try await start("csm-b", backup: true)
        #expect(await eventually { await again.isPrimary() })
        try await units.shutdown()
        await againBackup.stop()
        await again.stop()
    }
}
