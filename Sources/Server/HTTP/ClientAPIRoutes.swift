import Hummingbird
import Wire

/// The client API as JSON over HTTP (paper 2.2): list, open, join, resume and close channels.
/// Served by the web portal, and by the CSM itself. Opening, joining and resuming are limited
/// per client network by the route, whatever spelling of the path reached it.
enum ClientAPIRoutes {
    struct SecretBody: Decodable { var secret: String }

    static func add(to router: Router<ClusterRequestContext>, api: any ClusterAPI, limits: ClientRateLimits) {
        router.group("api").get("channels") { _, _ in await api.listChannels() }
        router.group("api").add(middleware: limits.middleware(.open)).post("channels") { request, context in
            let body = try await request.decode(as: OpenChannelRequest.self, context: context)
            return try await api.openChannel(body, client: limits.client(of: request, context: context)).orHTTPError()
        }
        let joins = router.group("api").add(middleware: limits.middleware(.join))
        joins.post("channels/{channel}/join") { _, context in
            try await api.joinChannel(try channel(context)).orHTTPError()
        }
        joins.post("channels/{channel}/broadcaster") { request, context in
            let body = try await request.decode(as: SecretBody.self, context: context)
            return try await api.rejoinBroadcaster(try channel(context), secret: body.secret).orHTTPError()
        }
        router.group("api").post("channels/{channel}/close") { request, context in
            let body = try await request.decode(as: SecretBody.self, context: context)
            if let error = await api.closeChannel(try channel(context), secret: body.secret) { throw error.httpError }
            return HTTPResponse.Status.noContent
        }
    }

    static func channel(_ context: ClusterRequestContext) throws -> ChannelID {
        guard let text = context.parameters.get("channel"), let number = UInt32(text), number > 0 else {
            throw HTTPError(.badRequest, message: "the channel number must be a positive whole number")
        }
        return ChannelID(number)
    }
}

extension OpenChannelResponse: ResponseEncodable {}
extension JoinChannelResponse: ResponseEncodable {}
extension ChannelSummary: ResponseEncodable {}
extension OpenChannelRequest: ResponseEncodable {}
