import Client
import Foundation
import Media

/// The view when standard output is not a terminal (scripts, logs, tests): news as lines with a
/// time, the status line every few seconds, no picture.
final class LineView: WatchView {
    private var lastStatus = ContinuousClock.now - .seconds(60)
    private let statusEvery: Duration

    init(statusEvery: Duration = .seconds(5)) { self.statusEvery = statusEvery }

    func show(_ picture: I420Frame) {}

    func status(_ line: String) {
        guard ContinuousClock.now - lastStatus >= statusEvery else { return }
        lastStatus = .now
        emit("status: \(line)")
    }

    func news(_ line: String) { emit(line) }
    func inputChanged(_ text: String) {}
    func resized() {}
    func close() {}

    /// Cleaned (it may hold what a server sent) and written at once, also into a pipe or a file
    /// (print would hold it in a buffer).
    private func emit(_ line: String) { FileHandle.standardOutput.write(Data((TerminalText.clean(line) + "\n").utf8)) }
}
