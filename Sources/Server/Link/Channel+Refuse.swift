import NIOCore

extension Channel {
    /// How long a refused peer has to read why before the connection closes for good.
    static var refusalLinger: TimeAmount { .seconds(2) }

    /// Closes after a refusal so that the peer reads it: a close with the peer's bytes still unread
    /// would send a reset, and a reset makes the peer drop what it had not read yet (the error
    /// itself). Stops writing at once, then closes fully once `refusalLinger` has passed; the
    /// caller ignores whatever still arrives.
    func closeAfterRefusal() {
        close(mode: .output, promise: nil)
        eventLoop.scheduleTask(in: Self.refusalLinger) { [self] in close(promise: nil) }
    }
}
