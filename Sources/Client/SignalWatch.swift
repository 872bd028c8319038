import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Calls `handler` for each of `signals` (their default action is turned off while watched): how
/// the CLIs end cleanly on Ctrl-C and SIGTERM and follow terminal resizes.
public final class SignalWatch: @unchecked Sendable {
    // The sources are only created in init and cancelled in cancel().
    private let sources: [any DispatchSourceSignal]

    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    public func cancel() { sources.forEach { $0.cancel() } }
}
