import Client

/// Everything the watch loop reacts to, merged into one stream so its state has one owner.
enum WatchInput: Sendable {
    /// An event of session number `generation` (events of a replaced session are ignored).
    case session(generation: Int, SessionEvent)
    case tick
    case key(UInt8)
    /// A whole line typed where standard input is not a terminal.
    case line(String)
    case resize
    case stop(String)
}
