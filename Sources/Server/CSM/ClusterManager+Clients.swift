import ClusterLogic
import Wire

/// What clients and the admin ask of the CSM: only the primary opens, joins and commands.
extension ClusterManager {
    // MARK: Clients

    private var notPrimary: ControlError {
        if failover.role == .primary {
            return ControlError(.notPrimary, "this CSM (\(name)) holds the lease of fewer than a majority of its \(failover.members.count) units; try again in a moment")
        }
        return ControlError(.notPrimary, "this CSM (\(name)) is the backup at epoch \(epoch); ask the next CSM address")
    }

    /// `client` nil: the admin, who is not held to the cap on live channels per client.
    func openChannel(_ request: OpenChannelRequest, client: String?) async -> Result<OpenChannelResponse, ControlError> {
        guard isPrimary else { return .failure(notPrimary) }
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        let name = ChatText.clean(request.broadcasterName, maxBytes: OpenChannelRequest.maxNameLength) ?? "anonymous"
        let result = state.open(title: title, broadcasterName: name, client: client, now: clock.now())
        if case .success = result { metrics.opens.increment() } else { metrics.refusals.increment() }
        await carryOut()
        return result.flatMap { channel, root in broadcasterAnswer(channel, root) }
    }

    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError> {
        guard isPrimary else { return .failure(notPrimary) }
        return state.broadcasterPlace(channel, secret: secret).flatMap { broadcasterAnswer(channel, $0) }
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
        guard isPrimary else { return .failure(notPrimary) }
        // The ticket's nonce is the place's: the unit reports it once the viewer has come.
        let nonce = UInt64.random(in: .min ... .max)
        let result = state.join(channel, nonce: nonce, now: clock.now())
        if case .success = result { metrics.joins.increment() } else { metrics.refusals.increment() }
        await carryOut()
        return result.flatMap { location in
            guard let address = state.units[location.unit]?.address else {
                return .failure(ControlError(.internalError, "unit \(location.unit) is gone; try again"))
            }
            return .success(JoinChannelResponse(
                channel: channel, unit: address,
                ticket: state.ticket(.viewer, channel: channel, at: location, lifetime: state.settings.ticketLifetime, nonce: nonce),
                videoCodec: state.channels[channel]?.videoCodec ?? .vp8))
        }
    }

    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.checkSecret(secret, of: channel) else {
            return ControlError(.notAllowed, "wrong secret for channel \(channel); use the secret printed when it was opened")
        }
        let error = state.close(channel, now: clock.now())
        await carryOut()
        return error
    }

    func listChannels() -> [ChannelSummary] {
        let now = clock.now()
        return state.channels.values.sorted { $0.id < $1.id }.map {
            ChannelSummary(
                channel: $0.id, title: $0.title, broadcasterName: $0.broadcasterName, viewers: state.viewers(of: $0.id, at: now),
                startedAtMilliseconds: $0.startedAtMilliseconds, videoCodec: $0.videoCodec)
        }
    }

    // MARK: Admin

    func view() -> ClusterView { state.view(epoch: epoch, at: clock.now()) }

    func adminClose(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        let error = state.close(channel, now: clock.now())
        await carryOut()
        return error
    }

    func adminExpand(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let placed = state.expand(channel, from: nil, now: clock.now())
        await carryOut()
        return placed == nil ? ControlError(.noRoom, "no unit has a free group") : nil
    }

    func adminShrink(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let freed = state.shrink(channel, now: clock.now(), force: true)
        await carryOut()
        return freed == nil ? ControlError(.notAllowed, "channel \(channel) has no empty leaf group to free") : nil
    }

    func adminDrain(_ unit: UnitID, _ on: Bool) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        let error = state.drain(unit, on)
        await carryOut()
        return error
    }

    /// Removes a unit for good: it no longer counts towards a majority. Allowed on a backup too,
    /// since an operator's word that a unit is gone is what lets a cluster that lost too many
    /// units get a primary again.
    func adminRemove(_ unit: UnitID) async -> ControlError? {
        if failover.removed(unit) { remember() }
        guard isPrimary else { return state.units[unit] == nil ? nil : notPrimary }
        let error = state.remove(unit, now: clock.now())
        await carryOut()
        return error
    }

    func log(matching filter: LogFilter) async throws -> [ClusterLogEntry] {
        await carryOut()
        return try await store?.entries(matching: filter) ?? []
    }
}
