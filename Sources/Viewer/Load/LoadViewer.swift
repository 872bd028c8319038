import Client
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// One emulated viewer of `viewer load`: a real session with its own UDP socket (or TCP mode),
/// counting what arrives without decoding it, re-joining when its session breaks.
final class LoadViewer: Sendable {
    let index: Int
    let wantsTCP: Bool
    let record: NIOLockedValueBox<ViewerRecord>
    private let session = NIOLockedValueBox<SessionClient?>(nil)

    init(index: Int, wantsTCP: Bool) {
        self.index = index
        self.wantsTCP = wantsTCP
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
        await session.withLockedValue { $0 }?.close()
    }

    /// The UDP keepalive (a bind), for viewers on UDP.
    func keepAlive() {
        guard record.withLockedValue({ $0.mode == .udp }) else { return }
        session.withLockedValue { $0 }?.sendBind()
    }

    func close() async { await session.withLockedValue { $0 }?.close() }

    private func join(channel: ChannelID, api: ClusterAPIClient, bindTimeout: Duration) async throws {
        record.withLockedValue { $0.joinedAt = .now }
        let place = try await api.joinChannel(channel)
        let record = self.record
        let client = try await SessionClient.connect(
            to: place.unit, ticket: place.ticket, peer: .viewer, name: "load-\(index)",
            mediaSink: { buffer, _ in
                guard let packet = RTPHeaderView(buffer) else { return }
                let now = ContinuousClock.now
                record.withLockedValue { $0.received(packet, in: buffer, at: now) }
            }, datagramsPerRead: 1)
        session.withLockedValue { $0 = client }
        if wantsTCP {
            client.send(.setMode(.tcp, reason: "load test: a TCP viewer"))
            record.withLockedValue { $0.mode = .tcp }
        } else {
            do {
                try await client.bindUDP(timeout: bindTimeout)
                record.withLockedValue { $0.mode = .udp }
            } catch {
                client.send(.setMode(.tcp, reason: "no UDP bind reply"))
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
