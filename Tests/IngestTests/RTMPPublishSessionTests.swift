import Ingest
import NIOCore
import Testing

/// The server's side of a publisher's conversation, driven as OBS and ffmpeg drive it.
@Suite struct RTMPPublishSessionTests {
    /// A publisher: the handshake, then commands and media through its own chunk writer.
    struct Publisher {
        var writer = RTMPChunkWriter()
        var reader = RTMPChunkReader()
        var fromServer = ByteBufferAllocator().buffer(capacity: 0)

        func handshake() -> ByteBuffer {
            var buffer = ByteBufferAllocator().buffer(capacity: 3073)
            buffer.writeInteger(UInt8(3))
            buffer.writeBytes([UInt8](repeating: 0x11, count: 1536))
            buffer.writeBytes([UInt8](repeating: 0x22, count: 1536))  // C2, sent without waiting (as librtmp may)
            return buffer
        }

        mutating func command(_ name: String, _ transaction: Double, _ arguments: [AMF0], stream: UInt32 = 0) -> ByteBuffer {
            var buffer = ByteBufferAllocator().buffer(capacity: 256)
            writer.write(.command(name, transaction: transaction, arguments, streamID: stream), chunkStream: 3, into: &buffer)
            return buffer
        }

        mutating func media(_ kind: RTMPMessage.Kind, bytes: Int, at timestamp: UInt32) -> ByteBuffer {
            var payload = ByteBufferAllocator().buffer(capacity: bytes)
            payload.writeBytes([UInt8](repeating: kind == .video ? 0x17 : 0xAF, count: bytes))
            var buffer = ByteBufferAllocator().buffer(capacity: bytes + 64)
            writer.write(RTMPMessage(kind, timestamp: timestamp, streamID: 1, payload: payload), chunkStream: kind == .video ? 6 : 4, into: &buffer)
            return buffer
        }

        /// The commands the server sent since last asked (after the handshake): name and arguments.
        mutating func commands(in output: RTMPPublishSession.Output) throws -> [[AMF0]] {
            var send = output.send
            fromServer.writeBuffer(&send)
            return try reader.read(&fromServer).filter { $0.kind == .commandAMF0 }.map { try AMF0.decodeAll($0.payload) }
        }
    }

    func feed(_ session: inout RTMPPublishSession, _ bytes: ByteBuffer) throws -> RTMPPublishSession.Output {
        var bytes = bytes
        let output = try session.received(&bytes)
        #expect(bytes.readableBytes == 0, "everything whole was read")
        return output
    }

    @Test func aPublisherConnectsPublishesWithItsKeyAndItsTagsComeOut() throws {
        var session = RTMPPublishSession(random: [UInt8](repeating: 0x5A, count: 1528))
        var publisher = Publisher()
        let handshake = try feed(&session, publisher.handshake())
        #expect(handshake.send.readableBytes == 3073)
        #expect(handshake.send.getBytes(at: 1537, length: 1536) == [UInt8](repeating: 0x11, count: 1536), "S2 echoes C1")

        let connect = try feed(&session, publisher.command("connect", 1, [.object([("app", .string("live")), ("tcUrl", .string("rtmp://127.0.0.1/live"))])]))
        #expect(connect.events == [.connected(app: "live")])
        let result = try publisher.commands(in: connect)
        #expect(result.first?.first?.stringValue == "_result" && result.first?[3]["code"]?.stringValue == "NetConnection.Connect.Success")

        _ = try feed(&session, publisher.command("releaseStream", 2, [.null, .string("key-1")]))
        _ = try feed(&session, publisher.command("FCPublish", 3, [.null, .string("key-1")]))
        let created = try publisher.commands(in: try feed(&session, publisher.command("createStream", 4, [.null])))
        #expect(created.last?[1].numberValue == 4 && created.last?[3].numberValue == 1, "stream 1 for transaction 4")

        let publish = try feed(&session, publisher.command("publish", 5, [.null, .string("key-1"), .string("live")], stream: 1))
        #expect(publish.events == [.publishing(key: "key-1")] && session.isPublishing)
        #expect(try publisher.commands(in: publish).last?[3]["code"]?.stringValue == "NetStream.Publish.Start")

        var metadata = ByteBufferAllocator().buffer(capacity: 128)
        publisher.writer.write(
            RTMPMessage(.dataAMF0, streamID: 1, payload: AMF0.encode([.string("@setDataFrame"), .string("onMetaData"), .object([("videocodecid", .number(7))])])),
            chunkStream: 4, into: &metadata)
        #expect(try feed(&session, metadata).events == [.metadata(.object([("videocodecid", .number(7))]))])

        let video = try feed(&session, publisher.media(.video, bytes: 20_000, at: 33))
        let audio = try feed(&session, publisher.media(.audio, bytes: 200, at: 40))
        guard case .video(let frame, 33)? = video.events.first, case .audio(let sound, 40)? = audio.events.first else {
            Issue.record("no media events: \(video.events) \(audio.events)")
            return
        }
        #expect(frame.readableBytes == 20_000 && sound.readableBytes == 200)
        #expect(try feed(&session, publisher.command("FCUnpublish", 6, [.null, .string("key-1")])).events == [.unpublished])
    }

