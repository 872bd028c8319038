import Client
import Foundation
import Ingest
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// The RTMP port under what an attacker sends (docs/SECURITY.md): each connection is closed,
/// the unit logs why, and a channel on the same unit goes on streaming throughout.
@Suite(.serialized) struct RTMPHostileTests {
    /// A connection to the RTMP port that writes what it is given and tells how it ended.
    final class Connection: Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

        init(port: Int) async throws {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        }

        /// Writes `bytes`, then reads until the server closes or `within` passes: the bytes
        /// read, and whether the server closed.
        func send(_ bytes: [ByteBuffer], closedWithin within: Duration) async throws -> (read: Int, closed: Bool) {
            try await channel.executeThenClose { inbound, outbound in
                for buffer in bytes { try await outbound.write(buffer) }
                return try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                    group.addTask {
                        var read = 0
                        do {
                            for try await chunk in inbound { read += chunk.readableBytes }
                        } catch {
                            return (read, true)  // a reset is a close too
                        }
                        return (read, true)
                    }
                    group.addTask {
                        try await Task.sleep(for: within)
                        return (0, false)
                    }
                    let first = try await group.next()!
                    group.cancelAll()
                    return first
                }
            }
        }
    }

    /// What a publisher writes, from the same chunk writer the ingest's tests use.
    struct Script {
        var writer = RTMPChunkWriter()

        static var handshake: ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeInteger(UInt8(3))
            buffer.writeBytes([UInt8](repeating: 0x11, count: 3072))  // C1, then C2 without waiting
            return buffer
        }

        mutating func message(_ message: RTMPMessage, chunkStream: UInt8 = 3) -> ByteBuffer {
            var buffer = ByteBuffer()
            writer.write(message, chunkStream: chunkStream, into: &buffer)
            return buffer
        }

        /// connect, createStream and publish with `key`.
        mutating func publish(_ key: String) -> [ByteBuffer] {
            [
                message(.command("connect", transaction: 1, [.object([("app", .string("live")), ("tcUrl", .string("rtmp://127.0.0.1/live"))])])),
                message(.command("createStream", transaction: 2, [.null])),
                message(.command("publish", transaction: 3, [.null, .string(key), .string("live")], streamID: 1)),
            ]
        }

        /// An FLV video tag: the AVC sequence header (`configuration`), or an inter frame.
        mutating func video(configuration: Bool, at timestamp: UInt32) -> ByteBuffer {
            var payload = ByteBuffer()
            if configuration {
                // AVCDecoderConfigurationRecord: one SPS, one PPS (a 4-byte NAL length).
                payload.writeBytes([0x17, 0, 0, 0, 0, 1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, 4, 0x67, 0x42, 0xC0, 0x1E, 1, 0, 4, 0x68, 0xCE, 0x3C, 0x80])
            } else {
                payload.writeBytes([0x27, 1, 0, 0, 0, 0, 0, 0, 5, 0x41, 0x9A, 0x02, 0x03, 0x04])  // NAL type 1: no IDR
            }
            return message(RTMPMessage(.video, timestamp: timestamp, streamID: 1, payload: payload), chunkStream: 6)
        }
    }

    /// A cluster of one unit with a short RTMP timeout, and a VP8-style channel streaming to a
    /// viewer beside the attacks: the count of packets the viewer has.
    static func cluster() async throws -> (RunningCSM, UnitHarness, Int, SessionClient, EventRecorder) {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-rtmp-hostile") {
            $0.rtmpTimeout = .seconds(1)
            $0.rtmpPerNetwork = 8
        }
        let rtmp = try #require(units.unit.address.rtmpPort)
        let opened = try await csm.http.openChannel(title: "bystander")
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "host")
        let (viewer, _) = try await csm.http.watch(opened.channel, udp: false)
        let recorder = EventRecorder(viewer)
        viewer.send(.setMode(.tcp, reason: "test"))
        return (csm, units, rtmp, broadcaster, recorder)
    }

    /// Audio on the bystander channel, one stream throughout (a second SSRC would be refused).
    static func sendAudio(_ broadcaster: SessionClient, _ sender: inout RTPSender, count: Int) {
        let start = Int(sender.sequenceNumber)
        let packets = (0..<count).map { sender.packet(payload: [0xFC, 1, 2, 3], timestamp: UInt32(truncatingIfNeeded: (start + $0) * 960), capturedAt: .now) }
        broadcaster.sendMedia(packets, via: .tcp)
    }

    @Test func garbageTruncatedHandshakesHugeChunksAndLongStringsAreEachClosed() async throws {
        let (csm, units, rtmp, broadcaster, recorder) = try await Self.cluster()
        defer { _ = units }
        var audio = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
        Self.sendAudio(broadcaster, &audio, count: 20)
        #expect(await recorder.wait { $0.packets.count >= 20 })

        // An HTTP request on the RTMP port: not version 3, closed at once.
        let garbage = try await Connection(port: rtmp).send([ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x\r\n\r\n")], closedWithin: .seconds(3))
        #expect(garbage.closed && garbage.read == 0)

        // Half a handshake, then silence: closed after the timeout.
        var half = ByteBuffer()
        half.writeInteger(UInt8(3))
        half.writeBytes([UInt8](repeating: 7, count: 700))
        let truncated = try await Connection(port: rtmp).send([half], closedWithin: .seconds(4))
        #expect(truncated.closed && truncated.read == 0, "no answer to a C1 that never completes")

        // A chunk size of 2^31: past the cap, closed.
        var script = Script()
        let huge = try await Connection(port: rtmp).send([Script.handshake, script.message(.control(.setChunkSize, 0x7FFF_FFFF), chunkStream: 2)], closedWithin: .seconds(3))
        #expect(huge.closed && huge.read == 3073, "the handshake answered (S0 S1 S2), then closed")

        // An AMF0 string that claims more bytes than its message holds.
        var lying = ByteBuffer()
        lying.writeBytes([2, 0xFF, 0xF0] + Array("connect".utf8))
        var liar = Script()
        let long = try await Connection(port: rtmp).send([Script.handshake, liar.message(RTMPMessage(.commandAMF0, payload: lying))], closedWithin: .seconds(3))
        #expect(long.closed && long.read == 3073)

        // A genuine key whose publisher never sends a keyframe: closed once the timeout passes.
        let key = try await csm.http.json(.POST, "/admin/stream-keys", body: StreamKeyRequest(title: "no keyframe"), as: StreamKeyResponse.self)
        var publisher = Script()
        var tags = [Script.handshake] + publisher.publish(key.key) + [publisher.video(configuration: true, at: 0)]
        for frame in 1...60 { tags.append(publisher.video(configuration: false, at: UInt32(frame * 40))) }
        let keyless = try await Connection(port: rtmp).channel
        // Inter frames every 50 ms for 3 s (never silent, so only the keyframe rule can end it):
        // closed while they still come.
        let closedWhileSending = try await keyless.executeThenClose { inbound, outbound -> Bool in
            let reader = Task { do { for try await _ in inbound {} } catch {} }
            for tag in tags.prefix(5) { try await outbound.write(tag) }
            for tag in tags.dropFirst(5) {
                do { try await outbound.write(tag) } catch { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let ended = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await reader.value; return true }
                group.addTask { try? await Task.sleep(for: .milliseconds(200)); return false }
                defer { group.cancelAll() }
                return await group.next()!
            }
            reader.cancel()
            return ended
        }
        #expect(closedWhileSending, "a publisher without keyframes is closed")

        // The bystander channel streamed through it all.
        let before = recorder.recorded.packets.count
        Self.sendAudio(broadcaster, &audio, count: 20)
        #expect(await recorder.wait { $0.packets.count >= before + 20 })
        await csm.stop()
    }

    @Test func aThousandSilentConnectionsAreClosedAndOthersStillPublish() async throws {
        let (csm, units, rtmp, broadcaster, recorder) = try await Self.cluster()
        defer { _ = units }
        var audio = RTPSender(payloadType: RTPPayloadFormat.opus.payloadType)
        Self.sendAudio(broadcaster, &audio, count: 20)
        #expect(await recorder.wait { $0.packets.count >= 20 })
        let started = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<1000 {
                // Those past the accept queue wait for the kernel's SYN-ACK retries: seconds, not one.
                group.addTask { try await Connection(port: rtmp).send([], closedWithin: .seconds(20)).closed }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count(where: { $0 }) == 1000, "every silent connection closed: \(results.count(where: { !$0 })) left open")
        print("1,000 silent RTMP connections closed within \(ContinuousClock.now - started)")
        let before = recorder.recorded.packets.count
        Self.sendAudio(broadcaster, &audio, count: 20)
        #expect(await recorder.wait { $0.packets.count >= before + 20 })
        // A real publisher still goes live on the same port.
        let key = try await csm.http.json(.POST, "/admin/stream-keys", body: StreamKeyRequest(title: "after the flood"), as: StreamKeyResponse.self)
        let publisher = try RTMPIngestTests.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)", seconds: 10)
        #expect(try await eventually { try await RTMPIngestTests.channels(csm).contains { $0.title == "after the flood" } }, "\(publisher.text)")
        await RTMPIngestTests.stop(publisher)
        await csm.stop()
    }
}
