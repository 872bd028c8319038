import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

@testable import Server

/// A CSM stand-in over a real socket: accepts one unit's control link (proving the cluster key
/// `secret`, as a real CSM does), records what it says and sends it commands.
final class FakeCSM: Sendable {
    let port: Int
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let received = NIOLockedValueBox<[UnitMessage]>([])
    private let writer = NIOLockedValueBox<NIOAsyncChannelOutboundWriter<ByteBuffer>?>(nil)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(secret: String = UnitHarness.secret) async throws {
        let keys = ClusterKeys(clusterKey: secret)
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .control)))
                    try channel.pipeline.syncOperations.addHandler(LinkAuthenticationHandler(
                        handshake: .responder(accepting: [.unit], name: "fake csm", keyring: keys.linkKey(for:name:)), logger: Logger(label: "test.fake-csm"),
                        on: channel.eventLoop))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        port = server.channel.localAddress!.port!
        let server = self.server
        let received = self.received
        let writer = self.writer
        task.withLockedValue {
            $0 = Task {
                try? await server.executeThenClose { connections in
                    for try await connection in connections {
                        try? await connection.executeThenClose { inbound, outbound in
                            writer.withLockedValue { $0 = outbound }
                            var first = true
                            for try await frame in inbound {
                                if first {
                                    first = false
                                    if let hello = try? ControlCoder.decodeHello(from: frame) { received.withLockedValue { $0.append(.hello(hello)) } }
                                    continue
                                }
                                if let message = try? ControlCoder.decode(UnitMessage.self, from: frame) {
                                    received.withLockedValue { $0.append(message) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    var messages: [UnitMessage] { received.withLockedValue { $0 } }

    /// Sends a message; a command goes, as from a real CSM, under a lease of its epoch, asked
    /// for first (again while the unit is starting and grants none).
    func send(_ message: CSMMessage) async throws {
        if case .command(_, let epoch, _) = message { try await takeLease(epoch: epoch) }
        try await write(message)
    }

    private let nextLease = NIOLockedValueBox<UInt64>(1_000_000)

    func takeLease(epoch: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let id = nextLease.withLockedValue { $0 += 1; return $0 }
            try await write(.leaseRequest(id: id, epoch: epoch, milliseconds: 1000))
            let answered = await wait(timeout: .seconds(2)) { messages in
                messages.contains { if case .lease(id, _, _, _) = $0 { true } else { false } }
            }
            let answer = messages.last { if case .lease(id, _, _, _) = $0 { true } else { false } }
            guard answered, case .lease(_, let unitEpoch, let granted, _)? = answer else { return }
            // Granted, or refused for good (a stale epoch): the command shows what the unit does.
            if granted != nil || unitEpoch > epoch { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func write(_ message: CSMMessage) async throws {
        var buffer = ByteBuffer()
        try LengthPrefixedFramer.control.write(bytes: ControlCoder.encode(message), to: &buffer)
        try await writer.withLockedValue { $0 }?.write(buffer)
    }

    /// Sends a frame of any text (messages no real CSM would make).
    func sendRaw(_ text: String) async throws {
        var buffer = ByteBuffer()
        try LengthPrefixedFramer.control.write(bytes: Array(text.utf8), to: &buffer)
        try await writer.withLockedValue { $0 }?.write(buffer)
    }

    func wait(timeout: Duration = .seconds(10), until condition: ([UnitMessage]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(messages) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(messages)
    }

    func close() {
        task.withLockedValue { $0?.cancel() }
        server.channel.close(promise: nil)
    }
}
