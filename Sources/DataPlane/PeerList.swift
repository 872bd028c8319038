import CDatagram
import NIOCore

/// UDP receivers' socket addresses laid out as the kernel reads them, grouped by the loop that
/// sends to them (its shard), built once when the membership they come from changes and never
/// changed after: the snapshot a send plan holds while the unit's loops send from it.
package final class PeerList: @unchecked Sendable {
    package let count: Int
    let peers: UnsafeMutablePointer<avc_peer>
    /// Where each shard's receivers start; the last entry is `count`.
    private let starts: [Int]

    package static let empty = PeerList([], shards: 1)

    /// `entries` with the shard each goes to, of `shards`.
    init(_ entries: [(peer: avc_peer, shard: Int)], shards: Int) {
        count = entries.count
        peers = .allocate(capacity: max(count, 1))
        var starts = Array(repeating: 0, count: shards + 1)
        for entry in entries { starts[entry.shard + 1] += 1 }
        for shard in 0..<shards { starts[shard + 1] += starts[shard] }
        var next = starts
        for entry in entries {
            (peers + next[entry.shard]).initialize(to: entry.peer)
            next[entry.shard] += 1
        }
        self.starts = starts
    }

    /// Addresses that all go from one loop.
    package convenience init(_ addresses: [SocketAddress]) {
        self.init(addresses.map { (Self.peer($0), 0) }, shards: 1)
    }

    deinit { peers.deallocate() }

    /// How many loops the list is split for.
    package var shards: Int { starts.count - 1 }

    /// The receivers loop `shard` sends to: all of them when the list is not split.
    func range(shard: Int) -> Range<Int> {
        shards == 1 ? (shard == 0 ? 0..<count : 0..<0) : starts[shard]..<starts[shard + 1]
    }

    /// The kernel's form of an address, made once per receiver.
    static func peer(_ address: SocketAddress) -> avc_peer {
        var peer = avc_peer()
        address.withSockAddr { pointer, length in
            withUnsafeMutableBytes(of: &peer.address) { target in
                let length = min(length, target.count)
                target.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: length))
                peer.length = socklen_t(length)
            }
        }
        return peer
    }
}
