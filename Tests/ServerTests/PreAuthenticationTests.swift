import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// Attack 4 of the second round: memory before authentication. A control link takes frames only
/// as large as a hello until it has proved the cluster key.
@Suite struct PreAuthenticationTests {
    @Test func aStrangersLargeHelloIsRefusedAtItsLengthAndOthersAreServed() async throws {
        let csm = try await RunningCSM.start()
        var closedAtOnce = 0
        var peers: [RawTCPPeer] = []
        for index in 0..<32 {
            let peer = try await RawTCPPeer(port: csm.ports.unit, from: "127.0.0.\(20 + index % 4)")
            // The length of a hello of 1 MiB - 1, and its first kilobyte.
            var bytes = ByteBuffer()
            bytes.writeInteger(UInt32((1 << 20) - 1))
            bytes.writeString(#"{"hello":{"_0":{"peer":"unit","name":""# + String(repeating: "x", count: 1000))
            try await peer.channel.writeAndFlush(bytes)
            peers.append(peer)
        }
        #expect(await eventually(timeout: .seconds(2)) { peers.allSatisfy(\.closed) })
        closedAtOnce = peers.count(where: \.closed)
        print("strangers' 1 MiB hellos refused at their length, within 2 s (the hello timeout is 5 s): \(closedAtOnce) of \(peers.count)")
        // A real unit still links and is counted.
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        try await units.shutdown()
        await csm.stop()
    }

    @Test func silentStrangersOnTheUnitPortShedEachOtherAndAUnitStillLinks() async throws {
        let csm = try await RunningCSM.start { $0.unprovenLinksPerNetwork = CSMConfiguration().unprovenLinksPerNetwork }
        var peers: [RawTCPPeer] = []
        for index in 0..<200 { peers.append(try await RawTCPPeer(port: csm.ports.unit, from: "127.0.3.\(index % 4)")) }
        #expect(await eventually(timeout: .seconds(2)) { peers.count { !$0.closed } <= 4 * 16 })
        print("silent connections of 200 from 4 addresses still open on the CSM unit port: \(peers.count { !$0.closed }) (16 per network wait to prove a key)")
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        for peer in peers { try? await peer.channel.close() }
        try await units.shutdown()
        await csm.stop()
    }

    @Test func theFrameLimitIsTheHellosUntilLifted() throws {
        let limit = FrameSizeLimit()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(FrameSizeLimit.beforeAuthentication + 1))
        #expect(throws: WireError.self) { _ = try LengthPrefixedFramer.control.nextFrame(from: &buffer, limit: limit.current) }
        limit.lift()
        #expect(try LengthPrefixedFramer.control.nextFrame(from: &buffer, limit: limit.current) == nil, "waits for the rest")
    }
}
