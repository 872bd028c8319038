import CDatagram
import NIOCore
import Wire

/// Who receives a channel on this unit, and how (docs/ARCHITECTURE.md, one packet): UDP receivers that get
/// every packet, UDP receivers that wait for a keyframe before their video starts, TCP receivers
/// (each reads the feed through the cursor its session holds), and resuming receivers that wait
/// for the feed to reach where they left off. A receiver is a viewer or a relay link to another
/// unit. Every join, leave, mode switch, timeout and keyframe changes membership here and
/// nowhere else, so the per-packet loop reads plain arrays (copy-on-write: copied only when
/// membership changes) and never branches per receiver. UDP receivers are also kept as
/// `PeerList`s, the addresses as the kernel reads them, split into `shards` (one per loop of
/// the unit) by session, so a receiver's packets always leave from the same loop, in order.
package struct ChannelFanOut {
    /// A UDP receiver: its session and the address its bind proved.
    package struct UDPReceiver: Equatable {
        package let session: SessionID
        package let address: SocketAddress
        /// The address in the kernel's form, made once.
        let peer: avc_peer

        package init(session: SessionID, address: SocketAddress) {
            self.session = session
            self.address = address
            peer = PeerList.peer(address)
        }

        package static func == (a: Self, b: Self) -> Bool { a.session == b.session && a.address == b.address }
    }

    /// How many loops share the sending: a receiver's shard is its session number modulo this.
    package let shards: Int

    package init(shards: Int = 1) {
        self.shards = max(shards, 1)
    }

    /// UDP receivers that get every packet.
    package private(set) var udpFlowing: [UDPReceiver] = [] {
        didSet { flowingPeers = PeerList(udpFlowing.map { ($0.peer, shard(of: $0.session)) }, shards: shards) }
    }
    /// UDP receivers that get audio now and video from the next keyframe.
    package private(set) var udpAwaitingKeyframe: [UDPReceiver] = [] {
        didSet { awaitingPeers = PeerList(udpAwaitingKeyframe.map { ($0.peer, shard(of: $0.session)) }, shards: shards) }
    }
    /// The same receivers as the send plan takes them, rebuilt when membership changes.
    package private(set) var flowingPeers = PeerList.empty
    package private(set) var awaitingPeers = PeerList.empty

    /// The loop that sends to `session`'s UDP address.
    package func shard(of session: SessionID) -> Int { Int(session.rawValue % UInt64(shards)) }
    /// TCP receivers, in the order they joined.
    package private(set) var tcp: [SessionID] = [] { didSet { tcpGeneration &+= 1 } }
    /// Changes whenever `tcp` does: an owner's list of the receivers' sessions, built for one
    /// generation, holds until the next.
    package private(set) var tcpGeneration = 0
    /// Resuming receivers whose media waits for the feed here to catch up with them.
    package private(set) var resumeWaits: [ResumeWait] = []

    /// UDP receivers, flowing or not.
    package var udpCount: Int { udpFlowing.count + udpAwaitingKeyframe.count }

    /// Whether anyone receives over UDP (video is batched for GSO only then).
    package var hasUDP: Bool { udpCount > 0 }

    /// A UDP receiver starts, or moves to a new address: its video from now, or from the next
    /// keyframe. It leaves any other list first.
    package mutating func addUDP(_ session: SessionID, at address: SocketAddress, awaitingKeyframe: Bool) {
        remove(session)
        if awaitingKeyframe {
            udpAwaitingKeyframe.append(UDPReceiver(session: session, address: address))
        } else {
            udpFlowing.append(UDPReceiver(session: session, address: address))
        }
    }

    /// A TCP receiver starts (its session holds its cursor). It leaves any other list first.
    package mutating func addTCP(_ session: SessionID) {
        remove(session)
        tcp.append(session)
    }

    /// A resuming receiver waits for the feed. It leaves any other list first.
    package mutating func wait(_ wait: ResumeWait) {
        remove(wait.session)
        resumeWaits.append(wait)
    }

    package func isWaiting(_ session: SessionID) -> Bool { resumeWaits.contains { $0.session == session } }

    /// A UDP receiver's address went silent: no more UDP media (a TCP receiver stays).
    package mutating func removeUDP(_ session: SessionID) {
        if let index = udpFlowing.firstIndex(where: { $0.session == session }) { udpFlowing.remove(at: index) }
        if let index = udpAwaitingKeyframe.firstIndex(where: { $0.session == session }) { udpAwaitingKeyframe.remove(at: index) }
    }

    /// The receiver leaves every list: its session closed, or it switches mode.
    package mutating func remove(_ session: SessionID) {
        if let index = udpFlowing.firstIndex(where: { $0.session == session }) { udpFlowing.remove(at: index) }
        if let index = udpAwaitingKeyframe.firstIndex(where: { $0.session == session }) { udpAwaitingKeyframe.remove(at: index) }
        if let index = tcp.firstIndex(of: session) { tcp.remove(at: index) }
        if let index = resumeWaits.firstIndex(where: { $0.session == session }) { resumeWaits.remove(at: index) }
    }

    /// A keyframe starts: every UDP receiver waiting for one flows from this packet on.
    package mutating func keyframeStarts() {
        guard !udpAwaitingKeyframe.isEmpty else { return }
        udpFlowing += udpAwaitingKeyframe
        udpAwaitingKeyframe.removeAll()
    }

    /// Takes a packet the feed just got; returns the receivers whose wait is over, no longer
    /// waiting: the feed reached where they left off, or it did not in time (`timedOut`).
    package mutating func endWaits(afterPacketOf ssrc: UInt32, sequence: UInt16, now: NIODeadline) -> [(session: SessionID, timedOut: Bool)] {
        guard !resumeWaits.isEmpty else { return [] }
        var done: [(session: SessionID, timedOut: Bool)] = []
        for index in resumeWaits.indices {
            if resumeWaits[index].reached(ssrc: ssrc, sequence: sequence) {
                done.append((resumeWaits[index].session, false))
            } else if now > resumeWaits[index].deadline {
                done.append((resumeWaits[index].session, true))
            }
        }
        resumeWaits.removeAll { wait in done.contains { $0.session == wait.session } }
        return done
    }
}

extension ChannelFanOut {
    /// One receiver alone, sent from its own loop (its backlog when it starts): so it cannot
    /// overtake the packets that follow.
    package func peers(of receiver: UDPReceiver) -> PeerList {
        PeerList([(receiver.peer, shard(of: receiver.session))], shards: shards)
    }
}
