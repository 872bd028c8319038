/// Where the broadcaster's sound comes from: 48 kHz, 16-bit, interleaved, read 20 ms at a time.
public protocol AudioSource: AnyObject {
    var channels: Int { get }
    /// True when `read` waits for real time (a sound card); false when it answers at once (a
    /// tone, a file), so the caller paces it.
    var isRealTime: Bool { get }
    /// The next `OpusAudioEncoder.frameSamples` samples per channel.
    func read() throws -> [Int16]
}
