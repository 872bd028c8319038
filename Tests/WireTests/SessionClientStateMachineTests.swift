import NIOCore
import Testing

@testable import Wire

@Suite struct SessionClientStateMachineTests {
    static let t0 = ContinuousClock.now
    static let opened = SessionOpened(session: 9, channel: 1, group: 2, role: .viewer, bindToken: .random(), mediaPort: 7101, mode: .udp)
    static let cookie = BindCookie(bytes: [1, 2, 3, 4, 5, 6, 7, 8])

    static func frame(_ message: SessionMessage) -> ByteBuffer { ByteBuffer(bytes: try! ControlCoder.encode(message)) }

    static func openMachine(fallBack: Bool) -> SessionClientStateMachine {
        var machine = SessionClientStateMachine(
            hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "v", settings: .init(bindTimeout: .seconds(1), fallBackToTCP: fallBack))
        _ = machine.connected()
        _ = machine.received(frame(.hello(Hello(peer: .unit, name: "unit 1"))), now: t0)
        _ = machine.received(frame(.opened(opened)), now: t0)
        return machine
    }

    @Test func helloAndOpenThenTheUnitsAnswer() {
        var machine = SessionClientStateMachine(hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "ann", settings: .init(fallBackToTCP: false))
        #expect(machine.connected() == [.send(.hello(Hello(peer: .viewer, name: "v"))), .send(.open(ticket: "T", name: "ann"))])
        #expect(machine.received(Self.frame(.hello(Hello(peer: .unit, name: "unit 1"))), now: Self.t0).isEmpty)
        #expect(machine.received(Self.frame(.opened(Self.opened)), now: Self.t0) == [.opened(Self.opened)])
        #expect(machine.phase == .open)
        #expect(machine.received(Self.frame(.modeChanged(.tcp, reason: "r")), now: Self.t0) == [.deliver(.modeChanged(.tcp, reason: "r"))])
        #expect(machine.mode == .tcp)
    }

    @Test func aReceiverJoiningAgainOpensWithWhereItLeftOff() {
        let point = ResumePoint(streams: [.init(ssrc: 1, sequence: 41)])
        var machine = SessionClientStateMachine(hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "ann", resume: point, settings: .init(fallBackToTCP: false))
        #expect(machine.connected() == [.send(.hello(Hello(peer: .viewer, name: "v"))), .send(.open(ticket: "T", name: "ann", resume: point))])
    }

    @Test func aRefusalBeforeTheHelloOrAfterItClosesWithTheReason() {
        let refusal = ControlError(.noRoom, "full")
        var early = SessionClientStateMachine(hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "v", settings: .init(fallBackToTCP: false))
        _ = early.connected()
        #expect(early.received(Self.frame(.error(refusal)), now: Self.t0) == [.close(refusal)])
        var late = SessionClientStateMachine(hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "v", settings: .init(fallBackToTCP: false))
        _ = late.connected()
        _ = late.received(Self.frame(.hello(Hello(peer: .unit, name: "u"))), now: Self.t0)
        #expect(late.received(Self.frame(.error(refusal)), now: Self.t0) == [.close(refusal)])
        var garbage = SessionClientStateMachine(hello: Hello(peer: .viewer, name: "v"), ticket: "T", name: "v", settings: .init(fallBackToTCP: false))
        _ = garbage.connected()
        guard case .close(let error)? = garbage.received(ByteBuffer(string: "{nonsense"), now: Self.t0).first else { Issue.record("not closed"); return }
        #expect(error.code == .expectedHello)
    }

    @Test func theBindEchoesItsChallengeRetriesAndKeepsAlive() throws {
        var machine = Self.openMachine(fallBack: false)
        let first = machine.startBind(now: Self.t0)
        guard case .sendBind(let request)? = first.first else { Issue.record("no bind"); return }
        #expect(try BindDatagram(parsing: request) == .request(session: 9, token: Self.opened.bindToken, cookie: .none))
        #expect(machine.tick(now: Self.t0 + .milliseconds(50)).isEmpty)
        #expect(machine.tick(now: Self.t0 + .milliseconds(120)).count == 1)
        let challenge = BindDatagram.reply(session: 9, cookie: Self.cookie, bound: false).encoded()
        guard case .sendBind(let echo)? = machine.bindDatagram(challenge, now: Self.t0 + .milliseconds(130)).first else { Issue.record("no echo"); return }
        #expect(try BindDatagram(parsing: echo) == .request(session: 9, token: Self.opened.bindToken, cookie: Self.cookie))
        let bound = BindDatagram.reply(session: 9, cookie: Self.cookie, bound: true).encoded()
        #expect(machine.bindDatagram(bound, now: Self.t0 + .milliseconds(140)) == [.bound])
        #expect(machine.bindDatagram(bound, now: Self.t0 + .milliseconds(150)).isEmpty, "a keepalive's answer is no news")
        #expect(machine.tick(now: Self.t0 + .milliseconds(600)).isEmpty)
        #expect(machine.tick(now: Self.t0 + .milliseconds(1200)).count == 1, "a keepalive a second")
        // A new attempt (a UDP probe) reports its answer even though the address was bound before.
        _ = machine.startBind(now: Self.t0 + .seconds(2))
        #expect(machine.bindDatagram(bound, now: Self.t0 + .seconds(2)) == [.bound])
    }

    @Test func noBindAnswerFallsBackToTCPOrTellsTheOwner() {
        var relay = Self.openMachine(fallBack: true)
        _ = relay.startBind(now: Self.t0)
        let actions = relay.tick(now: Self.t0 + .milliseconds(1100))
        #expect(actions.contains(.bindTimedOut(fellBackToTCP: true)))
        #expect(actions.contains { if case .send(.setMode(.tcp, _)) = $0 { true } else { false } })
        #expect(relay.mode == .tcp)

        var viewer = Self.openMachine(fallBack: false)
        _ = viewer.startBind(now: Self.t0, timeout: .seconds(3))
        #expect(!viewer.tick(now: Self.t0 + .milliseconds(1100)).contains(.bindTimedOut(fellBackToTCP: false)))
        #expect(viewer.tick(now: Self.t0 + .milliseconds(3100)) == [.bindTimedOut(fellBackToTCP: false)])
        #expect(viewer.mode == .udp)
    }
}
