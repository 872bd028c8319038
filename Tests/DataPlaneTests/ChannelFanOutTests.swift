import DataPlane
import NIOCore
import Testing
import Wire


/// The one owner of a channel's receivers on a unit, without sockets: joins, leaves, mode
/// switches, keyframe waits, resume waits, and the lists the per-packet loop reads.
struct ChannelFanOutTests {
    static func address(_ port: Int) -> SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: port) }
    static func sessions(_ list: [ChannelFanOut.UDPReceiver]) -> [SessionID] { list.map(\.session) }

    @Test func aReceiverIsInExactlyOneListWhateverItDoes() {
        var fanOut = ChannelFanOut()
        fanOut.addUDP(1, at: Self.address(5001), awaitingKeyframe: false)
        fanOut.addUDP(2, at: Self.address(5002), awaitingKeyframe: true)
        fanOut.addTCP(3)
        #expect(Self.sessions(fanOut.udpFlowing) == [1] && Self.sessions(fanOut.udpAwaitingKeyframe) == [2] && fanOut.tcp == [3])
        #expect(fanOut.udpCount == 2 && fanOut.hasUDP)

        // 1 switches to TCP, 3 to UDP, 2 binds a new address: each leaves its old list.
        fanOut.addTCP(1)
        fanOut.addUDP(3, at: Self.address(5003), awaitingKeyframe: false)
        fanOut.addUDP(2, at: Self.address(6002), awaitingKeyframe: true)
        #expect(Self.sessions(fanOut.udpFlowing) == [3] && Self.sessions(fanOut.udpAwaitingKeyframe) == [2] && fanOut.tcp == [1])
        #expect(fanOut.udpAwaitingKeyframe.first?.address == Self.address(6002))

        // A silent UDP address takes the receiver off UDP only; a closed session off everything.
        fanOut.removeUDP(1)
        #expect(fanOut.tcp == [1])
        fanOut.removeUDP(3)
        fanOut.remove(1)
        fanOut.remove(2)
        #expect(!fanOut.hasUDP && fanOut.tcp.isEmpty)
    }

    @Test func aKeyframeLetsEveryoneWaitingForOneFlow() {
        var fanOut = ChannelFanOut()
        fanOut.addUDP(1, at: Self.address(5001), awaitingKeyframe: false)
        fanOut.addUDP(2, at: Self.address(5002), awaitingKeyframe: true)
        fanOut.addUDP(3, at: Self.address(5003), awaitingKeyframe: true)
        fanOut.keyframeStarts()
        #expect(Self.sessions(fanOut.udpFlowing) == [1, 2, 3] && fanOut.udpAwaitingKeyframe.isEmpty)
        fanOut.keyframeStarts()
        #expect(fanOut.udpFlowing.count == 3)
    }

    @Test func theLoopReadsASnapshotThatAChangeDoesNotDisturb() {
        var fanOut = ChannelFanOut()
        for port in 1...4 { fanOut.addUDP(SessionID(UInt64(port)), at: Self.address(5000 + port), awaitingKeyframe: false) }
        let snapshot = fanOut.udpFlowing
        fanOut.remove(2)
        fanOut.addUDP(9, at: Self.address(5009), awaitingKeyframe: false)
        #expect(Self.sessions(snapshot) == [1, 2, 3, 4])
        #expect(Self.sessions(fanOut.udpFlowing) == [1, 3, 4, 9])
    }

    @Test func aResumeWaitEndsWhenTheFeedReachesItOrItsTimeIsUp() {
        var fanOut = ChannelFanOut()
        let start = NIODeadline.now()
        fanOut.wait(ResumeWait(session: 1, point: ResumePoint(streams: [.init(ssrc: 7, sequence: 100)]), now: start))
        fanOut.wait(ResumeWait(session: 2, point: ResumePoint(streams: [.init(ssrc: 7, sequence: 900)]), now: start))
        #expect(fanOut.isWaiting(1) && fanOut.isWaiting(2))
        #expect(fanOut.endWaits(afterPacketOf: 7, sequence: 99, now: start).isEmpty)
        let reached = fanOut.endWaits(afterPacketOf: 7, sequence: 100, now: start)
        #expect(reached.map(\.session) == [1] && reached.allSatisfy { !$0.timedOut })
        let late = fanOut.endWaits(afterPacketOf: 7, sequence: 101, now: start + ResumeWait.longest + .milliseconds(1))
        #expect(late.map(\.session) == [2] && late.allSatisfy(\.timedOut))
        #expect(!fanOut.isWaiting(1) && !fanOut.isWaiting(2))
        // A receiver that starts another way stops waiting.
        fanOut.wait(ResumeWait(session: 3, point: ResumePoint(streams: [.init(ssrc: 7, sequence: 5)]), now: start))
        fanOut.addTCP(3)
        #expect(!fanOut.isWaiting(3) && fanOut.tcp == [3])
    }
}
