import DataPlane
import NIOCore
import Wire

/// Where a session's media life (`ReceiverLife`) meets the channel's router and the client: the
/// one place its actions are carried out.
extension Unit {
    /// Carries out `actions` of `session`'s life, in order.
    func apply(_ actions: [ReceiverLife.Action], to session: UnitSession) {
        guard !actions.isEmpty else { return }
        let channel = session.channel.flatMap { channels[$0] }
        for action in actions {
            switch action {
            case .start(let mode):
                if let channel { start(session, in: mode, on: channel) }
            case .leave:
                channel?.router.remove(session.id)
            case .leaveUDP:
                channel?.router.removeUDP(session.id)
            case .joinUDP(let awaitingKeyframe):
                session.cursor = nil
                if let channel, let address = udpBindings.address(of: session.id) {
                    channel.router.addUDP(session.id, at: address, awaitingKeyframe: awaitingKeyframe)
                }
            case .forgetAddress:
                udpBindings.release(session.id)
            case .tell(let message):
                send(message, to: session)
            case .requestKeyframe(let reason):
                if let id = session.channel { requestKeyframe(for: id, reason: reason, force: false) }
            case .note(let note):
                record(note, of: session)
            }
        }
    }

    private func record(_ note: ReceiverLife.Note, of session: UnitSession) {
        let kind: UnitEvent.Kind
        let details: String
        switch note {
        case .modeSwitched(let text): (kind, details) = (.modeSwitched, text)
        case .resumed(let text):
            counters.sessionsResumed += 1
            (kind, details) = (.sessionResumed, text)
        case .resumePastTheFeed(let text):
            counters.resumesPastTheFeed += 1
            (kind, details) = (.sessionResumed, text)
        case .overrun(let text):
            counters.cursorOverruns += 1
            (kind, details) = (.modeSwitched, text)
        }
        record(kind, channel: session.channel, group: session.group, session: session.id, details)
    }

    /// Starts a receiver's media in `mode`: after where it left off when the feed reaches back to
    /// it (or waits until it does), else as a new receiver. UDP: what the cursor has left goes to
    /// it first, then it joins the fan-out (the video since the last keyframe). TCP: its cursor
    /// starts at the newest keyframe with the audio since included (nothing still in the buffer
    /// is missed), and it is written what it can take.
    private func start(_ session: UnitSession, in mode: MediaMode, on channel: LocalChannel) {
        let address = udpBindings.address(of: session.id)
        if mode == .udp { session.cursor = nil }  // a TCP cursor no more
        if mode == .udp && address == nil { return }  // gone silent while it waited: a bind starts it
        let threshold = mode == .udp ? Int.max / 2 : session.role == .relay ? configuration.relayLagThreshold : configuration.lagThreshold
        var cursor: FeedCursor?
        if let point = session.life.resume {
            switch channel.router.resumption(of: session.id, from: point, lagThreshold: threshold, now: clock.deadline()) {
            case .waiting:
                session.life.waitsForFeed()
                return
            case .resumed(let resumed):
                cursor = resumed
                apply(session.life.resumed(lag: resumed.lag(in: channel.feed)), to: session)
            case .pastTheFeed:
                apply(session.life.resumePastTheFeed(feedPackets: channel.feed.capacity), to: session)
            }
        } else {
            session.life.startedFresh()
        }
        switch mode {
        case .udp:
            let from = cursor ?? FeedCursor(joining: channel.feed, lagThreshold: threshold)
            if channel.router.startUDP(session.id, at: address!, from: from) {
                requestKeyframe(for: channel.id, reason: "a viewer joined before any keyframe", force: false)
            }
        case .tcp:
            channel.router.startTCP(session, from: cursor ?? FeedCursor(resumingIn: channel.feed, lagThreshold: threshold))
        }
    }

    /// Switches a session between UDP and TCP; any number of times, at any time.
    func switchMode(of session: UnitSession, to mode: MediaMode, reason: String) {
        apply(session.life.modeRequested(mode, reason: reason, videoFlowing: session.cursor?.video == .flowing), to: session)
    }

    /// A TCP receiver's lag policy changed what it gets: it is told, and so are the CSMs.
    func report(_ notice: FeedCursor.Notice, for session: UnitSession) {
        apply(session.life.lagged(notice), to: session)
    }

    /// Starts the media of receivers whose wait is over: the feed reached where they left off
    /// (with the packet just routed), or it did not in time and they start afresh.
    func endResumeWaits(_ ended: [(session: SessionID, timedOut: Bool)]) {
        for (id, timedOut) in ended {
            guard let session = sessions[id], session.phase == .open else { continue }
            apply(session.life.feedWaitEnded(timedOut: timedOut, longest: ResumeWait.longest), to: session)
        }
    }
}
