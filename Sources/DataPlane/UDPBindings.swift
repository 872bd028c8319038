import NIOCore
import Wire

/// The UDP addresses a unit's sessions proved with a bind (docs/SECURITY.md: media goes to no
/// address a bind has not proved), kept both ways: which session an address is, and each
/// session's address with when its bind last came. The one holder of a session's UDP address:
/// bind, silence and close change it here and nowhere else.
package struct UDPBindings {
    private var byAddress: [SocketAddress: SessionID] = [:]
    private var bySession: [SessionID: (address: SocketAddress, lastBind: NIODeadline)] = [:]
    /// Makes the cookies that prove an address hears this unit before it is bound (a fresh key
    /// each start).
    package let cookies = BindCookieSigner()

    package init() {}

    /// What a proved bind did.
    package enum Outcome: Equatable {
        /// The session's address, heard again.
        case renewed
        /// The session is at this address now (it had none, or another).
        case moved
        /// Another session holds the address: nothing changed but the session's own keepalive.
        case taken
    }

    package var isEmpty: Bool { byAddress.isEmpty }
    package var count: Int { byAddress.count }

    package func session(at address: SocketAddress) -> SessionID? { byAddress[address] }
    package func address(of session: SessionID) -> SocketAddress? { bySession[session]?.address }

    /// A bind from `address` proved `session`'s token and the address's cookie.
    package mutating func bind(_ session: SessionID, at address: SocketAddress, now: NIODeadline) -> Outcome {
        let old = bySession[session]?.address
        if old != nil { bySession[session]!.lastBind = now }
        if old == address { return .renewed }
        if let holder = byAddress[address], holder != session { return .taken }
        if let old { byAddress[old] = nil }
        byAddress[address] = session
        bySession[session] = (address, now)
        return .moved
    }

    /// The session closed: its address is free. Returns it.
    @discardableResult
    package mutating func release(_ session: SessionID) -> SocketAddress? {
        guard let address = bySession.removeValue(forKey: session)?.address else { return nil }
        byAddress[address] = nil
        return address
    }

    /// Forgets every address whose last bind is older than `timeout`: those receivers stopped
    /// sending keepalives. Returns them.
    package mutating func expire(silentFor timeout: TimeAmount, now: NIODeadline) -> [(session: SessionID, address: SocketAddress)] {
        let silent = bySession.filter { now - $0.value.lastBind > timeout }.map { (session: $0.key, address: $0.value.address) }
        for (session, _) in silent { release(session) }
        return silent
    }
}
