import Foundation

/// Standard input for the watch loop: single keys from a raw terminal, or whole lines (chat)
/// when input is a pipe or a file.
enum KeyboardInput {
    static func start(feed: AsyncStream<WatchInput>.Continuation, raw: Bool) {
        let thread = Thread {
            if raw {
                var byte: UInt8 = 0
                while read(STDIN_FILENO, &byte, 1) == 1 { feed.yield(.key(byte)) }
            } else {
                while let line = readLine(strippingNewline: true) { feed.yield(.line(line)) }
            }
        }
        thread.name = "keyboard"
        thread.start()
    }
}
