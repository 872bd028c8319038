import Foundation

/// Lines typed on standard input go to the channel's chat.
enum ChatInput {
    static func start(sendingTo uplink: Uplink) {
        let thread = Thread {
            while let line = readLine(strippingNewline: true) {
                let text = line.trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { uplink.say(text) }
            }
        }
        thread.name = "chat input"
        thread.start()
    }
}
