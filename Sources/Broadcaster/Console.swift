#if canImport(Glibc)
import Glibc
#endif
import Client
import NIOConcurrencyHelpers

/// The terminal of a CLI: messages on their own lines, and one status line kept at the bottom
/// (redrawn in place on a terminal, printed every few seconds into a log otherwise). Everything
/// is cleaned of control characters first: it may hold what a server sent.
final class Console: Sendable {
    static let shared = Console()

    let isTerminal = isatty(STDERR_FILENO) == 1
    private let status = NIOLockedValueBox(StatusState())

    private struct StatusState {
        var line = ""
        var lastLogged = ContinuousClock.now - .seconds(60)
    }

    /// A message on its own line (stdout), the status line redrawn under it.
    func say(_ text: String) {
        status.withLockedValue { state in
            if isTerminal && !state.line.isEmpty { write(STDERR_FILENO, "\r\u{1B}[2K") }
            write(STDOUT_FILENO, TerminalText.clean(text) + "\n")
            if isTerminal && !state.line.isEmpty { write(STDERR_FILENO, state.line) }
        }
    }

    func error(_ text: String) {
        status.withLockedValue { state in
            if isTerminal && !state.line.isEmpty { write(STDERR_FILENO, "\r\u{1B}[2K") }
            write(STDERR_FILENO, "broadcaster: error: \(TerminalText.clean(text))\n")
            state.line = ""
        }
    }

    /// Replaces the status line.
    func status(_ line: String) {
        let line = TerminalText.clean(line)
        status.withLockedValue { state in
            state.line = line
            if isTerminal {
                write(STDERR_FILENO, "\r\u{1B}[2K" + line)
            } else if ContinuousClock.now - state.lastLogged >= .seconds(5) {
                state.lastLogged = .now
                write(STDERR_FILENO, line + "\n")
            }
        }
    }

    /// Leaves the status line as it is and moves below it.
    func finishStatus() {
        status.withLockedValue { state in
            if isTerminal && !state.line.isEmpty { write(STDERR_FILENO, "\n") }
            state.line = ""
        }
    }

    private func write(_ fd: Int32, _ text: String) { StandardStream.write(text, to: fd) }
}
