import Hummingbird
import NIOCore
import ClusterLogic
import Wire

/// The admin service (paper 2.3), JSON over HTTP behind the admin token: list and control
/// units, groups and channels; read the log.
enum CSMAdminRoutes {
    struct DrainBody: Decodable { var on: Bool }
    struct Done: ResponseEncodable { var done = true }

    static func add(to router: Router<ClusterRequestContext>, manager: ClusterManager, token: String) {
        // Public: who is primary (200) or backup (503), for clients, keepalived and load balancers.
        router.get("role") { _, _ -> Response in
            let role = await manager.role
            let body = try ControlCoder.encode(role)
            return Response(
                status: role.role == .primary ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let admin = router.group("admin").add(middleware: AdminTokenMiddleware(token: token))
        admin.get("view") { _, _ in await manager.view() }
        admin.get("units") { _, _ in await manager.view().units }
        admin.get("channels") { _, _ in await manager.view().channels }
        admin.get("groups") { _, _ in
            await manager.view().units.flatMap { unit in unit.groups.map { GroupRow(unit: unit.unit, group: $0) } }
        }
        admin.get("log") { request, _ in
            let query = request.uri.queryParameters
            var filter = LogFilter()
            filter.unit = query.get("unit", as: UInt16.self).map { UnitID($0) }
            filter.channel = query.get("channel", as: UInt32.self).map { ChannelID($0) }
            filter.kind = query.get("kind")
            filter.sinceMilliseconds = query.get("since", as: UInt64.self)
            filter.limit = query.get("limit", as: Int.self) ?? 100
            filter.offset = query.get("offset", as: Int.self) ?? 0
            return try await manager.log(matching: filter)
        }
        admin.post("channels") { request, context in
            let body = try await request.decode(as: OpenChannelRequest.self, context: context)
            return try await manager.openChannel(body, client: nil).orHTTPError()
        }
        admin.delete("channels/{channel}") { _, context in
            try done(await manager.adminClose(try ClientAPIRoutes.channel(context)))
        }
        admin.post("channels/{channel}/expand") { _, context in
            try done(await manager.adminExpand(try ClientAPIRoutes.channel(context)))
        }
        admin.post("channels/{channel}/shrink") { _, context in
            try done(await manager.adminShrink(try ClientAPIRoutes.channel(context)))
        }
        admin.post("stream-keys") { request, context in
            let body = try await request.decode(as: StreamKeyRequest.self, context: context)
            return await manager.makeStreamKey(body)
        }
        admin.delete("stream-keys/{key}") { _, context in
            guard let id = context.parameters.get("key", as: UInt64.self) else {
                throw HTTPError(.badRequest, message: "a stream key's id is a number (the portal lists them)")
            }
            return try done(await manager.revokeStreamKey(id))
        }
        admin.post("units/{unit}/drain") { request, context in
            let body = try await request.decode(as: DrainBody.self, context: context)
            return try done(await manager.adminDrain(try unit(context), body.on))
        }
        admin.delete("units/{unit}") { _, context in
            try done(await manager.adminRemove(try unit(context)))
        }
    }

    private static func done(_ error: ControlError?) throws -> Done {
        if let error { throw error.httpError }
        return Done()
    }

    private static func unit(_ context: ClusterRequestContext) throws -> UnitID {
        guard let text = context.parameters.get("unit"), let number = UInt16(text), number > 0 else {
            throw HTTPError(.badRequest, message: "the unit id must be a whole number from 1 to 65535")
        }
        return UnitID(number)
    }

    /// One group in the admin's group list.
    struct GroupRow: ResponseEncodable {
        var unit: UnitID
        var group: ClusterView.Group
    }
}

extension ClusterView: ResponseEncodable {}
extension StreamKeyResponse: ResponseEncodable {}
extension ClusterView.Unit: ResponseEncodable {}
extension ClusterView.Channel: ResponseEncodable {}
extension ClusterLogEntry: ResponseEncodable {}
