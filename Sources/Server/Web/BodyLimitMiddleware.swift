import Hummingbird

/// Turns away request bodies over the limit before they are read, with a JSON error.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw HTTPError(.contentTooLarge, message: "the request body is \(length) bytes; at most \(maxBytes) are accepted")
        }
        var request = request
        _ = try await request.collectBody(upTo: maxBytes)  // a chunked body over the limit fails here
        return try await next(request, context)
    }
}
