import Hummingbird

/// Lets a request through only with `Authorization: Bearer <admin token>` (or, where a browser
/// cannot set headers, as for the dashboard page and its event stream, `?token=`).
struct AdminTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    var acceptsQuery = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var header = request.headers[.authorization] ?? ""
        if acceptsQuery, header.isEmpty, let query = request.uri.queryParameters.get("token") { header = "Bearer \(query)" }
        let given = Array(header.utf8)
        let expected = Array("Bearer \(token)".utf8)
        let matches = given.count == expected.count && zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        guard matches else {
            throw HTTPError(.unauthorized, message: "admin token missing or wrong; send 'Authorization: Bearer TOKEN' (avserver admin --token)")
        }
        return try await next(request, context)
    }
}
