import Client
import Foundation
import Wire

/// The client API as the web portal serves it (paper 2.2): each call goes to the primary CSM,
/// and the portal's database records what happened (channels opened and ended, viewers joined).
struct PortalAPI: ClusterAPI {
    let cluster: ClusterAPIClient
    let store: PortalStore
    let mirror: ClusterMirror

    func openChannel(_ request: OpenChannelRequest, client: String?) async -> Result<OpenChannelResponse, ControlError> {
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        let name = ChatText.clean(request.broadcasterName, maxBytes: OpenChannelRequest.maxNameLength) ?? "anonymous"
        do {
            let opened = try await cluster.openChannel(title: title, broadcasterName: name, clientNetwork: client)
            try? await store.channelOpened(ChannelHistory(
                channel: opened.channel, title: title, broadcasterName: name, startedAtMilliseconds: Self.nowMilliseconds,
                endedAtMilliseconds: nil, peakViewers: 0, totalViewers: 0))
            await mirror.refreshSoon()
            return .success(opened)
        } catch {
            return .failure(Self.controlError(error))
        }
    }

    /// A stream key from the primary CSM (the portal holds the CSMs' admin token); the portal
    /// keeps its id and title, never the key.
    func makeStreamKey(_ request: StreamKeyRequest) async -> Result<StreamKeyResponse, ControlError> {
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        do {
            let (status, body) = try await mirror.admin(.POST, "/admin/stream-keys", body: Array(try JSONEncoder().encode(StreamKeyRequest(title: title, record: request.record))))
            guard status == 200 else { return .failure(ControlError(.internalError, "the cluster manager answered HTTP \(status): \(APIEndpoint.message(in: body))")) }
            let made = try JSONDecoder().decode(StreamKeyResponse.self, from: Data(body))
            try? await store.streamKeyMade(StreamKeyRecord(id: made.id, title: made.title, record: made.record, madeAtMilliseconds: made.issuedAtMilliseconds))
            return .success(made)
        } catch {
            return .failure(Self.controlError(error))
        }
    }

    /// Where publishers connect: each unit's RTMP address, as the cluster's view has them.
    func rtmpServers() async -> [String] {
        (await mirror.view?.units ?? []).compactMap { unit in unit.address.rtmpPort.map { "rtmp://\(unit.address.host):\($0)/live" } }
    }

    func joinChannel(_ channel: ChannelID) async -> Result<JoinChannelResponse, ControlError> {
        do {
            let place = try await cluster.joinChannel(channel)
            try? await store.viewerJoined(channel)
            return .success(place)
        } catch {
            return .failure(Self.controlError(error))
        }
    }

    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError> {
        do {
            return .success(try await cluster.resumeChannel(channel, secret: secret))
        } catch {
            return .failure(Self.controlError(error))
        }
    }

    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError? {
        do {
            try await cluster.closeChannel(channel, secret: secret)
            try? await store.channelEnded(channel, atMilliseconds: Self.nowMilliseconds)
            await mirror.refreshSoon()
            return nil
        } catch {
            return Self.controlError(error)
        }
    }

    /// From the CSM; from the mirror's last copy while no CSM answers.
    func listChannels() async -> [ChannelSummary] {
        if let channels = try? await cluster.listChannels() { return channels }
        if let view = await mirror.view {
            return view.channels.map {
                ChannelSummary(
                    channel: $0.channel, title: $0.title, broadcasterName: $0.broadcasterName, viewers: $0.viewers,
                    startedAtMilliseconds: $0.startedAtMilliseconds, videoCodec: $0.videoCodec)
            }
        }
        return []
    }

    static var nowMilliseconds: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    /// The CSM's answer as the control error the routes turn into HTTP again.
    static func controlError(_ error: any Error) -> ControlError {
        switch error {
        case ClusterAPIClient.Failure.refused(let status, let message):
            let code: ControlError.Code =
                switch status {
                case 404: .unknownChannel
                case 403: .notAllowed
                case 400, 413: .malformed
                case 429: .rateLimited
                case 503: .noRoom
                default: .internalError
                }
            return ControlError(code, message)
        case ClusterAPIClient.Failure.unreachable:
            return ControlError(.notPrimary, "no cluster manager answered the web server; try again in a moment")
        default:
            return ControlError(.internalError, "\(error)")
        }
    }
}
