/// An error sent to a peer: a stable code for programs and a message a person can act on.
public struct ControlError: Codable, Equatable, Sendable, Error, CustomStringConvertible {
    /// Stable codes a client can switch on.
    public enum Code: String, Codable, Sendable {
        case versionMismatch, expectedHello, malformed
        case badTicket, expiredTicket, replayedTicket, wrongUnit
        case noRoom, unknownChannel, unknownGroup, unknownSession, notAllowed, rateLimited, staleEpoch, notPrimary, internalError
        case notAuthenticated, outOfRange
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The control error that tells a peer about a Wire error.
    public init(_ error: WireError) {
        let code: Code =
            switch error {
            case .versionMismatch: .versionMismatch
            case .expectedHello: .expectedHello
            case .malformedTicket, .ticketSignatureInvalid: .badTicket
            case .ticketExpired: .expiredTicket
            case .ticketForAnotherUnit: .wrongUnit
            case .linkNotAuthenticated: .notAuthenticated
            case .outOfRange: .outOfRange
            default: .malformed
            }
        self.init(code, error.description)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
