import Foundation
import Media
import NIOConcurrencyHelpers

/// Where decoded sound goes: an ALSA device (played on its own thread, as writes block), a WAV
/// file, or nowhere. A queue longer than `maxQueuedFrames` drops its oldest frames, so a stalled
/// device never makes the picture and the sound drift apart without bound.
final class AudioOutput: @unchecked Sendable {
    // The device and file are touched only by the player thread (device) or under the lock (file).
    enum Target {
        case device(ALSADevice)
        case file(WAVFileWriter)
        case none
    }

    static let maxQueuedFrames = 10
    private let target: Target
    private let queue = NIOLockedValueBox<(frames: [[Int16]], stopped: Bool)>(([], false))
    let channels: Int

    init(target: Target, channels: Int) {
        self.target = target
        self.channels = channels
        if case .device = target {
            let thread = Thread { [self] in playDevice() }
            thread.name = "audio playback"
            thread.start()
        }
    }

    /// Opens the output the flags ask for: a WAV file, nothing, or a sound device (falling back to
    /// nothing with a warning when there is none, so a viewer without speakers still watches).
    static func open(device: String, file: String?, muted: Bool, channels: Int, warn: (String) -> Void) -> AudioOutput {
        if muted { return AudioOutput(target: .none, channels: channels) }
        if let file {
            guard let writer = try? WAVFileWriter(path: file, channels: channels) else {
                warn("cannot write \(file); playing no sound")
                return AudioOutput(target: .none, channels: channels)
            }
            return AudioOutput(target: .file(writer), channels: channels)
        }
        do {
            return AudioOutput(target: .device(try ALSADevice(name: device, channels: channels, capture: false)), channels: channels)
        } catch {
            warn("\(error); watching without sound (use --audio-out FILE.wav to record it, --mute to silence this)")
            return AudioOutput(target: .none, channels: channels)
        }
    }

    func play(_ samples: [Int16]) {
        switch target {
        case .none: return
        case .file(let writer):
            queue.withLockedValue { _ in writer.append(samples) }
        case .device:
            queue.withLockedValue { state in
                state.frames.append(samples)
                if state.frames.count > Self.maxQueuedFrames { state.frames.removeFirst(state.frames.count - Self.maxQueuedFrames) }
            }
        }
    }

    /// Finishes the file's header or lets the device play out.
    func close() {
        queue.withLockedValue { $0.stopped = true }
        if case .file(let writer) = target { queue.withLockedValue { _ in writer.close() } }
    }

    private func playDevice() {
        guard case .device(let device) = target else { return }
        while true {
            let (frame, stopped) = queue.withLockedValue { state -> ([Int16]?, Bool) in
                (state.frames.isEmpty ? nil : state.frames.removeFirst(), state.stopped)
            }
            if stopped { break }
            guard let frame else {
                Thread.sleep(forTimeInterval: 0.005)
                continue
            }
            do { try device.write(frame) } catch { break }
        }
    }
}
