import Hummingbird

/// Lets a request through only with `Authorization: Bearer <admin token>` (or, where a browser
/// cannot set headers, as for the dashboard page and its event stream, `?token=`, for GET only:
/// a link someone is tricked into opening can look, never close a channel or drain a unit).
struct AdminTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    var acceptsQuery = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var header = request.headers[.authorization] ?? ""
        if acceptsQuery, request.method == .get, header.isEmpty, let query = request.uri.queryParameters.get("token") {
            header = "Bearer \(query)"
        }
        guard Self.matches(header: header, token: token) else {
            throw HTTPError(.unauthorized, message: "admin token missing or wrong; send 'Authorization: Bearer TOKEN' (avserver admin --token)")
        }
        return try await next(request, context)
    }

    /// Whether the request's Authorization header carries the token.
    static func matches(_ request: Request, token: String) -> Bool {
        matches(header: request.headers[.authorization] ?? "", token: token)
    }

    /// Compares in time independent of where the texts differ.
    private static func matches(header: String, token: String) -> Bool {
        let given = Array(header.utf8)
        let expected = Array("Bearer \(token)".utf8)
        return given.count == expected.count && zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
