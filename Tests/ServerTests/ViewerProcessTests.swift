import Client
import NIOConcurrencyHelpers
import Foundation
import Media
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// Real `viewer` processes against a real cluster and a real broadcaster.
@Suite(.serialized) struct ViewerProcessTests {
    /// Two UDP sockets on ports P and P+2, as `--rtp-out` and its SDP file expect.
    static func rtpReceivers(counting counts: EventRecorderCounts) async throws -> (Int, [Channel]) {
        for _ in 0..<20 {
            let port = TestPorts.next(count: 3)
            var channels: [Channel] = []
            do {
                for (offset, key) in [(0, "audio"), (2, "video")] {
                    channels.append(try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CountingHandler(key: key, counts: counts)) }
                        }
                        .bind(host: "127.0.0.1", port: port + offset).get())
                }
                return (port, channels)
            } catch {
                for channel in channels { try? await channel.close() }
            }
        }
        throw ClientError.closedBeforeOpen
    }

    @Test func aViewerPlaysTheSoundAndPicturesAndForwardsPlainRTP() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let server = "http://127.0.0.1:\(csm.ports.http)"
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", server, "--title", "watched", "--video", "test", "--size", "320x240", "--audio", "test", "--duration", "12",
        ])
        #expect(await eventually { broadcaster.text.contains("over UDP") })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("viewer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let counts = EventRecorderCounts()
        let (port, receivers) = try await Self.rtpReceivers(counting: counts)
        let sdp = directory.appendingPathComponent("stream.sdp").path
        let wav = directory.appendingPathComponent("sound.wav").path
        let viewer = try ClientProcess("viewer", [
            "watch", "\(server)/channels/1", "--duration", "4", "--audio-out", wav, "--rtp-out", "127.0.0.1:\(port)", "--sdp", sdp,
        ])
        #expect(await viewer.finish() == 0, "\(viewer.text)")
        let output = viewer.text
        #expect(output.contains("over UDP"), "\(output)")
        // About 4 s at 25 fps (plus the fast start); every picture decoded.
        let shown = Int(output.firstMatch(of: /(\d+) frames shown/)?.1 ?? "0") ?? 0
        #expect((80...140).contains(shown), "\(output)")

        // The sound that came out is the broadcaster's 440 Hz tone, about 4 s of it.
        let sound = try WAVFormat(parsing: [UInt8](Data(contentsOf: URL(fileURLWithPath: wav))), path: wav)
        #expect(sound.channels == 2 && sound.sampleRate == 48_000)
        let seconds = Double(sound.samples.count / 2) / 48_000
        #expect((3.5...4.5).contains(seconds), "\(seconds) s of sound")
        #expect(abs(SoundAnalysis.frequency(of: Array(sound.samples.dropFirst(9600)), channels: 2) - 440) < 5)

        // Plain RTP came out on P (audio) and P+2 (video), described by the SDP file.
        let description = try String(contentsOfFile: sdp, encoding: .utf8)
        #expect(description.contains("m=audio \(port) RTP/AVP 111\r\na=rtpmap:111 opus/48000/2"))
        #expect(description.contains("m=video \(port + 2) RTP/AVP 96\r\na=rtpmap:96 VP8/90000"))
        #expect(counts.value("audio:111") >= 180, "audio packets forwarded: \(counts.value("audio:111"))")
        #expect(counts.value("video:96") >= 100 && counts.value("audio:96") == 0 && counts.value("video:111") == 0,
                "video packets forwarded: \(counts.value("video:96")), \(output)")
        for receiver in receivers { try? await receiver.close() }
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        await csm.stop()
    }

    @Test func twoHundredLoadViewersGetAtLeast999PerMilleOfThePackets() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let server = "http://127.0.0.1:\(csm.ports.http)"
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", server, "--title", "radio", "--video", "none", "--audio", "test", "--duration", "20",
        ])
        #expect(await eventually { broadcaster.text.contains("over UDP") })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("report.json")
        let html = directory.appendingPathComponent("report.html")
        let load = try ClientProcess("viewer", [
            "load", "--server", server, "--channel", "1", "--viewers", "200", "--ramp", "200", "--tcp-share", "10", "--duration", "5",
            "--json", json.path, "--html", html.path,
        ])
        #expect(await load.finish() == 0, "\(load.text)")
        struct Report: Decodable {
            var joined: Int
            var silentViewers: Int
            var deliveredPercent: Double
            var packetsExpected: Int
            var timeline: [LoadSample]
            struct LoadSample: Decodable { var packets: Int }
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: json))
        #expect(report.joined == 200 && report.silentViewers == 0)
        #expect(report.deliveredPercent >= 99.9, "\(load.text)")
        // 200 viewers of 50 audio packets a second for about 5 s.
        #expect(report.packetsExpected > 200 * 50 * 4, "\(report.packetsExpected) packets expected")
        #expect(report.timeline.count >= 5)
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("polyline"))
        #expect(load.text.contains("join to first keyframe ms"))
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        await csm.stop()
    }
    /// A unit killed under `viewer load`: its viewers (UDP and TCP) re-join elsewhere, each saying
    /// where it left off, and the load report counts no packet lost for them.
    @Test func viewerLoadCountsNoLostPacketForTheViewersOfAKilledUnit() async throws {
        let csm = try await RunningCSM.start {
            $0.settings.expansionThreshold = 1
            $0.name = "csm-rehome"
        }
        let units = try (1...4).map { try UnitProcess(id: $0, csm: csm.unitAddress, secret: UnitHarness.secret, arguments: ["--groups", "2", "--capacity", "6"]) }
        #expect(try await eventually { try await csm.activeUnits() == 4 })
        let server = "http://127.0.0.1:\(csm.ports.http)"
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", server, "--title", "re-homed", "--video", "test", "--size", "160x120", "--audio", "test", "--duration", "30",
        ])
        #expect(await eventually { broadcaster.text.contains("over UDP") }, "\(broadcaster.text)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("report.json")
        let load = try ClientProcess("viewer", [
            "load", "--server", server, "--channel", "1", "--viewers", "30", "--ramp", "30", "--tcp-share", "34", "--duration", "8",
            "--json", json.path, "--html", directory.appendingPathComponent("report.html").path,
        ])
        // Once everyone watches: kill the unit with the most viewers after the broadcaster's own.
        #expect(try await eventually(timeout: .seconds(20)) { try await csm.view().channels.first?.viewers == 30 })
        try await Task.sleep(for: .seconds(1))
        let view = try await csm.view()
        let root = try #require(view.channels.first?.root.unit)
        let doomed = try #require(view.units.filter { $0.unit != root }.max { $0.viewers < $1.viewers })
        #expect(doomed.viewers > 0)
        units[Int(doomed.unit.rawValue) - 1].kill()
        #expect(await load.finish() == 0, "\(load.text)")

        struct Report: Decodable {
            var joined: Int
            var rejoined: Rejoined
            struct Rejoined: Decodable { var viewers, udpViewers, tcpViewers, packetsExpected, packetsLost: Int }
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: json))
        print("unit \(doomed.unit) killed with \(doomed.viewers) viewers; re-joined: \(report.rejoined)")
        #expect(report.joined == 30)
        #expect(report.rejoined.viewers == doomed.viewers, "\(load.text)")
        #expect(report.rejoined.udpViewers > 0 && report.rejoined.tcpViewers > 0, "\(report.rejoined)")
        #expect(report.rejoined.packetsExpected > report.rejoined.viewers * 100)
        #expect(report.rejoined.packetsLost == 0, "\(load.text)")
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        for unit in units { unit.kill() }
        await csm.stop()
    }
}

/// Packet counts by key, from the RTP receivers' event loops.
final class EventRecorderCounts: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])
    func add(_ key: String) { counts.withLockedValue { $0[key, default: 0] += 1 } }
    func value(_ key: String) -> Int { counts.withLockedValue { $0[key] ?? 0 } }
}

/// Counts datagrams by receiver and RTP payload type.
final class CountingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let key: String
    let counts: EventRecorderCounts

    init(key: String, counts: EventRecorderCounts) {
        self.key = key
        self.counts = counts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard let packet = try? RTPPacket(parsing: envelope.data) else { return }
        counts.add("\(key):\(packet.payloadType)")
    }
}
