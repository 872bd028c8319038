import Wire

/// When the portal marks a channel ended (docs/HA.md): after two snapshots in a row of one
/// primary (one epoch) without it, never because another CSM took over, whose first snapshot
/// may not have every unit's report yet.
struct ChannelEndings: Sendable {
    /// Channels shown as live, and in how many snapshots in a row each was missing.
    private var live: Set<ChannelID> = []
    private var absences: [ChannelID: Int] = [:]
    private var epoch: UInt64?

    /// A snapshot of the primary at `epoch` listing `channels`: the channels that ended.
    mutating func ended(afterSnapshotAt epoch: UInt64, of channels: [ChannelID]) -> [ChannelID] {
        let current = Set(channels)
        if epoch != self.epoch {
            absences.removeAll()
            self.epoch = epoch
        } else {
            for channel in live.subtracting(current) { absences[channel, default: 0] += 1 }
        }
        for channel in current { absences[channel] = nil }
        let ended = absences.filter { $0.value >= 2 }.map(\.key).sorted()
        for channel in ended { absences[channel] = nil }
        live.subtract(ended)
        live.formUnion(current)
        return ended
    }
}
