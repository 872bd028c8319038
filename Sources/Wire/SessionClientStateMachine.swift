import NIOCore

/// The client side of a session with a unit (docs/ARCHITECTURE.md, one packet), written once for every
/// client: the CLIs' `SessionClient` and a unit's relay links. Pure: the connection, the unit's
/// frames and bind datagrams, and ticks with the time go in; what to send and what happened come
/// out. It says hello and opens with the ticket; proves the UDP address (the bind request every
/// `bindRetry` until the unit says it is bound, echoing each challenge's cookie at once); keeps
/// the binding alive every `keepalive`; and, when the bind gets no answer within `bindTimeout`,
/// either falls back to TCP itself (`fallBackToTCP`) or says so and lets its owner decide.
///
/// Media frames of an open session need no decision: an owner hands them on directly
/// (`SessionFrame.isMedia`), so the per-packet path never goes through here.
public struct SessionClientStateMachine: Sendable {
    public struct Settings: Sendable {
        public var bindTimeout: Duration
        public var bindRetry: Duration
        public var keepalive: Duration
        public var fallBackToTCP: Bool

        public init(bindTimeout: Duration = .seconds(2), bindRetry: Duration = .milliseconds(100), keepalive: Duration = .seconds(1), fallBackToTCP: Bool) {
            self.bindTimeout = bindTimeout
            self.bindRetry = bindRetry
            self.keepalive = keepalive
            self.fallBackToTCP = fallBackToTCP
        }
    }

    public enum Phase: Equatable, Sendable { case connecting, awaitingHello, awaitingOpened, open, closed }

    public enum Action: Equatable, Sendable {
        /// Send this message on the TCP session.
        case send(SessionMessage)
        /// Send this bind request to the unit's media port.
        case sendBind(ByteBuffer)
        /// The unit opened the session.
        case opened(SessionOpened)
        /// The UDP address is proven: media flows there.
        case bound
        /// No bind answer within the timeout: UDP does not get through (the machine asked for TCP
        /// itself when it falls back).
        case bindTimedOut(fellBackToTCP: Bool)
        /// A message of the open session for the owner (mode changes, chat, status, errors...).
        case deliver(SessionMessage)
        /// The session cannot go on: close the connection.
        case close(ControlError)
    }

    public let settings: Settings
    private let hello: Hello
    private let ticket: String
    private let name: String
    private let resume: ResumePoint?
    public private(set) var phase = Phase.connecting
    public private(set) var opened: SessionOpened?
    /// The mode the unit last confirmed (or the session started in).
    public private(set) var mode = MediaMode.udp
    private var binding: BindClient?
    /// When the current bind attempt began; nil while none is running.
    private var bindStarted: ContinuousClock.Instant?
    /// How long the current bind attempt may take.
    private var bindTimeout: Duration
    private var lastBindSent: ContinuousClock.Instant?
    private var unitHelloSeen = false

    /// `resume`: where a receiver joining again left off, for the unit to send what follows.
    public init(hello: Hello, ticket: String, name: String, resume: ResumePoint? = nil, settings: Settings) {
        self.hello = hello
        self.ticket = ticket
        self.name = name
        self.resume = resume
        self.settings = settings
        bindTimeout = settings.bindTimeout
    }

    /// The TCP connection is up: hello and open go out together.
    public mutating func connected() -> [Action] {
        guard phase == .connecting else { return [] }
        phase = unitHelloSeen ? .awaitingOpened : .awaitingHello
        return [.send(.hello(hello)), .send(.open(ticket: ticket, name: name, resume: resume))]
    }

