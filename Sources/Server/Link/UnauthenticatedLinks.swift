import DataPlane
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// The links on a CSM's unit port that have not proved a key yet (docs/SECURITY.md): a pool of
/// their own, at most `total` and `perNetwork` from one client network; a newcomer past either
/// closes the oldest, who had the longest to prove itself. Units and the peer prove themselves in
/// one round trip, so only strangers are ever shed. Shared by the port's connections.
final class UnauthenticatedLinks: Sendable {
    private let state: NIOLockedValueBox<(pool: UnopenedPool, channels: [UInt64: any Channel], next: UInt64)>
    let networks: ClientNetworks

    init(total: Int = 128, perNetwork: Int = 16, networks: ClientNetworks = ClientNetworks()) {
        state = NIOLockedValueBox((UnopenedPool(total: total, perNetwork: perNetwork), [:], 1))
        self.networks = networks
    }

    /// Takes a new link in; returns its place in the pool.
    func admit(_ channel: any Channel) -> UInt64 {
        let network = networks.network(of: channel.remoteAddress)
        let (id, shed) = state.withLockedValue { state -> (UInt64, [any Channel]) in
            let id = state.next
            state.next += 1
            let shed = state.pool.admit(id, network: network).compactMap { state.channels.removeValue(forKey: $0) }
            state.channels[id] = channel
            return (id, shed)
        }
        for old in shed { old.close(promise: nil) }
        return id
    }

    /// The link proved its key, or closed: it leaves the pool.
    func leave(_ id: UInt64) {
        state.withLockedValue { state in
            state.pool.remove(id)
            state.channels[id] = nil
        }
    }

    var count: Int { state.withLockedValue { $0.pool.count } }
}
