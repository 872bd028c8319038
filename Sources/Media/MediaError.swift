/// Why capture, playback or a codec failed; each message says what to do about it.
public enum MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The device does not exist (no camera, no such sound card).
    case noDevice(String, hint: String)
    /// The device exists but this user may not open it.
    case permissionDenied(String, hint: String)
    /// The device is there but cannot give what was asked (format, size, rate).
    case unsupportedFormat(String)
    /// A file that should hold audio does not (wrong header, wrong rate).
    case badFile(String)
    /// A codec library turned the request down.
    case codec(String)
    /// The device failed while running.
    case deviceFailed(String)

    public var description: String {
        switch self {
        case .noDevice(let what, let hint): "\(what) not found; \(hint)"
        case .permissionDenied(let what, let hint): "no permission to open \(what); \(hint)"
        case .unsupportedFormat(let message): "unsupported format: \(message)"
        case .badFile(let message): message
        case .codec(let message): "codec error: \(message)"
        case .deviceFailed(let message): message
        }
    }
}
