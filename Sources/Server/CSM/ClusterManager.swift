import Logging
import NIOCore
import Wire

/// The CSM at work: owns the cluster state (one actor, so every decision is serial), sends its
/// commands down the unit links, writes its log, and answers clients and the admin.
actor ClusterManager: ClusterAPI {
    private var state: ClusterState
    private(set) var epoch: UInt64
    private let store: (any EventLogStore)?
    private let logger: Logger
    /// Commands go straight onto each unit's channel, so they leave in the order decided even
    /// while this actor awaits something else.
    private var unitLinks: [UnitID: (link: UInt64, channel: any Channel)] = [:]
    private var nextCommandID: UInt64 = 1
    private var pendingLog: [ClusterLogEntry] = []

    init(settings: ClusterSettings, secret: String, epoch: UInt64, store: (any EventLogStore)?, logger: Logger) {
        state = ClusterState(settings: settings, signer: TicketSigner(secret: secret), wallClock: Unit.systemMilliseconds)
        self.epoch = epoch
        self.store = store
        self.logger = logger
    }

    // MARK: Units

    /// A unit announced itself on `link`; nil, or the error to send before closing.
    func unitAnnounced(_ announcement: UnitAnnouncement, link: UInt64, channel: any Channel) async -> ControlError? {
        if let error = state.announce(announcement, now: .now) {
            await carryOut()
            return error
        }
        unitLinks[announcement.address.unit] = (link, channel)
        await carryOut()
        return nil
    }

    func unitReported(_ report: UnitReport) async {
        state.report(report, now: .now)
        await carryOut()
    }

    func unitEvent(_ event: UnitEvent) {
        pendingLog.append(ClusterLogEntry(
            unit: event.unit, timeMilliseconds: event.timeMilliseconds, kind: event.kind.rawValue, channel: event.channel,
            group: event.group, details: event.details))
    }

    func unitLinkClosed(_ unit: UnitID, link: UInt64) {
        // Only forget the link the unit still uses: a reconnect may already have replaced it.
        guard unitLinks[unit]?.link == link else { return }
        unitLinks[unit] = nil
        state.linkClosed(unit)
    }

    /// Every heartbeat: failures, shrinking, the log.
    func tick() async {
        state.tick(now: .now)
        await carryOut()
    }

    /// Sends the state's commands and stores its log lines.
    private func carryOut() async {
        for action in state.drainActions() {
            switch action {
            case .command(let unit, let unitAction):
                guard let link = unitLinks[unit]?.channel else { continue }
                let id = nextCommandID
                nextCommandID += 1
                var buffer = ByteBuffer()
                guard let body = try? ControlCoder.encode(CSMMessage.command(id: id, epoch: epoch, action: unitAction)),
                    (try? LengthPrefixedFramer.control.write(bytes: body, to: &buffer)) != nil
                else { continue }
                link.writeAndFlush(buffer, promise: nil)
            case .log(let entry):
                logger.info("\(entry.details)", metadata: ["event": "\(entry.kind)"])
                pendingLog.append(entry)
            }
        }
        guard let store, !pendingLog.isEmpty else { return }
        let entries = pendingLog
        pendingLog.removeAll()
        do {
            try await store.append(entries)
        } catch {
            logger.error("cannot write the event log: \(error)")
        }
    }

    // MARK: Clients

    func openChannel(_ request: OpenChannelRequest) async -> Result<OpenChannelResponse, ControlError> {
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        let name = ChatText.clean(request.broadcasterName, maxBytes: OpenChannelRequest.maxNameLength) ?? "anonymous"
        let result = state.open(title: title, broadcasterName: name, now: .now)
        await carryOut()
        return result.flatMap { channel, root in broadcasterAnswer(channel, root) }
    }

    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError> {
        state.broadcasterPlace(channel, secret: secret).flatMap { broadcasterAnswer(channel, $0) }
    }

    private func broadcasterAnswer(_ channel: ChannelID, _ root: GroupLocation) -> Result<OpenChannelResponse, ControlError> {
        guard let address = state.units[root.unit]?.address else {
            return .failure(ControlError(.internalError, "the root unit of channel \(channel) is gone; try again in a moment"))
        }
        return .success(OpenChannelResponse(
            channel: channel, unit: address,
            ticket: state.ticket(.broadcaster, channel: channel, at: root, lifetime: state.settings.ticketLifetime),
            secret: state.secret(of: channel)))
    }

    func joinChannel(_ channel: ChannelID) async -> Result<JoinChannelResponse, ControlError> {
        let result = state.join(channel, now: .now)
        await carryOut()
        return result.flatMap { location in
            guard let address = state.units[location.unit]?.address else {
                return .failure(ControlError(.internalError, "unit \(location.unit) is gone; try again"))
            }
            return .success(JoinChannelResponse(
                channel: channel, unit: address,
                ticket: state.ticket(.viewer, channel: channel, at: location, lifetime: state.settings.ticketLifetime)))
        }
    }

    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError? {
        guard state.checkSecret(secret, of: channel) else {
            return ControlError(.notAllowed, "wrong secret for channel \(channel); use the secret printed when it was opened")
        }
        let error = state.close(channel)
        await carryOut()
        return error
    }

    func listChannels() -> [ChannelSummary] {
        let now = ContinuousClock.now
        return state.channels.values.sorted { $0.id < $1.id }.map {
            ChannelSummary(
                channel: $0.id, title: $0.title, broadcasterName: $0.broadcasterName, viewers: state.viewers(of: $0.id, at: now),
                startedAtMilliseconds: $0.startedAtMilliseconds)
        }
    }

    // MARK: Admin

    func view() -> ClusterView { state.view(epoch: epoch, at: .now) }

    func adminClose(_ channel: ChannelID) async -> ControlError? {
        let error = state.close(channel)
        await carryOut()
        return error
    }

    func adminExpand(_ channel: ChannelID) async -> ControlError? {
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let placed = state.expand(channel, from: nil, now: .now)
        await carryOut()
        return placed == nil ? ControlError(.noRoom, "no unit has a free group") : nil
    }

    func adminShrink(_ channel: ChannelID) async -> ControlError? {
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let freed = state.shrink(channel, now: .now, force: true)
        await carryOut()
        return freed == nil ? ControlError(.notAllowed, "channel \(channel) has no empty leaf group to free") : nil
    }

    func adminDrain(_ unit: UnitID, _ on: Bool) async -> ControlError? {
        let error = state.drain(unit, on)
        await carryOut()
        return error
    }

    func adminRemove(_ unit: UnitID) async -> ControlError? {
        let error = state.remove(unit, now: .now)
        await carryOut()
        return error
    }

    func log(matching filter: LogFilter) async throws -> [ClusterLogEntry] {
        await carryOut()
        return try await store?.entries(matching: filter) ?? []
    }
}
