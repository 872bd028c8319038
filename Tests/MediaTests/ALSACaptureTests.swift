import Foundation
import Testing

@testable import Media

/// The real ALSA path, with the file-backed devices of samples/asoundrc.
@Suite(.serialized) struct ALSACaptureTests {
    static let configured: Void = {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples/asoundrc").standardized.path
        setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:\(samples)", 1)
    }()

    @Test func soundIsCapturedThroughTheFileBackedDevice() throws {
        _ = Self.configured
        let raw = FileManager.default.temporaryDirectory.appendingPathComponent("capture-\(getpid()).raw")
        let tone = ToneSource(channels: 2, frequency: 1000)
        var samples: [Int16] = []
        for _ in 0..<25 { samples += try tone.read() }
        try Data(WAVFormat.littleEndian(samples)).write(to: raw)
        defer { try? FileManager.default.removeItem(at: raw) }
        setenv("AVCLUSTER_CAPTURE_FILE", raw.path, 1)

        let source = try ALSACaptureSource(name: "avcluster_capture", channels: 2)
        var captured: [Int16] = []
        for _ in 0..<20 { captured += try source.read() }  // bounded: past the end comes noise
        #expect(abs(SoundAnalysis.frequency(of: captured, channels: 2) - 1000) < 5)
        #expect(captured == Array(samples.prefix(captured.count)))
    }

    @Test func soundIsPlayedThroughTheFileBackedDevice() throws {
        _ = Self.configured
        let raw = FileManager.default.temporaryDirectory.appendingPathComponent("playback-\(getpid()).raw")
        defer { try? FileManager.default.removeItem(at: raw) }
        setenv("AVCLUSTER_PLAYBACK_FILE", raw.path, 1)
        let tone = ToneSource(channels: 1, frequency: 440)
        var played: [Int16] = []
        do {
            let device = try ALSADevice(name: "avcluster_playback", channels: 1, capture: false)
            for _ in 0..<10 {
                let frame = try tone.read()
                played += frame
                try device.write(frame)
            }
            device.drain()
        }
        let written = try Data(contentsOf: raw)
        #expect(written.count == played.count * 2)
    }

    @Test func aMissingSoundCardSaysWhatToDo() {
        _ = Self.configured
        #expect {
            try ALSACaptureSource(name: "hw:7", channels: 1)
        } throws: { error in
            "\(error)".contains("--audio test")
        }
    }

    @Test func wavFilesAreReadAndCheckedAndLoop() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tone-\(getpid()).wav")
        defer { try? FileManager.default.removeItem(at: path) }
        let samples = try ToneSource(channels: 1, frequency: 440).read()
        try Data(WAVFormat(sampleRate: 48_000, channels: 1, samples: samples).bytes).write(to: path)
        let source = try WAVFileSource(path: path.path, loop: true)
        #expect(try source.read() == samples)
        #expect(try source.read() == samples)

        try Data(WAVFormat(sampleRate: 44_100, channels: 1, samples: samples).bytes).write(to: path)
        #expect { try WAVFileSource(path: path.path, loop: true) } throws: { "\($0)".contains("48000") }
        try Data("not a wave".utf8).write(to: path)
        #expect { try WAVFileSource(path: path.path, loop: true) } throws: { "\($0)".contains("not a WAV") }
    }
}
