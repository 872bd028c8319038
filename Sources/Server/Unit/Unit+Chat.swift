import NIOCore
import Wire

extension Unit {
    /// A chat line from a local session: checked, cleaned, then relayed through the group tree.
    func chat(_ line: ChatLine, from session: UnitSession) {
        guard let channelID = session.channel, let channel = channels[channelID] else { return }
        if session.role == .relay {
            // Already accepted by the unit where it was typed; pass it on.
            guard let text = ChatText.clean(line.text) else { return }
            relay(ChatLine(from: ChatText.clean(line.from) ?? "?", text: text, sentAtMilliseconds: line.sentAtMilliseconds), in: channel, from: session.id, fromParent: false)
            return
        }
        guard session.chatLimiter.allow(at: .now()) else {
            counters.chatLinesRateLimited += 1
            send(.error(ControlError(.rateLimited, "too many chat lines; at most \(configuration.chatBurst) per 10 seconds")), to: session)
            return
        }
        guard channel.chatBudget.allow(at: .now()) else {
            counters.chatLinesRateLimited += 1
            send(.error(ControlError(.rateLimited, "the channel's chat is busy; at most \(configuration.channelChatBurst) lines per 10 seconds from everyone here")), to: session)
            return
        }
        guard let text = ChatText.clean(line.text) else { return }
        relay(ChatLine(from: session.peerName, text: text, sentAtMilliseconds: wallClock()), in: channel, from: session.id, fromParent: false)
    }

    /// Sends a line to every participant here (its sender included, as confirmation; a relay link
    /// that brought it excluded), down every relay link, and up to the parent unless it came from there.
    func relay(_ line: ChatLine, in channel: LocalChannel, from origin: SessionID?, fromParent: Bool) {
        counters.chatLinesRelayed += 1
        for index in channel.groups.compactMap(slotIndex) {
            for id in groups[index].sessions {
                guard let session = sessions[id], !(id == origin && session.role == .relay) else { continue }
                send(.chat(line), to: session)
            }
        }
        if !fromParent { channel.parentLink?.sendChat(line) }
    }
}
