import DataPlane
import NIOCore
import Testing
import Wire

/// The one holder of the sessions' UDP addresses: both directions agree through binds, moves,
/// collisions, silence and closes.
struct UDPBindingsTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    func address(_ port: Int) -> SocketAddress { try! SocketAddress(ipAddress: "198.51.100.7", port: port) }

    @Test func aBindMovesASessionAndFreesItsOldAddress() {
        var bindings = UDPBindings()
        let first = bindings.bind(1, at: address(5000), now: start)
        let again = bindings.bind(1, at: address(5000), now: start + .seconds(1))
        let moved = bindings.bind(1, at: address(5001), now: start + .seconds(2))
        #expect(first == .moved && again == .renewed && moved == .moved)
        #expect(bindings.session(at: address(5000)) == nil && bindings.session(at: address(5001)) == 1)
        #expect(bindings.address(of: 1) == address(5001) && bindings.count == 1)
    }

    @Test func anAddressHeldByAnotherSessionIsNotTaken() {
        var bindings = UDPBindings()
        _ = bindings.bind(1, at: address(5000), now: start)
        _ = bindings.bind(2, at: address(6000), now: start)
        let collision = bindings.bind(2, at: address(5000), now: start + .seconds(1))
        #expect(collision == .taken)
        #expect(bindings.session(at: address(5000)) == 1 && bindings.address(of: 2) == address(6000))
        // The colliding session's own address was heard from it all the same: it does not lapse.
        let silent = bindings.expire(silentFor: .milliseconds(1_500), now: start + .seconds(2))
        #expect(silent.map(\.session) == [1])
    }

    @Test func silenceAndClosesFreeAddressesBothWays() {
        var bindings = UDPBindings()
        _ = bindings.bind(1, at: address(5000), now: start)
        _ = bindings.bind(2, at: address(5001), now: start + .seconds(3))
        let silent = bindings.expire(silentFor: .seconds(2), now: start + .seconds(4))
        #expect(silent.count == 1 && silent.first?.session == 1 && silent.first?.address == address(5000))
        #expect(bindings.session(at: address(5000)) == nil && bindings.address(of: 1) == nil)
        let released = bindings.release(2)
        let twice = bindings.release(2)
        #expect(released == address(5001) && twice == nil && bindings.isEmpty)
        let proved = bindings.bind(3, at: address(5000), now: start + .seconds(5))
        #expect(proved == .moved, "a freed address can be proved again")
    }
}
