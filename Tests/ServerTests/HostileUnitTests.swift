import Client
import Foundation
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// A hostile cluster for the clients: an HTTP API that sends every viewer to a fake unit, and a
/// fake unit that fills the session with terminal escapes.
struct FakeHostileCluster {
    static let escapes = "\u{1B}[2J\u{1B}]0;pwned\u{07}\u{9B}31m\u{202E}"
    let api: Channel
    let unit: Channel

    static func start() async throws -> FakeHostileCluster {
        let unit = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .rfc4571)), HostileUnitHandler(),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let place = JoinChannelResponse(
            channel: 1, unit: UnitAddress(unit: 1, host: "127.0.0.1", sessionPort: unit.localAddress!.port!, mediaPort: 9), ticket: "t")
        let body = try ControlCoder.encode(place)
        let api = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FixedHTTPAnswer(body: body)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeHostileCluster(api: api, unit: unit)
    }

    func stop() async {
        try? await api.close()
        try? await unit.close()
    }
}

/// Answers any HTTP request with the same JSON, then closes.
final class FixedHTTPAnswer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let body: [UInt8]
    private var request = ""

    init(body: [UInt8]) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        request += String(buffer: Self.unwrapInboundIn(data))
        guard request.contains("\r\n\r\n") else { return }
        var answer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
        answer.writeBytes(body)
        context.writeAndFlush(NIOAny(answer)).whenComplete { _ in context.close(promise: nil) }
    }
}

/// Opens any session, then sends chat, reasons and an error full of escapes.
final class HostileUnitHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var frames = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames += 1
        guard frames == 2 else { return }  // hello, then open
        let evil = FakeHostileCluster.escapes
        let messages: [SessionMessage] = [
            .hello(Hello(peer: .unit, name: "unit\(evil)")),
            .opened(SessionOpened(session: 1, channel: 1, group: 1, role: .viewer, bindToken: .random(), mediaPort: 9, mode: .tcp)),
            .modeChanged(.tcp, reason: "because\(evil)"),
            .chat(ChatLine(from: "mallory\(evil)", text: "hi \(evil)all", sentAtMilliseconds: 0)),
            .videoSkipped(true, reason: "slow\(evil)"),
        ]
        var buffer = context.channel.allocator.buffer(capacity: 1024)
        for message in messages { try? SessionFrame.message(message).write(to: &buffer) }
        context.writeAndFlush(NIOAny(buffer), promise: nil)
    }
}

@Suite(.serialized) struct HostileUnitTests {
    @Test func chatAndReasonsFullOfEscapesPrintCleanedInViewerWatch() async throws {
        let cluster = try await FakeHostileCluster.start()
        let viewer = try ClientProcess("viewer", [
            "watch", "http://127.0.0.1:\(cluster.api.localAddress!.port!)/channels/1", "--tcp", "--no-video", "--mute", "--duration", "3",
        ])
        _ = await viewer.finish()
        let text = viewer.text
        #expect(text.contains("[mallory[2J]0;pwned31m] hi [2J]0;pwned31mall"), "\(text)")
        #expect(text.contains("video paused, audio goes on: slow[2J]0;pwned31m"))
        for scalar in text.unicodeScalars where scalar != "\n" {
            #expect(!ChatText.isControl(scalar), "a control character reached the terminal: U+\(String(scalar.value, radix: 16))")
        }
        await cluster.stop()
    }

    @Test func terminalTextIsCleanedAndMeasuredInCells() {
        #expect(TerminalText.clean("a\u{1B}[31mb\u{07}c\u{9B}d\u{202E}e\tf\ng") == "a[31mbcde f g")
        #expect(TerminalText.clean("x\ny", keepingLines: true) == "x\ny")
        #expect(TerminalText.cells("abc") == 3)
        #expect(TerminalText.cells("日本語") == 6)
        #expect(TerminalText.cells("e\u{301}") == 1)
        #expect(TerminalText.cells("👋") == 2)
        #expect(TerminalText.fit("日本語", columns: 5) == "日本")
        #expect(TerminalText.pad("日本", to: 6) == "日本  ")
        let table = StatusTable.table(["A", "B"], [["日本", "x\u{1B}[2J"], ["ab", "y"]])
        #expect(!table.unicodeScalars.contains { $0 == "\u{1B}" })
        let lines = table.split(separator: "\n").map { TerminalText.cells(String($0)) }
        #expect(Set(lines.dropFirst()).count == 1)
    }
}
