import Client
import Media

/// The full-screen view: the picture fitted above, then the status line, the last chat lines and
/// the input line. Pictures are drawn at most `maxFramesPerSecond` times a second, and only the
/// cells that changed.
final class TerminalView: WatchView {
    static let chatLines = 4
    private let screen: TerminalScreen
    private var renderer = TerminalRenderer()
    private let minimumInterval: Duration
    private var lastDrawn = ContinuousClock.now - .seconds(1)
    private var size = TerminalScreen.size
    private var statusLine = ""
    private var chat: [String] = []
    private var input = ""

    init(screen: TerminalScreen, maxFramesPerSecond: Int) {
        self.screen = screen
        minimumInterval = .seconds(1) / max(1, maxFramesPerSecond)
        redrawText()
    }

    private var videoRows: Int { max(1, size.rows - Self.chatLines - 2) }

    func show(_ picture: I420Frame) {
        guard ContinuousClock.now - lastDrawn >= minimumInterval else { return }
        lastDrawn = .now
        let grid = CellGrid(fitting: picture, columns: size.columns, rows: videoRows)
        let output = renderer.draw(grid, areaColumns: size.columns, areaRows: videoRows)
        if !output.isEmpty { screen.write(output + cursorToInput) }
    }

    func status(_ line: String) {
        statusLine = line
        screen.write("\u{1B}[\(videoRows + 1);1H\u{1B}[2K\u{1B}[7m" + fit(" " + line) + "\u{1B}[0m" + cursorToInput)
    }

    func news(_ line: String) {
        chat.append(line)
        if chat.count > Self.chatLines { chat.removeFirst(chat.count - Self.chatLines) }
        redrawChat()
    }

    func inputChanged(_ text: String) {
        input = text
        screen.write("\u{1B}[\(size.rows);1H\u{1B}[2K" + fit("> " + input))
    }

    func resized() {
        size = TerminalScreen.size
        renderer.invalidate()
        screen.write("\u{1B}[2J")
        redrawText()
    }

    func close() {}

    private var cursorToInput: String { "\u{1B}[\(size.rows);\(min(size.columns, TerminalText.cells(input) + 3))H" }

    private func redrawText() {
        status(statusLine)
        redrawChat()
        inputChanged(input)
    }

    private func redrawChat() {
        var output = ""
        for index in 0..<Self.chatLines {
            output += "\u{1B}[\(videoRows + 2 + index);1H\u{1B}[2K"
            if index < chat.count { output += fit(chat[index]) }
        }
        screen.write(output + cursorToInput)
    }

    /// Cleans text (it may hold what a server sent) and cuts it to the terminal's width in cells.
    private func fit(_ text: String) -> String { TerminalText.fit(TerminalText.clean(text), columns: size.columns) }
}
