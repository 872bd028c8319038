import Hummingbird

/// Lets a request through only with `Authorization: Bearer <admin token>`.
struct AdminTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = Array((request.headers[.authorization] ?? "").utf8)
        let expected = Array("Bearer \(token)".utf8)
        let matches = given.count == expected.count && zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        guard matches else {
            throw HTTPError(.unauthorized, message: "admin token missing or wrong; send 'Authorization: Bearer TOKEN' (avserver admin --token)")
        }
        return try await next(request, context)
    }
}
