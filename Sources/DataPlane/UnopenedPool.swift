/// Connections that have not opened a session yet (docs/SECURITY.md): a pool of their own, so
/// strangers who connect and say nothing never hold the places of clients with tickets (those
/// count against the unit's session limit only once open). At most `perNetwork` from one client
/// network and `total` in all: a newcomer past either sheds the oldest of its network, else the
/// oldest of all, who had the longest to open. Pure; a few hundred entries at most.
package struct UnopenedPool {
    package let total: Int
    package let perNetwork: Int
    /// Oldest first.
    private var waiting: [(id: UInt64, network: String)] = []
    private var byNetwork: [String: Int] = [:]

    package init(total: Int, perNetwork: Int) {
        self.total = max(total, 1)
        self.perNetwork = max(min(perNetwork, total), 1)
    }

    package var count: Int { waiting.count }

    /// Takes a new connection in; returns the ones it sheds.
    package mutating func admit(_ id: UInt64, network: String) -> [UInt64] {
        var shed: [UInt64] = []
        if byNetwork[network, default: 0] >= perNetwork, let oldest = waiting.firstIndex(where: { $0.network == network }) {
            shed.append(take(at: oldest))
        }
        if waiting.count >= total { shed.append(take(at: 0)) }
        waiting.append((id, network))
        byNetwork[network, default: 0] += 1
        return shed
    }

    /// The connection opened its session, or closed.
    package mutating func remove(_ id: UInt64) {
        if let index = waiting.firstIndex(where: { $0.id == id }) { _ = take(at: index) }
    }

    private mutating func take(at index: Int) -> UInt64 {
        let (id, network) = waiting.remove(at: index)
        byNetwork[network, default: 1] -= 1
        if byNetwork[network] == 0 { byNetwork[network] = nil }
        return id
    }
}
