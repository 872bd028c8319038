import Hummingbird
import Wire

extension ControlError {
    /// The HTTP error a client sees: a status that fits and the message that says what to do.
    var httpError: HTTPError {
        let status: HTTPResponse.Status =
            switch code {
            case .noRoom: .serviceUnavailable
            case .unknownChannel, .unknownGroup, .unknownSession: .notFound
            case .notAllowed, .badTicket, .expiredTicket, .replayedTicket, .wrongUnit: .forbidden
            case .rateLimited: .tooManyRequests
            case .notPrimary, .staleEpoch: .serviceUnavailable
            case .internalError: .internalServerError
            case .versionMismatch, .expectedHello, .malformed, .outOfRange: .badRequest
            case .notAuthenticated: .unauthorized
            }
        // Between primaries the cluster is unavailable for a moment only: clients ask again.
        if code == .notPrimary || code == .staleEpoch { return HTTPError(status, headers: [.retryAfter: "1"], message: message) }
        return HTTPError(status, message: message)
    }
}

extension Result where Failure == ControlError {
    /// The value, or the HTTP error for the failure.
    func orHTTPError() throws -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw error.httpError
        }
    }
}
