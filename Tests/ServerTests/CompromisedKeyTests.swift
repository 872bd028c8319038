import Foundation
import NIOCore
import Testing
import Wire

@testable import Server

/// A link opened with the cluster key, as a compromised unit (which holds it) opens one.
enum AuthenticatedRawLink {
    /// Opens a link to `port` as `role`, proves `key`, sends `messages` and holds the link for
    /// `duration` (nil: reads every frame until the other side closes, and returns them).
    @discardableResult
    static func send(port: Int, as role: PeerKind, name: String, key: LinkKey, _ messages: [String], for duration: Duration? = .seconds(1)) async throws -> [String] {
        let link = try await RawLink.connect(port: port)
        return try await link.channel.executeThenClose { inbound, outbound in
            var frames = inbound.makeAsyncIterator()
            let nonce = LinkKey.freshNonce()
            try await outbound.write(message: PeerMessage.hello(Hello(peer: role, name: name, nonce: Data(nonce).base64URL)))
            guard let first = try await frames.next() else { return ["closed at the first hello"] }
            guard let challenge = try? ControlCoder.decodeHello(from: first) else { return [String(buffer: first)] }
            let theirs = Array(try #require(challenge.nonce.flatMap { Data(base64URL: $0) }))
            let proof = key.proof(side: .initiator, role: role, initiatorNonce: nonce, responderNonce: theirs)
            try await outbound.write(message: PeerMessage.hello(Hello(peer: role, name: name, proof: Data(proof).base64URL)))
            for message in messages {
                var buffer = ByteBuffer()
                try LengthPrefixedFramer.control.write(bytes: Array(message.utf8), to: &buffer)
                try await outbound.write(buffer)
            }
            if let duration {
                try await Task.sleep(for: duration)
                return []
            }
            var heard: [String] = []
            do {
                while let frame = try await frames.next() { heard.append(String(buffer: frame)) }
            } catch {}
            return heard
        }
    }
}

/// Attack 5 of the second round: a unit that falls gives its attacker its own credential, which
/// speaks for that unit alone; and even the CSM pair's key cannot claim an epoch at the top.
@Suite(.serialized) struct CompromisedKeyTests {
    @Test func aUnitsCredentialSpeaksForThatUnitAndNoOther() async throws {
        let csm = try await RunningCSM.start()
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        // What an attacker who took unit 1 holds.
        let stolen = ClusterKeys(clusterKey: UnitHarness.secret).credential(for: 1).link
        let asPeer = try await AuthenticatedRawLink.send(
            port: csm.ports.unit, as: .csm, name: "aaa-attacker", key: stolen,
            [#"{"heartbeat":{"_0":{"csm":"aaa-attacker","role":"primary","epoch":1000,"sentAtMilliseconds":1}}}"#], for: nil)
        #expect(asPeer.contains { $0.contains("proof of the cluster key is wrong") }, "\(asPeer)")
        let asOther = try await AuthenticatedRawLink.send(port: csm.ports.unit, as: .unit, name: "unit 1001", key: stolen, [], for: nil)
        #expect(asOther.contains { $0.contains("proof of the cluster key is wrong") }, "\(asOther)")
        let announcements = (1001...1010).map {
            #"{"announce":{"_0":{"address":{"unit":\#($0),"host":"127.0.0.1","sessionPort":1,"mediaPort":2},"groupsPerUnit":50,"groupCapacity":10,"epoch":0}}}"#
        }
        let manyIDs = try await AuthenticatedRawLink.send(port: csm.ports.unit, as: .unit, name: "unit 1", key: stolen, announcements, for: nil)
        #expect(manyIDs.contains { $0.contains("may announce that unit only") }, "\(manyIDs)")
        try await Task.sleep(for: .milliseconds(500))
        let view = try await csm.view()
        print("units the CSM knows after a stolen credential of unit 1 announced 1001-1010: \(view.units.map(\.unit))")
        #expect(view.units.map(\.unit) == [1])
        #expect(try await csm.http.openChannel().channel.rawValue > 0, "the cluster still serves")
        try await units.shutdown()
        await csm.stop()
    }

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
                port: port, as: .csm, name: "aaa-attacker", key: ClusterKeys(clusterKey: UnitHarness.secret).peerLink,
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