    @Test func theWindowTheServerIsToldIsAcknowledged() throws {
        var session = RTMPPublishSession()
        var publisher = Publisher()
        _ = try feed(&session, publisher.handshake())
        var window = ByteBufferAllocator().buffer(capacity: 32)
        publisher.writer.write(.control(.windowAcknowledgementSize, 10_000), chunkStream: 2, into: &window)
        _ = try feed(&session, window)
        _ = try feed(&session, publisher.command("connect", 1, [.object([("app", .string("live"))])]))
        _ = try feed(&session, publisher.command("createStream", 2, [.null]))
        _ = try feed(&session, publisher.command("publish", 3, [.null, .string("k"), .string("live")], stream: 1))
        let output = try feed(&session, publisher.media(.video, bytes: 12_000, at: 0))
        var reader = RTMPChunkReader()
        var sent = output.send
        let acks = try reader.read(&sent).filter { $0.kind == .acknowledgement }
        #expect(acks.count == 1 && (acks.first?.controlValue ?? 0) > 10_000)
    }

    @Test func whatIsNotAPublisherIsRefused() throws {
        // Garbage, and an encrypted handshake.
        for first: UInt8 in [0x47, 6] {
            var session = RTMPPublishSession()
            var bytes = ByteBufferAllocator().buffer(capacity: 1)
            bytes.writeInteger(first)
            #expect(throws: RTMPError.self) { try session.received(&bytes) }
        }
        // Media before publish; a player's `play`; a publish without a key.
        let attempts: [(inout Publisher) -> ByteBuffer] = [
            { $0.media(.video, bytes: 10, at: 0) },
            { $0.command("play", 3, [.null, .string("key")], stream: 1) },
            { $0.command("publish", 3, [.null, .string(""), .string("live")], stream: 1) },
        ]
        for attempt in attempts {
            var session = RTMPPublishSession()
            var publisher = Publisher()
            _ = try feed(&session, publisher.handshake())
            _ = try feed(&session, publisher.command("connect", 1, [.object([("app", .string("live"))])]))
            var bytes = attempt(&publisher)
            #expect(throws: RTMPError.self) { try session.received(&bytes) }
        }
        // A truncated handshake is only waited for: the handler's timeout ends it.
        var session = RTMPPublishSession()
        var part = ByteBufferAllocator().buffer(capacity: 100)
        part.writeInteger(UInt8(3))
        part.writeBytes([UInt8](repeating: 0, count: 99))
        #expect(try session.received(&part).send.readableBytes == 0)
    }
}
