import Client
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// One emulated viewer of `viewer load`: a real session with its own UDP socket (read by the run's
/// receive loop) or TCP mode, counting what arrives without decoding it, re-joining when its
/// session breaks.
final class LoadViewer: Sendable {
    let index: Int
    let wantsTCP: Bool
    let record: NIOLockedValueBox<ViewerRecord>
    private let receiveLoop: ReceiveLoop
    private let session = NIOLockedValueBox<SessionClient?>(nil)
    private let socket = NIOLockedValueBox<ViewerSocket?>(nil)

    init(index: Int, wantsTCP: Bool, receiveLoop: ReceiveLoop) {
        self.index = index
        self.wantsTCP = wantsTCP
        self.receiveLoop = receiveLoop
        record = NIOLockedValueBox(ViewerRecord(joinStarted: .now))
    }

    /// Joins and keeps watching until the task is cancelled.
    func run(channel: ChannelID, api: ClusterAPIClient, bindTimeout: Duration) async {
        record.withLockedValue { $0.joinStarted = .now }
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await join(channel: channel, api: api, bindTimeout: bindTimeout)
                attempt = 0
                guard let current = session.withLockedValue({ $0 }) else { return }
                for await event in current.events {
                    if case .message(.modeChanged(let mode, _)) = event {
                        record.withLockedValue { record in
                            if record.mode != mode { record.modeSwitches += 1 }
                            record.mode = mode
                        }
                    }
                }
                if Task.isCancelled { break }
                record.withLockedValue { $0.rejoins += 1 }
            } catch {
                attempt += 1
                record.withLockedValue { $0.failure = "\(error)" }
                if attempt >= 8 { return }
                try? await Task.sleep(for: .milliseconds(250 * attempt))
            }
        }
        await close()
    }

    /// The UDP keepalive (a bind), for viewers on UDP.
    func keepAlive() {
        guard record.withLockedValue({ $0.mode == .udp }) else { return }
        socket.withLockedValue { $0 }?.sendBind()
    }

    func close() async {
        await session.withLockedValue { $0 }?.close()
        closeSocket()
    }

    private func closeSocket() {
        if let old = socket.withLockedValue({ socket in defer { socket = nil }; return socket }) { receiveLoop.remove(old) }
    }

    private func join(channel: ChannelID, api: ClusterAPIClient, bindTimeout: Duration) async throws {
        record.withLockedValue { $0.joinedAt = .now }
        let place = try await api.joinChannel(channel)
        let record = self.record
        // Joining again (its unit failed): from where it left off, so the gap is filled.
        let client = try await SessionClient.connect(
            to: place.unit, ticket: place.ticket, peer: .viewer, name: "load-\(index)", resume: record.withLockedValue { $0.sequences.resumePoint },
            mediaSink: { buffer, _ in
                let now = ContinuousClock.now
                record.withLockedValue { $0.received(buffer, arrival: .now, at: now) }
            }, udpSocket: false)
        session.withLockedValue { $0 = client }
        closeSocket()
        if wantsTCP {
            client.send(.setMode(.tcp, reason: "load test: a TCP viewer"))
            record.withLockedValue { $0.mode = .tcp }
        } else {
            do {
                let socket = try ViewerSocket(unit: try place.unit.mediaAddress()) { buffer, arrival, instant in
                    record.withLockedValue { $0.received(buffer, arrival: arrival, at: instant) }
                }
                self.socket.withLockedValue { $0 = socket }
                receiveLoop.add(socket)
                socket.binding.start(client.opened)
                try await BindExchange.run(timeout: bindTimeout, replies: socket.bindReplies) { socket.sendBind() }
                record.withLockedValue { $0.mode = .udp }
            } catch {
                closeSocket()
                client.send(.setMode(.tcp, reason: "\(error)"))
                record.withLockedValue {
                    $0.mode = .tcp
                    $0.modeSwitches += 1
                }
            }
        }
        record.withLockedValue {
            $0.joined = .now
            $0.failure = nil
        }
    }
}
