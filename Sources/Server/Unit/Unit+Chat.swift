import DataPlane
import NIOCore
import Wire

extension Unit {
    /// A chat line from a local session: checked, cleaned, then relayed through the group tree.
    func chat(_ line: ChatLine, from session: UnitSession) {
        guard let channelID = session.channel, let channel = channels[channelID] else { return }
        if session.role == .relay {
            // Already accepted by the unit where it was typed; pass it on, the broadcaster's mark
            // with it (units vouch for their own sessions' lines).
            guard let text = ChatText.clean(line.text) else { return }
            let from = ChatText.clean(line.from) ?? "?"
            if line.isFromBroadcaster { channel.broadcasterName = from }
            relay(ChatLine(from: from, text: text, sentAtMilliseconds: line.sentAtMilliseconds, broadcaster: line.broadcaster), in: channel, from: session.id, fromParent: false)
            return
        }
        guard session.chatLimiter.allow(at: clock.deadline()) else {
            return refuseChat(ControlError(.rateLimited, "too many chat lines; at most \(configuration.chatBurst) per 10 seconds"), to: session)
        }
        let isBroadcaster = session.role == .broadcaster
        if !isBroadcaster, let name = channel.broadcasterName ?? channel.info?.broadcasterName, ChatText.imitates(session.peerName, name) {
            return refuseChat(ControlError(.notAllowed, "the name \(session.peerName) passes for the broadcaster's; open the session again with another name to chat"), to: session)
        }
        // The broadcaster talks to its audience whatever the audience does.
        if !isBroadcaster {
            switch channel.chatBudget.allow(speaker: session.id.rawValue, network: session.network, at: clock.deadline()) {
            case .allowed: break
            case .networkBusy:
                return refuseChat(ControlError(.rateLimited, "the chat is busy from your network; at most \(configuration.networkChatBurst) lines per 10 seconds from one network"), to: session)
            case .channelBusy:
                return refuseChat(ControlError(.rateLimited, "the channel's chat is busy; at most \(configuration.channelChatBurst) lines per 10 seconds from everyone here"), to: session)
            }
        }
        guard let text = ChatText.clean(line.text) else { return }
        if isBroadcaster { channel.broadcasterName = session.peerName }
        relay(
            ChatLine(from: session.peerName, text: text, sentAtMilliseconds: clock.wallMilliseconds(), broadcaster: isBroadcaster ? true : nil),
            in: channel, from: session.id, fromParent: false)
    }

    private func refuseChat(_ error: ControlError, to session: UnitSession) {
        counters.chatLinesRateLimited += 1
        send(.error(error), to: session)
    }

    /// Sends a line to every participant here (its sender included, as confirmation; a relay link
    /// that brought it excluded), down every relay link, and up to the parent unless it came from there.
    func relay(_ line: ChatLine, in channel: LocalChannel, from origin: SessionID?, fromParent: Bool) {
        counters.chatLinesRelayed += 1
        for index in slots(of: channel.id) {
            for id in groups[index].sessions {
                guard let session = sessions[id], !(id == origin && session.role == .relay) else { continue }
                send(.chat(line), to: session)
            }
        }
        if !fromParent { channel.parentLink?.sendChat(line) }
    }
}
