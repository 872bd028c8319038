import ArgumentParser
import Crypto
import Foundation
import Wire

/// `avbench tickets`: what signing and checking a ticket costs, Ed25519 (the CSMs sign, units
/// verify: `TicketSigner`, `TicketVerifier`) beside HMAC-SHA256 over the same bytes (what a
/// shared-key ticket would cost), in one run on one core.
struct TicketBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tickets", abstract: "Ticket signing and verification, Ed25519 beside HMAC-SHA256.")

    @Option(help: "Tickets signed and verified in each measurement.")
    var count = 20_000

    func run() throws {
        let signer = TicketSigner(secret: "avbench tickets")
        let tickets = (0..<count).map { Ticket(channel: 1, group: GroupID(UInt16(1 + $0 % 50)), role: .viewer, unit: 1, expiresAtMilliseconds: 1 << 40, nonce: UInt64($0)) }
        let key = SymmetricKey(size: .bits256)
        var texts: [String] = []
        let sign = Self.time { texts = tickets.map(signer.sign) }
        let verify = Self.time { for text in texts { _ = try? signer.verifier.verify(text, at: 1, nowMilliseconds: 0) } }
        var macs: [[UInt8]] = []
        let hmacSign = Self.time { macs = tickets.map { Array(HMAC<SHA256>.authenticationCode(for: $0.body, using: key)) } }
        let hmacVerify = Self.time { for (ticket, mac) in zip(tickets, macs) { _ = HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: ticket.body, using: key) } }
        func line(_ what: String, _ seconds: Double, _ baseline: Double) -> String {
            String(format: "%@: %.1f µs each, %.0f a second on one core (%.1fx HMAC-SHA256's %.2f µs)", what, seconds / Double(count) * 1e6, Double(count) / seconds, seconds / baseline, baseline / Double(count) * 1e6)
        }
        print(line("sign (CSM, per join)", sign, hmacSign))
        print(line("verify (unit, per session open)", verify, hmacVerify))
    }

    static func time(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
