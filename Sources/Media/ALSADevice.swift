#if canImport(Glibc)
import Glibc
#endif

import CALSA

/// An ALSA PCM opened for 48 kHz 16-bit interleaved sound: capture for the broadcaster, playback
/// for the viewer. Plugin devices work too (samples/asoundrc makes file-backed ones).
public final class ALSADevice {
    public let name: String
    public let channels: Int
    private let pcm: OpaquePointer

    public init(name: String, channels: Int, capture: Bool) throws {
        guard channels == 1 || channels == 2 else { throw MediaError.unsupportedFormat("\(channels) audio channels; use 1 or 2") }
        avc_alsa_quiet()
        var handle: OpaquePointer?
        let stream = capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK
        let what = "sound \(capture ? "capture" : "playback") device '\(name)'"
        let opened = snd_pcm_open(&handle, name, stream, 0)
        if opened < 0 || handle == nil {
            let reason = String(cString: snd_strerror(opened))
            switch -opened {
            case EACCES, EPERM:
                throw MediaError.permissionDenied(what, hint: "add yourself to the 'audio' group (sudo usermod -aG audio $USER) and log in again")
            case ENOENT, ENODEV, ENXIO:
                throw MediaError.noDevice(what, hint: "list devices with 'arecord -L' / 'aplay -L', or use --audio test")
            default:
                throw MediaError.deviceFailed("cannot open \(what): \(reason); list devices with 'arecord -L', or use --audio test")
            }
        }
        let configured = snd_pcm_set_params(handle, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, UInt32(channels), UInt32(OpusAudioEncoder.sampleRate), 1, 100_000)
        guard configured >= 0 else {
            snd_pcm_close(handle)
            throw MediaError.unsupportedFormat("\(what) cannot do 48000 Hz 16-bit \(channels == 1 ? "mono" : "stereo"): \(String(cString: snd_strerror(configured))); try the 'plughw:' or 'default' device")
        }
        if capture {
            // snd_pcm_set_params starts a capture only once a whole buffer is asked for; a read of
            // one frame would then fail with EIO on a real card. Start at the first read instead.
            var software: OpaquePointer?
            snd_pcm_sw_params_malloc(&software)
            defer { snd_pcm_sw_params_free(software) }
            let started = snd_pcm_sw_params_current(handle, software) >= 0 && snd_pcm_sw_params_set_start_threshold(handle, software, 1) >= 0
                && snd_pcm_sw_params(handle, software) >= 0
            guard started else {
                snd_pcm_close(handle)
                throw MediaError.deviceFailed("cannot set when \(what) starts capturing")
            }
        }
        self.name = name
        self.channels = channels
        self.pcm = handle!
    }

    deinit { snd_pcm_close(pcm) }

    /// Reads exactly `frames` sample frames, recovering from an overrun, and from a capture that
    /// stalled (EIO: no period came for the kernel's 10 s wait, as when the machine or a USB
    /// device stops for a while) by starting it again once; a second stall in a row is an error.
    public func read(frames: Int) throws -> [Int16] {
        var samples = [Int16](repeating: 0, count: frames * channels)
        var done = 0
        var restarted = false
        while done < frames {
            let got = samples.withUnsafeMutableBufferPointer { snd_pcm_readi(pcm, $0.baseAddress! + done * channels, snd_pcm_uframes_t(frames - done)) }
            if got < 0 {
                let code = Int32(got)
                if code == -EIO, !restarted, snd_pcm_drop(pcm) >= 0, snd_pcm_prepare(pcm) >= 0 {
                    restarted = true
                    continue
                }
                guard snd_pcm_recover(pcm, code, 1) >= 0 else { throw MediaError.deviceFailed("sound capture from '\(name)' failed: \(String(cString: snd_strerror(code))); check the device (arecord -l) or use --audio test") }
                continue
            }
            done += got
        }
        return samples
    }

    /// Writes interleaved samples, recovering from an underrun.
    public func write(_ samples: [Int16]) throws {
        let frames = samples.count / channels
        var done = 0
        while done < frames {
            let wrote = samples.withUnsafeBufferPointer { snd_pcm_writei(pcm, $0.baseAddress! + done * channels, snd_pcm_uframes_t(frames - done)) }
            if wrote < 0 {
                guard snd_pcm_recover(pcm, Int32(wrote), 1) >= 0 else { throw MediaError.deviceFailed("sound playback on '\(name)' failed: \(String(cString: snd_strerror(Int32(wrote))))") }
                continue
            }
            done += wrote
        }
    }

    /// Plays out what is queued (the viewer on exit).
    public func drain() { snd_pcm_drain(pcm) }
}
