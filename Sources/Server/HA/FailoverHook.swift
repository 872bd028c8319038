import Foundation
import Logging

/// The configured command run on promotion and demotion (`HOOK promote|demote EPOCH`): the
/// sample in samples/ moves a virtual IP the way keepalived does.
struct FailoverHook: Sendable {
    let path: String

    func run(_ event: String, epoch: UInt64, logger: Logger) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [event, "\(epoch)"]
        do {
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 0 {
                logger.error("failover hook \(path) \(event) exited with \(process.terminationStatus)")
            }
        } catch {
            logger.error("cannot run failover hook \(path): \(error); check that it exists and is executable")
        }
    }
}
