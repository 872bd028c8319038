import Client
import TestSupport
import NIOCore
import NIOConcurrencyHelpers
import Wire

/// Records everything a client session hears, for tests to wait on and inspect.
final class EventRecorder: Sendable {
    private let state = NIOLockedValueBox(Recorded())
    private let task: Task<Void, Never>

    struct Recorded {
        var packets: [(packet: ReceivedPacket, via: MediaMode)] = []
        var messages: [SessionMessage] = []
        /// Every event in order: a packet or a message (for order-sensitive checks).
        var timeline: [Either] = []
        var closed = false
        /// Each packet whole with the time it came, when asked for (`keepingMedia`).
        var media: [(at: ContinuousClock.Instant, packet: RTPPacket)] = []
    }

    enum Either { case packet(ReceivedPacket), message(SessionMessage) }

    init(_ client: SessionClient, keepingMedia: Bool = false) {
        let state = self.state
        task = Task {
            for await event in client.events {
                state.withLockedValue { recorded in
                    switch event {
                    case .media(let buffer, let via):
                        if let packet = ReceivedPacket(buffer) {
                            recorded.packets.append((packet, via))
                            recorded.timeline.append(.packet(packet))
                        }
                        if keepingMedia, let whole = try? RTPPacket(parsing: buffer) { recorded.media.append((.now, whole)) }
                    case .message(let message):
                        recorded.messages.append(message)
                        recorded.timeline.append(.message(message))
                    case .closed:
                        recorded.closed = true
                    }
                }
            }
        }
    }

    var recorded: Recorded { state.withLockedValue { $0 } }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    @discardableResult
    func wait(timeout: Duration = .seconds(10), until condition: (Recorded) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(recorded) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(recorded)
    }

    func stop() { task.cancel() }
}
