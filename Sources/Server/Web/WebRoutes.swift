import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Wire

/// Everything `avserver web` serves: the client API (the same routes the CSM serves), the
/// OpenAPI document, the portal pages, and the token-protected dashboard with its live stream and
/// buttons (passed on to the primary CSM's admin API).
enum WebRoutes {
    static func add(
        to router: Router<ClusterRequestContext>, api: PortalAPI, store: PortalStore, mirror: ClusterMirror, limits: ClientRateLimits,
        configuration: WebConfiguration
    ) {
        ClientAPIRoutes.add(to: router, api: api, limits: limits)
        router.get("health") { _, _ in "ok" }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/") { request, _ in
            page(PortalPages.home(channels: await api.listChannels(), server: origin(of: request)))
        }
        // The forms open a channel, or make a stream key that opens one, as the API does, under the same limit.
        let opens = router.group().add(middleware: limits.middleware(.open))
        opens.post("stream-keys") { request, context -> Response in
            guard isFromOwnPage(request, context: context, networks: limits.networks) else {
                throw HTTPError(.forbidden, message: "this form takes posts from the portal's own pages only")
            }
            var request = request
            let fields = HTML.formFields(String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
            switch await api.makeStreamKey(StreamKeyRequest(title: fields["title"] ?? "", record: fields["record"] == "on")) {
            case .success(let made):
                return page(PortalPages.streamKey(made, servers: await api.rtmpServers()), status: .created)
            case .failure(let error):
                return page(PortalPages.home(channels: await api.listChannels(), server: origin(of: request), error: error.message), status: error.httpError.status)
            }
        }
        opens.post("channels") { request, context -> Response in
            guard isFromOwnPage(request, context: context, networks: limits.networks) else {
                throw HTTPError(.forbidden, message: "this form takes posts from the portal's own pages only")
            }
            var request = request
            let fields = HTML.formFields(String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
            let server = origin(of: request)
            let asked = OpenChannelRequest(title: fields["title"] ?? "", broadcasterName: fields["broadcasterName"] ?? "")
            switch await api.openChannel(asked, client: limits.client(of: request, context: context)) {
            case .success(let opened):
                let summary = await api.listChannels().first { $0.channel == opened.channel }
                return page(PortalPages.channel(summary, number: opened.channel, history: nil, server: server, secret: opened.secret), status: .created)
            case .failure(let error):
                return page(PortalPages.home(channels: await api.listChannels(), server: server, error: error.message), status: error.httpError.status)
            }
        }
        // Watch and go live in the browser: the session over WebSocket, VP8 and Opus through WebCodecs.
        let files = StaticFiles.bundled
        router.get("static/{file}") { _, context in files.response(context.parameters.get("file") ?? "") }
        router.get("watch/{channel}") { _, context in
            _ = try ClientAPIRoutes.channel(context)
            return files.response("watch.html")
        }
        router.get("broadcast") { _, _ in files.response("broadcast.html") }
        router.get("channels/{channel}") { request, context in
            let number = try ClientAPIRoutes.channel(context)
            let live = await api.listChannels().first { $0.channel == number }
            let history = try? await store.channel(number)
            let publisher = await mirror.view?.channels.first { $0.channel == number }?.publisher
            return page(
                PortalPages.channel(live, number: number, history: history, server: origin(of: request), secret: nil, publisher: publisher),
                status: live == nil && history == nil ? .notFound : .ok)
        }

        let admin = router.group("admin").add(middleware: AdminTokenMiddleware(token: configuration.adminToken, acceptsQuery: true))
        admin.get("/") { _, _ in page(DashboardPage.html) }
        admin.get("events") { _, _ in
            let (id, snapshots) = await mirror.subscribe()
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    let encoder = JSONEncoder()
                    do {
                        for await snapshot in snapshots {
                            let json = String(decoding: try encoder.encode(snapshot), as: UTF8.self)
                            try await writer.write(ByteBuffer(string: "data: \(json)\n\n"))
                        }
                    } catch {}
                    await mirror.unsubscribe(id)
                    try await writer.finish(nil)
                })
        }
        admin.get("channels") { _, _ in try await store.channels(limit: 200) }
        admin.get("log") { request, _ in try await store.log(limit: min(1000, request.uri.queryParameters.get("limit", as: Int.self) ?? 100)) }
        admin.post("channels/{channel}/close") { _, context in
            try await pass(.DELETE, "/admin/channels/\(try ClientAPIRoutes.channel(context))", mirror: mirror)
        }
        for action in ["expand", "shrink"] {
            admin.post("channels/{channel}/\(action)") { _, context in
                try await pass(.POST, "/admin/channels/\(try ClientAPIRoutes.channel(context))/\(action)", mirror: mirror)
            }
        }
        admin.get("stream-keys") { _, _ in try await store.streamKeys(limit: 200) }
        admin.post("stream-keys/{key}/revoke") { _, context -> Response in
            guard let id = context.parameters.get("key", as: UInt64.self) else {
                throw HTTPError(.badRequest, message: "a stream key's id is a number")
            }
            let answer = try await pass(.DELETE, "/admin/stream-keys/\(id)", mirror: mirror)
            if answer.status == .ok { try await store.streamKeyRevoked(id, atMilliseconds: PortalAPI.nowMilliseconds) }
            return answer
        }
        admin.post("units/{unit}/drain") { request, context in
            guard let text = context.parameters.get("unit"), let unit = UInt16(text) else {
                throw HTTPError(.badRequest, message: "the unit id must be a whole number from 1 to 65535")
            }
            var request = request
            let body = Array(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
            return try await pass(.POST, "/admin/units/\(unit)/drain", body: body, mirror: mirror)
        }
    }

    /// Passes a dashboard button on to the primary CSM's admin API and answers as it did.
    static func pass(_ method: NIOHTTP1.HTTPMethod, _ path: String, body: [UInt8]? = nil, mirror: ClusterMirror) async throws -> Response {
        let (status, answer) = try await mirror.admin(method, path, body: body)
        await mirror.refreshSoon()
        return Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: answer)))
    }

    static func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Whether a browser's post comes from one of this portal's pages: its Origin (else Referer)
    /// names the host the request was sent to (as a trusted proxy forwarded it). A post with
    /// neither is no browser's cross-site post (curl, scripts) and goes through.
    static func isFromOwnPage(_ request: Request, context: ClusterRequestContext, networks: ClientNetworks) -> Bool {
        let source = request.headers[.origin] ?? request.headers[.referer]
        guard let source else { return true }
        var hosts = [request.head.authority].compactMap { $0?.lowercased() }
        if networks.trusts(context.remoteAddress), let forwarded = request.headers[.xForwardedHost] {
            hosts += forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        guard let range = source.range(of: "://") else { return false }
        let authority = source[range.upperBound...].prefix { $0 != "/" }.lowercased()
        return hosts.contains(authority)
    }

    /// http://host:port as the browser reached this server, for the command lines on the pages.
    static func origin(of request: Request) -> String {
        "http://\(request.head.authority ?? "127.0.0.1:8080")"
    }
}

extension ChannelHistory: ResponseEncodable {}
extension StreamKeyRecord: ResponseEncodable {}
