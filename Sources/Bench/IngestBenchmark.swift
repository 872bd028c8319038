import ArgumentParser
import Client
import Foundation
import Wire

/// `avbench ingest`: a publisher's 1080p H.264 and AAC stream (pre-encoded once, sent by ffmpeg
/// with `-re -c copy` over RTMP, as OBS sends) into a real unit process: the unit's CPU for the
/// channel (AAC made Opus included) and the delay it adds, from the whole FLV tag of a frame read
/// at the unit (the RTP's capture-time stamp) to that frame's last RTP packet at a viewer on
/// loopback; beside nginx-rtmp taking the same stream (its CPU), interleaved in one run.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "An RTMP publisher's 1080p H.264 + AAC into a real unit: its CPU and added delay, beside nginx-rtmp.")

    @Option(help: "The avserver binary (default: next to this one).")
    var avserver: String?
    @Option(help: "First port (the CSM, then the unit at +10 ... +13).")
    var port = 7900
    @Option(help: "Seconds measured each run, after 3 s of warm-up.")
    var seconds = 20
    @Option(help: "Runs of each server, interleaved.")
    var runs = 2
    @Option(help: "The stream's video bitrate (ffmpeg's -b:v).")
    var bitrate = "4000k"
    @Option(help: "nginx.conf of nginx-rtmp on 127.0.0.1:1935, application live (scripts/bench-ingest.sh writes it); none: the unit alone.")
    var nginxConf: String?

    static let ffmpeg = "/usr/bin/ffmpeg"
    static let secret = "avbench-ingest-cluster-key-0123456789"
    static let token = "avbench-ingest-admin-token-0123456789"

    struct Figures {
        /// CPU of the server's processes, in cores (seconds per second of stream).
        var cores: Double
        var publisherCores: Double
        /// Per frame: capture stamp at the unit to its last packet at the viewer (ms).
        var p50: Double?
        var p99: Double?
        var frames: Int
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.ffmpeg) else { throw ValidationError("needs ffmpeg: scripts/install-deps.sh --bench") }
        let binary = avserver ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("avserver").path
        let flv = try makeStream()
        print("ingest: 1920x1080 25 fps H.264 \(bitrate) (no B-frames, 2 s GOP) + AAC 128k over RTMP, \(seconds) s measured per run")
        print("server          | CPU (cores) | publisher ffmpeg | frame delay p50 / p99 | frames")
        for round in 1...runs {
            let unit = try await unitRun(binary: binary, flv: flv)
            print(String(format: "avserver unit %d | %11.4f | %16.4f | %8.2f / %6.2f ms   | %d", round, unit.cores, unit.publisherCores, unit.p50 ?? .nan, unit.p99 ?? .nan, unit.frames))
            if let nginxConf {
                let nginx = try await nginxRun(conf: nginxConf, flv: flv)
                print(String(format: "nginx-rtmp %d    | %11.4f | %16.4f | (no RTP out)          |", round, nginx.cores, nginx.publisherCores))
            }
        }
    }

    /// 30 s of testsrc2 and a tone at 1080p, encoded once and kept.
    func makeStream() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("avbench-ingest")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("1080p-\(bitrate).flv").path
        if FileManager.default.fileExists(atPath: path) { return path }
        print("encoding the stream once (\(path))...")
        let encoder = try ChildProcess(Self.ffmpeg, [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-f", "lavfi",
            "-i", "sine=frequency=440:sample_rate=48000", "-t", "30", "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "50",
            "-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate, "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "flv", path + ".part",
        ])
        var status: Int32 = 0
        waitpid(encoder.pid, &status, 0)
        guard status == 0 else { throw ValidationError("ffmpeg could not encode the benchmark's stream") }
        try FileManager.default.moveItem(atPath: path + ".part", toPath: path)
        return path
    }

    func publisher(flv: String, to url: String) throws -> ChildProcess {
        try ChildProcess(Self.ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", flv, "-c", "copy", "-f", "flv", url])
    }

    func unitRun(binary: String, flv: String) async throws -> Figures {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("avbench-ingest-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let environment = ["AVCLUSTER_SECRET": Self.secret, "AVCLUSTER_ADMIN_TOKEN": Self.token]
        let csm = try ChildProcess(binary, ["csm", "--unit-port", "\(port)", "--http-port", "\(port + 1)", "--state-file", state], environment: environment)
        defer { csm.stop() }
        let unit = try ChildProcess(binary, [
            "unit", "--id", "1", "--session-port", "\(port + 10)", "--media-port", "\(port + 11)", "--admin-port", "\(port + 12)",
            "--websocket-port", "off", "--rtmp-port", "\(port + 13)", "--csm", "127.0.0.1:\(port)", "--threads", "1",
        ], environment: environment)
        defer { unit.stop() }
        let api = APIEndpoint(host: "127.0.0.1", port: port + 1, headers: [("Authorization", "Bearer \(Self.token)")])
        // Once the unit obeys the CSM: a publisher before that is refused.
        struct UnitState: Decodable { var state: String }
        var key: StreamKeyResponse?
        for _ in 0..<100 where key == nil {
            if (try? await api.json(.GET, "/admin/units", as: [UnitState].self))?.first?.state == "active" {
                key = try? await api.json(.POST, "/admin/stream-keys", body: StreamKeyRequest(title: "bench"), as: StreamKeyResponse.self)
            }
            if key == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let key else { throw ValidationError("the CSM at \(binary) did not become primary on port \(port); is another one running there?") }
        let ffmpeg = try publisher(flv: flv, to: "rtmp://127.0.0.1:\(port + 13)/live/\(key.key)")
        defer { ffmpeg.stop() }
        var channel: ChannelID?
        for _ in 0..<100 where channel == nil {
            channel = (try? await api.json(.GET, "/api/channels", as: [ChannelSummary].self))?.first?.channel
            if channel == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let channel else { throw ValidationError("the publisher's channel did not open") }
        let place = try await api.json(.POST, "/api/channels/\(channel)/join", as: JoinChannelResponse.self)
        let viewer = try await SessionClient.connect(to: place.unit, ticket: place.ticket, peer: .viewer, name: "bench")
        try await viewer.bindUDP()
        let delays = DelayRecorder()
        let reading = Task {
            for await event in viewer.events {
                guard case .media(let buffer, _) = event, let header = RTPHeaderView(buffer), header.marker,
                    header.payloadType == RTPPayloadFormat.h264.payloadType, let captured = header.captureTime
                else { continue }
                delays.add(Double(captured.age(at: .now)) / 1000)
            }
        }
        let binding = Task {
            while !Task.isCancelled {
                viewer.sendBind()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        defer {
            reading.cancel()
            binding.cancel()
        }
        try await Task.sleep(for: .seconds(3))
        delays.reset()
        let (unitBefore, ffmpegBefore, started) = (ProcessCPU.seconds(of: unit.pid) ?? 0, ProcessCPU.seconds(of: ffmpeg.pid) ?? 0, ContinuousClock.now)
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = FailoverBenchmark.milliseconds(ContinuousClock.now - started) / 1000
        let samples = delays.take().sorted()
        await viewer.close()
        return Figures(
            cores: ((ProcessCPU.seconds(of: unit.pid) ?? 0) - unitBefore) / elapsed,
            publisherCores: ((ProcessCPU.seconds(of: ffmpeg.pid) ?? 0) - ffmpegBefore) / elapsed,
            p50: samples.isEmpty ? nil : samples[samples.count / 2], p99: samples.isEmpty ? nil : samples[min(samples.count - 1, samples.count * 99 / 100)],
            frames: samples.count)
    }

    /// nginx-rtmp (master and its one worker) taking the same stream, nobody playing it.
    func nginxRun(conf: String, flv: String) async throws -> Figures {
        let master = try ChildProcess("/usr/sbin/nginx", ["-p", URL(fileURLWithPath: conf).deletingLastPathComponent().appendingPathComponent("nginx").path, "-c", conf])
        defer { master.stop() }
        var worker: pid_t?
        for _ in 0..<50 where worker == nil {
            worker = Self.children(of: master.pid).first
            if worker == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard let worker else { throw ValidationError("nginx did not start with \(conf)") }
        let ffmpeg = try publisher(flv: flv, to: "rtmp://127.0.0.1:1935/live/bench")
        defer { ffmpeg.stop() }
        try await Task.sleep(for: .seconds(3))
        let cpu = { (ProcessCPU.seconds(of: master.pid) ?? 0) + (ProcessCPU.seconds(of: worker) ?? 0) }
        let (before, ffmpegBefore, started) = (cpu(), ProcessCPU.seconds(of: ffmpeg.pid) ?? 0, ContinuousClock.now)
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = FailoverBenchmark.milliseconds(ContinuousClock.now - started) / 1000
        return Figures(cores: (cpu() - before) / elapsed, publisherCores: ((ProcessCPU.seconds(of: ffmpeg.pid) ?? 0) - ffmpegBefore) / elapsed, frames: 0)
    }

    static func children(of parent: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }
}

/// Delays in milliseconds, from the viewer's reading task to the benchmark's.
final class DelayRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Double] = []

    func add(_ milliseconds: Double) { lock.withLock { samples.append(milliseconds) } }
    func reset() { lock.withLock { samples.removeAll() } }
    func take() -> [Double] { lock.withLock { samples } }
}
