import DataPlane
import NIOCore
import Wire

extension Unit {
    /// Gives a group to a channel (a CSM command, or the first valid ticket for a free group) and
    /// returns the channel's local state. `root` nil leaves the group's root flag as it is.
    @discardableResult
    func assign(_ index: Int, to channelID: ChannelID, root: Bool?, parent: GroupLocation? = nil) -> LocalChannel {
        let channel = channels[channelID] ?? {
            let router = ChannelRouter(
                channel: channelID, feedCapacity: configuration.feedCapacity,
                settings: ChannelRouter.Settings(
                    segmentationOffload: output.segmentationOffload, tcpBatchInterval: TimeAmount(configuration.tcpBatchInterval),
                    sendingLoops: output.mediaShards, threadTime: { TCPBatchPacing.threadTime }),
                outbox: output.outbox)
            let channel = LocalChannel(
                id: channelID, router: router,
                uplink: UplinkPolicy(maxPacketBytes: configuration.maxPacketBytes, maxBitsPerSecond: configuration.maxChannelBitrate, now: clock.deadline()),
                chatBudget: ChannelChatBudget(
                    channelBurst: configuration.channelChatBurst, networkBurst: configuration.networkChatBurst,
                    reserve: configuration.channelChatReserve, now: clock.deadline()))
            channels[channelID] = channel
            return channel
        }()
        let group = groups[index].id
        if groups[index].channel == nil {
            groups[index].channel = channelID
            record(.groupAssigned, channel: channelID, group: group, "group \(group) assigned to channel \(channelID)")
        }
        if let root { groups[index].isRoot = root }
        if let parent { groups[index].parent = parent }
        return channel
    }

    /// Frees a group and closes its sessions; the channel's feed goes with its last group here.
    func free(_ index: Int, reason: String) {
        guard let channelID = groups[index].channel else { return }
        let group = groups[index].id
        for id in groups[index].sessions {
            guard let session = sessions[id] else { continue }
            send(.goodbye(reason: reason), to: session)
            close(session)
            sessionClosed(session)
        }
        groups[index] = GroupSlot(id: group)
        record(.groupFreed, channel: channelID, group: group, "group \(group) freed: \(reason)")
        guard let channel = channels[channelID] else { return }
        if slots(of: channelID).isEmpty {
            channel.parentLink?.close()
            channel.publisher?.end("its channel \(channelID) was closed", quietly: true)
            channels[channelID] = nil
            admission.channelEnded(channelID, nowMilliseconds: clock.wallMilliseconds())
        }
    }
}
