import ArgumentParser
import Foundation
import NIOCore
import Wire

/// The cluster key and the admin token: where they come from, and the rule that a server reachable
/// from a network never runs with one that anybody could know (docs/SECURITY.md).
enum Secret {
    /// Known to everyone who read this file: accepted on loopback only, where the demo and the
    /// tests run with no setup.
    static let builtInClusterKey = "avcluster-demo-secret"
    static let builtInAdminToken = "avcluster-admin"
    /// Printed in samples/: never good anywhere.
    static let samples: Set<String> = [builtInClusterKey, builtInAdminToken, "change me: the same on every CSM and unit"]
    /// Shortest secret accepted off loopback: `avserver keygen` writes 43 characters.
    static let minimumLength = 16

    /// The secret from `file` when given, else from the environment variable, else the built-in.
    static func load(file: String?, environment variable: String, builtIn: String) throws -> String {
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("cannot read the secret file \(file); make one with: avserver keygen > \(file)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let value = ProcessInfo.processInfo.environment[variable] { return value.trimmingCharacters(in: .whitespacesAndNewlines) }
        return builtIn
    }

    /// Refuses a built-in, sample, empty or short secret on a server that listens beyond loopback.
    static func check(_ value: String, what: String, flag: String, variable: String, bindHost: String) throws {
        if value.isEmpty { throw ValidationError("the \(what) is empty; \(howTo(flag: flag, variable: variable))") }
        guard !isLoopback(bindHost) else { return }
        if samples.contains(value) {
            throw ValidationError("refusing to listen on \(bindHost) with the built-in \(what), which anybody can know; \(howTo(flag: flag, variable: variable))")
        }
        if value.count < minimumLength {
            throw ValidationError("refusing to listen on \(bindHost) with a \(what) of \(value.count) characters (at least \(minimumLength)); \(howTo(flag: flag, variable: variable))")
        }
    }

    private static func howTo(flag: String, variable: String) -> String {
        "make one with 'avserver keygen > FILE' (chmod 600), then pass --\(flag) FILE or set \(variable)"
    }

    /// Whether a bind address is reachable from this machine only: decided on what it resolves
    /// to, every address of it in 127.0.0.0/8 or ::1 (a name that merely starts with "127." is
    /// not loopback; a name that resolves to nothing is not either).
    static func isLoopback(_ host: String) -> Bool {
        let addresses = resolve(host)
        return !addresses.isEmpty && addresses.allSatisfy(isLoopbackAddress)
    }

    /// Every address `host` resolves to, as text.
    static func resolve(_ host: String) -> [String] {
        if ClientNetworks.addressBytes(host) != nil { return [host] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ai_next }) {
            guard let address = entry.pointee.ai_addr else { continue }
            let socketAddress: SocketAddress? =
                switch Int32(address.pointee.sa_family) {
                case AF_INET: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
                case AF_INET6: address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) }
                default: nil
                }
            if let text = socketAddress?.ipAddress { addresses.append(text) }
        }
        return addresses
    }

    /// Whether `text` is a loopback address (127.0.0.0/8, ::1), as an address, not a name.
    static func isLoopbackAddress(_ text: String) -> Bool {
        CIDR("127.0.0.0/8")!.contains(text) || CIDR("::1")!.contains(text)
    }

    /// 32 bytes from the system's random source, as base64url text.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// `avserver keygen`: a fresh secret for `--secret-file` or `--admin-token-file`, or a unit's
/// own credential made from the cluster key.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Print a fresh random secret (32 bytes, base64url) for --secret-file or --admin-token-file, or with --unit a unit's credential.",
        discussion: """
            avserver keygen > /etc/avcluster/cluster.key && chmod 600 /etc/avcluster/cluster.key   (the CSMs' cluster key)
            avserver keygen --unit 3 --secret-file /etc/avcluster/cluster.key > unit3.key   (on the admin's machine; copy to unit 3 only)
            """)

    @Option(help: "Print unit ID's credential instead: its own link key and the CSMs' public ticket key, made from the cluster key. The cluster key never leaves the CSMs and the admin's machine.")
    var unit: UInt16?
    @Option(help: "File holding the cluster key, for --unit. Else $AVCLUSTER_SECRET.")
    var secretFile: String?

    func validate() throws {
        if unit == 0 { throw ValidationError("--unit takes a unit id from 1 to 65535") }
        if secretFile != nil && unit == nil { throw ValidationError("--secret-file goes with --unit") }
    }

    func run() throws {
        guard let unit else { return print(Secret.generate()) }
        let key = try Secret.load(file: secretFile, environment: "AVCLUSTER_SECRET", builtIn: "")
        guard !key.isEmpty else { throw ValidationError("--unit needs the cluster key: --secret-file FILE or $AVCLUSTER_SECRET") }
        guard UnitCredential(text: key) == nil else { throw ValidationError("that is a unit's credential; --unit needs the cluster key") }
        print(ClusterKeys(clusterKey: key).credential(for: UnitID(unit)).text)
    }
}
