import Foundation

/// Each emulated viewer holds a TCP connection and a UDP socket: raise the open-file limit.
enum FileLimit {
    struct TooLow: Error, CustomStringConvertible {
        var needed: Int
        var limit: Int
        var description: String { "\(needed) open files are needed but the hard limit is \(limit); raise it (ulimit -Hn, or LimitNOFILE=) or run fewer --viewers" }
    }

    static func raise(toAtLeast needed: Int) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur < rlim_t(needed) else { return }
        guard limit.rlim_max >= rlim_t(needed) else { throw TooLow(needed: needed, limit: Int(limit.rlim_max)) }
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
