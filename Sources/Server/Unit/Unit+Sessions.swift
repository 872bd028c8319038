import DataPlane
import NIOCore
import Wire

extension Unit {
    /// A TCP connection (or a WebSocket) arrived; it must say hello and open its session in time.
    /// `network`: the client network a trusted proxy named; nil: the peer's own.
    func sessionConnected(
        _ connection: Channel, overWebSocket: Bool = false, writer: NIOLoopBound<DirectWriteHandler>? = nil, network: String? = nil
    ) -> UnitSession {
        let session = UnitSession(
            id: admission.newSessionID(), unit: self, connection: connection, overWebSocket: overWebSocket,
            chatLimiter: ChatRateLimiter(burst: configuration.chatBurst, now: clock.deadline()))
        session.writer = writer
        session.network = network ?? configuration.networks.network(of: connection.remoteAddress)
        if connection.eventLoop === eventLoop {
            session.localWriter = writer?.value
        } else {
            if let index = output.mediaWorkers.firstIndex(where: { $0.loop === connection.eventLoop }) {
                session.loop = index + 1
            } else {
                session.writer = nil  // a loop that is not the unit's: SwiftNIO carries every write across
            }
        }
        sessions[session.id] = session
        // Until it opens, the connection waits in the pool of unopened ones, where a newcomer
        // sheds the oldest: silent strangers never take an open session's place.
        let shed = admission.unopened.admit(session.id.rawValue, network: session.network)
        if !shed.isEmpty {
            // Once the handler holds the session: a close now would end it before anyone knew it.
            eventLoop.assumeIsolated().execute { [weak self] in
                guard let self else { return }
                for id in shed {
                    guard let waiting = self.sessions[SessionID(id)] else { continue }
                    self.counters.unopenedShed += 1
                    self.refuse(waiting, ControlError(.noRoom, "closed: too many connections waiting to open a session; open at once after connecting"), quietly: true)
                }
            }
        }
        // By id, not a weak reference: a weakly referenced object counts every retain the slow
        // way, and a batch retains each of its TCP sessions.
        let id = session.id
        eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.openTimeout)) { [weak self] in
            guard let self, let session = self.sessions[id], session.phase != .open, session.phase != .closed else { return }
            self.refuse(session, ControlError(.malformed, "no session opened within \(self.configuration.openTimeout); send hello and open at once"))
        }
        return session
    }

    /// The first frame of the connection.
    func helloReceived(_ hello: Hello, on session: UnitSession) {
        session.peerName = ChatText.clean(hello.name, maxBytes: OpenChannelRequest.maxNameLength) ?? "\(hello.peer.rawValue)"
        session.phase = .awaitingOpen
        send(.hello(Hello(peer: .unit, name: "unit \(configuration.unit)")), to: session)
    }

    /// A session message after the hello.
    func receive(_ message: SessionMessage, on session: UnitSession) {
        switch (session.phase, message) {
        case (.awaitingOpen, .open(let ticket, let name, let resume)):
            open(session, ticket: ticket, name: name)
            if session.phase == .open {
                apply(session.life.opened(
                    name: session.peerName, receives: session.receivesMedia, resume: resume, overWebSocket: session.overWebSocket), to: session)
            }
        case (.open, .setMode(.udp, _)) where session.overWebSocket:
            send(.error(ControlError(.notAllowed, "a session over WebSocket has no UDP socket; it stays in TCP mode")), to: session)
        case (.open, .setMode(let mode, let reason)):
            guard session.modeLimiter.allow(at: clock.deadline()) else {
                send(.error(ControlError(.rateLimited, "too many mode switches; at most 5 per 10 seconds")), to: session)
                return
            }
            switchMode(of: session, to: mode, reason: reason)
        case (.open, .chat(let line)):
            chat(line, from: session)
        case (.open, .goodbye(let reason)):
            logger.debug("session \(session.id) says goodbye: \(reason)")
            close(session)
        case (.open, .keyframeRequest(let reason)) where session.role == .relay:
            if let channel = session.channel { requestKeyframe(for: channel, reason: "relay link: \(reason)", force: false) }
        case (_, .error(let error)):
            logger.info("session \(session.id) reports an error: \(error)")
        default:
            refuse(session, ControlError(.malformed, "unexpected message in this state of the session; open the session with hello, then open"))
        }
    }

    /// Sends the error and closes the connection; nobody else is touched. Refusals are counted
    /// and told to the CSMs as one summary every 10 s, not one event each (strangers make many).
    /// `quietly`: not even counted as a refusal (a connection shed from the unopened pool).
    func refuse(_ session: UnitSession, _ error: ControlError, quietly: Bool = false) {
        if !quietly {
            counters.sessionsRefused += 1
            admission.refusals.note(error.code.rawValue)
        }
        send(.error(error), to: session)
        // Out of every group and fan-out now; the connection lingers only for the error to be read.
        sessionClosed(session)
        output.flushRemoteWrites()
        session.connection.closeAfterRefusal()
    }

    private func open(_ session: UnitSession, ticket text: String, name: String) {
        admission.unopened.remove(session.id.rawValue)
        let conditions: SessionAdmission.Conditions = (
            draining: control.draining, overload: load.overloaded ? "its timers run \(load.loopDelay.nanoseconds / 1_000_000) ms late" : nil,
            openSessions: sessions.count - admission.unopened.count)
        let admitted = admission.admit(text, nowMilliseconds: clock.wallMilliseconds(), conditions: conditions) { group in
            slotIndex(group).map { (channel: groups[$0].channel, viewers: viewerCount(in: $0)) }
        }
        let ticket: Ticket
        switch admitted {
        case .failure(let error): return refuse(session, error)
        case .success(let admitted): ticket = admitted
        }
        guard let index = slotIndex(ticket.group) else { return }  // admitted only for a group the unit has
        let channel = assign(index, to: ticket.channel, root: ticket.role == .broadcaster ? true : nil)

        session.ticket = ticket
        session.phase = .open
        if !name.isEmpty { session.peerName = ChatText.clean(name, maxBytes: OpenChannelRequest.maxNameLength) ?? session.peerName }
        groups[index].sessions.insert(session.id)
        if ticket.role == .viewer, groups[index].openedTickets.count < WireLimits.groupCapacity.upperBound {
            groups[index].openedTickets.append(ticket.nonce)
        }
        if ticket.role == .broadcaster {
            if let previous = channel.broadcaster, previous != session.id, let old = sessions[previous] {
                send(.goodbye(reason: "the broadcaster connected again elsewhere"), to: old)
                close(old)
            }
            channel.broadcaster = session.id
            channel.uplinkGuard.reset()
            session.uplinkTag = UplinkTag.random()
        }
        send(
            .opened(SessionOpened(
                session: session.id, channel: ticket.channel, group: ticket.group, role: ticket.role,
                bindToken: session.bindToken, mediaPort: address.mediaPort, mode: session.mode,
                uplinkKey: ticket.role == .broadcaster ? session.uplinkTag?.text : ticket.role == .relay ? channel.router.relaySeal.text : nil)),
            to: session)
        record(.sessionOpened, channel: ticket.channel, group: ticket.group, session: session.id, "\(ticket.role) \(session.peerName) opened a session")
        broadcastStatus(of: channel)
    }

    /// Viewers (not relay links) in a group: what `groupCapacity` limits.
    func viewerCount(in index: Int) -> Int {
        groups[index].sessions.count { sessions[$0]?.role == .viewer }
    }

    /// The connection closed, for whatever reason.
    func sessionClosed(_ session: UnitSession) {
        guard session.phase != .closed else { return }
        let wasOpen = session.phase == .open
        session.phase = .closed
        sessions[session.id] = nil
        if !wasOpen { admission.unopened.remove(session.id.rawValue) }
        apply(session.life.closed(), to: session)
        guard wasOpen, let channelID = session.channel, let group = session.group else { return }
        if let index = slotIndex(group) { groups[index].sessions.remove(session.id) }
        if let channel = channels[channelID] {
            if channel.broadcaster == session.id {
                channel.broadcaster = nil
            }
            broadcastStatus(of: channel)
        }
        record(.sessionClosed, channel: channelID, group: group, session: session.id, "\(session.role.map { "\($0)" } ?? "client") \(session.peerName) closed its session")
    }

    /// Marks the channel's viewer count as changed; sent with the next heartbeat, so a burst of
    /// joins costs one message per session, not one per join.
    func broadcastStatus(of channel: LocalChannel) {
        channel.statusChanged = true
    }

    /// Tells every session of a changed channel how many watch it here.
    func sendStatus(of channel: LocalChannel) {
        channel.statusChanged = false
        let slots = slots(of: channel.id)
        let viewers = slots.reduce(0) { $0 + viewerCount(in: $1) }
        for id in slots.flatMap({ groups[$0].sessions }) {
            if let session = sessions[id], session.role != .relay { send(.channelStatus(viewers: viewers), to: session) }
        }
    }
}
