#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Wire

/// What a CSM keeps on disk so a restart never goes back (docs/HA.md): the highest epoch it has
/// seen or used, the registered units a majority is counted over, and the revoked stream keys. Written whole to a
/// temporary file, flushed, then renamed over the old one, so a crash leaves one or the other.
struct CSMStateFile: Sendable {
    struct Contents: Codable, Equatable, Sendable {
        var epoch: UInt64 = 0
        var units: [UnitID] = []
        /// Optional so a file written before stream keys existed still reads.
        var revokedStreamKeys: [UInt64]? = nil
    }

    /// nil keeps the state in memory only (`avserver all`, where every process dies together).
    let path: String?

    /// The default place: systemd's StateDirectory, else the XDG state directory.
    static func defaultPath(name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let directory = environment["STATE_DIRECTORY"]?.split(separator: ":").first { return "\(directory)/\(name).json" }
        let base = environment["XDG_STATE_HOME"] ?? "\(environment["HOME"] ?? ".")/.local/state"
        return "\(base)/avcluster/\(name).json"
    }

    /// What the file holds; empty when there is none yet. A file that is there but unreadable is
    /// an error: starting from epoch 0 could undo a takeover.
    func load() throws -> Contents {
        guard let path, FileManager.default.fileExists(atPath: path) else { return Contents() }
        do {
            return try JSONDecoder().decode(Contents.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw StateFileError(message: "cannot read the CSM state file \(path): \(error); fix or move it (it holds the highest epoch this CSM has seen)")
        }
    }

    func save(_ contents: Contents) throws {
        guard let path else { return }
        let directory = String(path.prefix(upTo: path.lastIndex(of: "/") ?? path.startIndex))
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let bytes = Array(try JSONEncoder().encode(contents))
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateFileError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            throw StateFileError(message: "cannot write the CSM state file \(path): \(String(cString: strerror(errno)))")
        }
    }
}

struct StateFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