    /// A frame from the unit (other than media of the open session).
    public mutating func received(_ frame: ByteBuffer, now: ContinuousClock.Instant) -> [Action] {
        switch phase {
        case .closed:
            return []
        case .connecting, .awaitingHello:
            // A unit that cannot take the session says why before its hello, even before ours.
            if case .message(.error(let error))? = try? SessionFrame(frame: frame) { return close(error) }
            do {
                _ = try ControlCoder.decodeHello(from: frame)
            } catch let error as WireError {
                return close(ControlError(error))
            } catch {
                return close(ControlError(.expectedHello, "\(error)"))
            }
            if phase == .awaitingHello { phase = .awaitingOpened } else { unitHelloSeen = true }
            return []
        case .awaitingOpened, .open:
            let parsed: SessionFrame
            do {
                parsed = try SessionFrame(frame: frame)
            } catch let error as WireError {
                return close(ControlError(error))
            } catch {
                return close(ControlError(.malformed, "\(error)"))
            }
            return received(parsed, now: now)
        }
    }

    private mutating func received(_ frame: SessionFrame, now: ContinuousClock.Instant) -> [Action] {
        guard case .message(let message) = frame else { return [] }  // media before the open: nothing to do
        if phase == .awaitingOpened {
            switch message {
            case .opened(let answer):
                phase = .open
                opened = answer
                mode = answer.mode
                binding = BindClient(answer)
                return [.opened(answer)]
            case .error(let error):
                return close(error)
            default:
                return []
            }
        }
        if case .modeChanged(let confirmed, _) = message { mode = confirmed }
        return [.deliver(message)]
    }

    /// Starts proving the UDP address (again: after a re-bind or for a UDP probe), within
    /// `timeout` (the settings' when nil).
    public mutating func startBind(now: ContinuousClock.Instant, timeout: Duration? = nil) -> [Action] {
        guard phase == .open, let binding else { return [] }
        bindStarted = now
        bindTimeout = timeout ?? settings.bindTimeout
        lastBindSent = now
        return [.sendBind(binding.request)]
    }

    /// A bind datagram from the unit's media port.
    public mutating func bindDatagram(_ datagram: ByteBuffer, now: ContinuousClock.Instant) -> [Action] {
        guard phase == .open, binding != nil else { return [] }
        let wasBound = binding!.isBound
        switch binding!.received(datagram) {
        case .ignore:
            return []
        case .sendAgain:
            lastBindSent = now
            return [.sendBind(binding!.request)]
        case .bound:
            // News when it answers a bind attempt, or is the first proof: not every keepalive.
            let attempt = bindStarted != nil
            bindStarted = nil
            return wasBound && !attempt ? [] : [.bound]
        }
    }

    /// Every so often (at least every `bindRetry` while binding): retries, keepalives, timeouts.
    public mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        guard phase == .open, let binding else { return [] }
        if let started = bindStarted, !binding.isBound {
            if now - started > bindTimeout {
                bindStarted = nil
                guard settings.fallBackToTCP, mode == .udp else { return [.bindTimedOut(fellBackToTCP: false)] }
                mode = .tcp
                return [.send(.setMode(.tcp, reason: "no bind reply within \(bindTimeout)")), .bindTimedOut(fellBackToTCP: true)]
            }
            guard lastBindSent.map({ now - $0 >= settings.bindRetry }) ?? true else { return [] }
            lastBindSent = now
            return [.sendBind(binding.request)]
        }
        guard binding.isBound, lastBindSent.map({ now - $0 >= settings.keepalive }) ?? true else { return [] }
        lastBindSent = now
        return [.sendBind(binding.request)]
    }

    /// The bind request to send now as a keepalive, whatever the timers say (an owner with its own).
    public mutating func keepalive(now: ContinuousClock.Instant) -> [Action] {
        guard phase == .open, let binding else { return [] }
        lastBindSent = now
        return [.sendBind(binding.request)]
    }

    /// The connection closed.
    public mutating func disconnected() {
        phase = .closed
        bindStarted = nil
    }

    private mutating func close(_ error: ControlError) -> [Action] {
        phase = .closed
        return [.close(error)]
    }
}

extension SessionFrame {
    /// Whether a frame of a session is RTP media (first byte 128...191), without parsing it.
    public static func isMedia(_ frame: ByteBuffer) -> Bool {
        frame.getInteger(at: frame.readerIndex, as: UInt8.self).map { $0 & 0xC0 == 0x80 } ?? false
    }
}
