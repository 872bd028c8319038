/// Where the broadcaster's sound comes from: 48 kHz, 16-bit, interleaved, read a frame at a time.
public protocol AudioSource: AnyObject {
    var channels: Int { get }
    /// True when `read` waits for real time (a sound card); false when it answers at once (a
    /// tone, a file), so the caller paces it.
    var isRealTime: Bool { get }
    /// The next `frames` samples per channel.
    func read(frames: Int) throws -> [Int16]
}

extension AudioSource {
    /// The next 20 ms.
    public func read() throws -> [Int16] { try read(frames: OpusAudioEncoder.frameSamples) }
}
