#if canImport(Glibc)
import Glibc
#endif
import Client

/// The terminal while `viewer watch` draws on it: the alternate screen, no cursor, keys read one
/// at a time. Restored on a normal exit, on Ctrl-C and SIGTERM (the caller's signal handling ends
/// the run), and on a crash: fatal signals run a handler that restores and re-raises.
final class TerminalScreen {
    private nonisolated(unsafe) static var saved = termios()
    private nonisolated(unsafe) static var active = false
    static let enterSequence = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J"
    private static let restoreSequence: [UInt8] = Array("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l".utf8)

    /// nil when standard output or input is not a terminal.
    init?() {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &Self.saved) == 0 else { return nil }
        var raw = Self.saved
        // No echo, no line editing; signals (Ctrl-C) stay on so they end the run cleanly.
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        Self.active = true
        for fatal in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(fatal) { number in
                TerminalScreen.restoreNow()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
        write(Self.enterSequence)
    }

    deinit { Self.restoreNow() }

    /// Puts the terminal back as it was; safe in a signal handler (write and tcsetattr only).
    static func restoreNow() {
        guard active else { return }
        active = false
        restoreSequence.withUnsafeBufferPointer { _ = Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
    }

    /// Columns and rows now.
    static var size: (columns: Int, rows: Int) { TerminalText.windowSize }

    func write(_ text: String) { StandardStream.write(text, to: STDOUT_FILENO) }
}
