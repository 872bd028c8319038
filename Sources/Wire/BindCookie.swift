import Crypto
import NIOCore

/// A unit's proof that a UDP address can hear it (return routability): handed out in a bind
/// reply, which only the real owner of the source address receives, and echoed in the next
/// request. Stateless: an HMAC over the session, the address and a time window, under a key
/// that never leaves the unit, so a unit keeps nothing per unproven address.
public struct BindCookie: Equatable, Hashable, Sendable {
    public static let size = 8
    /// What a client sends before it has a cookie.
    public static let none = BindCookie(bytes: [UInt8](repeating: 0, count: size))

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = Array((bytes + [UInt8](repeating: 0, count: Self.size)).prefix(Self.size))
    }

    /// Compares in time independent of where the cookies differ.
    public func matches(_ other: BindCookie) -> Bool {
        zip(bytes, other.bytes).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Makes and checks a unit's bind cookies. A cookie is good in the window it was made in and the
/// next, so a client that renews every second never sees one expire.
public struct BindCookieSigner: Sendable {
    public static let window: UInt64 = 10_000

    /// Kept as bytes: `SymmetricKey` is not `Sendable` in every swift-crypto release.
    private let keyBytes: [UInt8]

    /// A signer with a fresh random key (a unit makes one at start).
    public init(key: [UInt8] = LinkKey.freshNonce()) {
        keyBytes = key
    }

    public func cookie(session: SessionID, address: SocketAddress, nowMilliseconds: UInt64) -> BindCookie {
        cookie(session: session, address: address, window: nowMilliseconds / Self.window)
    }

    public func check(_ cookie: BindCookie, session: SessionID, address: SocketAddress, nowMilliseconds: UInt64) -> Bool {
        let window = nowMilliseconds / Self.window
        return cookie.matches(self.cookie(session: session, address: address, window: window))
            || (window > 0 && cookie.matches(self.cookie(session: session, address: address, window: window - 1)))
    }

    private func cookie(session: SessionID, address: SocketAddress, window: UInt64) -> BindCookie {
        var message = ByteBuffer()
        message.writeInteger(session.rawValue)
        message.writeInteger(window)
        message.writeString(address.ipAddress ?? "")
        message.writeInteger(UInt16(truncatingIfNeeded: address.port ?? 0))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.readableBytesView), using: SymmetricKey(data: keyBytes))
        return BindCookie(bytes: Array(Array(mac).prefix(BindCookie.size)))
    }
}
