import ClusterLogic
import Wire

/// Publishers that come with a stream key (RTMP, SRT): the keys the admin and the portal make
/// and revoke, and the unit's request to open a key's channel where the publisher connected.
extension ClusterManager {
    /// A unit took a publisher with `streamKey` (its signature checked there): its channel,
    /// rooted at that unit, or why not. The answer goes after the commands it made, on the same
    /// link, so the unit holds the group before it hears the channel's number.
    func publisherArrived(at unit: UnitID, request id: UInt64, streamKey: String, publisher: String) async {
        let answer: CSMMessage
        if !isPrimary {
            answer = .publishRefused(id: id, error: ControlError(.notPrimary, "\(name) is not the primary CSM at the moment; try again in a moment"))
        } else {
            do {
                let key = try state.signer.verifier.verify(streamKey: streamKey)
                switch state.openForPublisher(key, publisher: publisher, at: unit, now: clock.now()) {
                case .success((let channel, let root)):
                    metrics.opens.increment()
                    answer = .publishPlaced(id: id, channel: channel, group: root.group)
                case .failure(let error):
                    metrics.refusals.increment()
                    answer = .publishRefused(id: id, error: error)
                }
            } catch {
                answer = .publishRefused(id: id, error: ControlError(.notAllowed, "not a stream key of this cluster: \(error)"))
            }
        }
        await carryOut()
        unitLinks.answer(unit, answer)
    }

    /// A new stream key for a channel title: signed with the ticket key, so any unit can check it.
    func makeStreamKey(_ request: StreamKeyRequest) -> StreamKeyResponse {
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        let key = StreamKey(title: title, record: request.record, issuedAtMilliseconds: clock.wallMilliseconds())
        state.log("streamKeyMade", "stream key \(key.id) made for \"\(key.title)\"")
        return StreamKeyResponse(
            id: key.id, key: state.signer.sign(key), title: key.title, record: key.record, issuedAtMilliseconds: key.issuedAtMilliseconds)
    }

    /// Revokes a key for good (kept in the state file): no unit's publisher with it is let in
    /// again. A channel it feeds now goes on until its publisher leaves. The backup learns it
    /// with the next heartbeat.
    func revokeStreamKey(_ id: UInt64) async -> ControlError? {
        if state.revokedStreamKeys.contains(id) { return nil }
        guard state.revokedStreamKeys.count < Heartbeat.maxRevokedStreamKeys else {
            return ControlError(.noRoom, "\(Heartbeat.maxRevokedStreamKeys) stream keys are revoked already, the most a cluster keeps; a new cluster key ends every old stream key")
        }
        state.revokedStreamKeys.insert(id)
        state.log("streamKeyRevoked", "stream key \(id) revoked")
        remember()
        await carryOut()
        return nil
    }
}
