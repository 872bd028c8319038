import DataPlane
import NIOCore
import Wire

extension Unit {
    /// Where a receiver's media starts.
    enum Resumption {
        /// After where it left off.
        case resumed(FeedCursor)
        /// Not yet: the feed here has not caught up with where it left off.
        case waiting
        /// As a new viewer does (no resume point, or the feed no longer reaches back to it).
        case fresh
    }

    func resumption(of session: UnitSession, in channel: LocalChannel, lagThreshold: Int) -> Resumption {
        guard let point = session.resume else { return .fresh }
        switch channel.router.resumption(of: session.id, from: point, lagThreshold: lagThreshold, now: .now()) {
        case .resumed(let cursor):
            session.resume = nil
            counters.sessionsResumed += 1
            record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
                "\(session.peerName) resumes where it left off, \(cursor.lag(in: channel.feed)) packets behind live")
            return .resumed(cursor)
        case .waiting:
            return .waiting
        case .pastTheFeed:
            session.resume = nil
            counters.resumesPastTheFeed += 1
            record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
                "\(session.peerName) was away longer than the feed holds (\(channel.feed.capacity) packets): it starts at a keyframe")
            return .fresh
        }
    }

    /// Starts the media of receivers whose wait is over: the feed reached where they left off
    /// (with the packet just routed), or it did not in time and they start afresh.
    func endResumeWaits(_ ended: [(session: SessionID, timedOut: Bool)], in channel: LocalChannel) {
        for (id, timedOut) in ended {
            guard let session = sessions[id], session.phase == .open else { continue }
            if timedOut {
                session.resume = nil
                counters.resumesPastTheFeed += 1
                record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
                    "the feed here did not reach where \(session.peerName) left off within \(ResumeWait.longest): it starts at a keyframe")
            }
            switch session.mode {
            case .udp: startUDP(session, in: channel)
            case .tcp: startTCP(session, in: channel)
            }
        }
    }
}
