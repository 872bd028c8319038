#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore

/// A port a server role could not listen on, and what holds it: the one message a role that
/// cannot start ends with (a non-zero status), rather than a log line and a server without it.
struct PortUnavailable: Error, CustomStringConvertible {
    var what: String
    var ports: [Int]
    var reason: String

    var description: String {
        let held = ports.compactMap { port in PortHolder.describe(port).map { "port \(port) is held by \($0)" } }
        let list = ports.map(String.init).joined(separator: ", ")
        return "\(what) cannot listen on port\(ports.count == 1 ? "" : "s") \(list): \(reason)" + (held.isEmpty ? "" : "; " + held.joined(separator: "; "))
    }

    /// Runs `body`; a failure to bind (the address in use, or not this machine's) becomes the
    /// message that names `what`, its ports and their holders.
    static func naming<T>(_ what: String, ports: [Int], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IOError where [EADDRINUSE, EADDRNOTAVAIL, EACCES].contains(error.errnoCode) {
            throw PortUnavailable(what: what, ports: ports.filter { $0 != 0 }, reason: String(cString: strerror(error.errnoCode)).lowercased())
        }
    }
}

/// Who listens on a local port, from /proc (Linux): the socket's inode in /proc/net/{tcp,tcp6,udp,udp6},
/// then the process whose descriptors include it. nil where it cannot be told (another user's process).
enum PortHolder {
    static func describe(_ port: Int) -> String? {
        guard let inode = inode(listeningOn: port) else { return nil }
        let target = "socket:[\(inode)]"
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes where Int(pid) != nil {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            for fd in fds where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target {
                let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "process \(pid) (\(name))"
            }
        }
        return "another user's process (socket inode \(inode))"
    }

    /// A listening TCP socket's, or a bound UDP socket's, inode on `port`.
    static func inode(listeningOn port: Int) -> String? {
        for (file, listening) in [("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")] {
            guard let table = try? String(contentsOfFile: "/proc/net/\(file)", encoding: .utf8) else { continue }
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == listening, let local = fields[1].split(separator: ":").last,
                    Int(local, radix: 16) == port, fields[9] != "0"
                else { continue }
                return String(fields[9])
            }
        }
        return nil
    }
}
