import Foundation

/// Whether the load client itself limits the test: its CPU time against the machine's cores, and
/// datagrams the kernel dropped because its sockets' receive buffers were full (SO_RXQ_OVFL); the
/// machine-wide count (/proc/net/snmp) tells the drops at the cluster's sockets apart.
struct LoadClientHealth: Codable, Sendable {
    var cores: Int
    var cpuSeconds: Double
    var wallSeconds: Double
    /// Machine-wide.
    var udpReceiveBufferErrors: Int
    /// At the viewers' own sockets.
    var droppedAtViewerSockets: Int
    /// The load client's peak resident memory.
    var peakMemoryMegabytes: Int
    var udpInErrors: Int
    /// How busy the whole machine was (0-1), from /proc/stat.
    var machineBusy: Double

    var coresUsed: Double { wallSeconds > 0 ? cpuSeconds / wallSeconds : 0 }

    /// Words for the report: the load client is the bottleneck when it uses nearly every core or
    /// the kernel dropped what it could not read in time.
    var verdict: String {
        var findings: [String] = []
        if machineBusy >= 0.9 && coresUsed < 0.85 * Double(cores) {
            findings.append("the machine was saturated (\(Int(machineBusy * 100))% busy): the load client used \(Self.decimal(coresUsed)) of \(cores) cores and the processes under test the rest, so the figures measure this machine, not the cluster alone")
        }
        if coresUsed >= 0.85 * Double(cores) {
            findings.append("the load client used \(Self.decimal(coresUsed)) of \(cores) cores: it is likely the bottleneck, so the figures understate the cluster")
        }
        if droppedAtViewerSockets > 0 {
            findings.append("the kernel dropped \(droppedAtViewerSockets) datagrams at the viewers' sockets for full receive buffers: the load client did not read them in time")
        }
        let elsewhere = udpReceiveBufferErrors - droppedAtViewerSockets
        let cluster = elsewhere > 0 ? "; \(elsewhere) datagrams were dropped for full receive buffers elsewhere on this machine (the cluster's sockets)" : ""
        return findings.isEmpty
            ? "the load client was not the bottleneck (\(Self.decimal(coresUsed)) of \(cores) cores, \(peakMemoryMegabytes) MB at most, no datagrams dropped at its sockets)" + cluster
            : findings.joined(separator: "; ") + cluster
    }

    static func decimal(_ value: Double) -> String { String(format: "%.2f", value) }

    /// A reading to compare with a later one.
    struct Reading {
        var cpuSeconds: Double
        var at: ContinuousClock.Instant
        var receiveBufferErrors: Int
        var inErrors: Int
        /// Busy and total jiffies of all CPUs.
        var machine: (busy: Int, total: Int)

        static var now: Reading {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            let udp = Self.udpCounters()
            return Reading(
                cpuSeconds: cpu, at: .now, receiveBufferErrors: udp["RcvbufErrors"] ?? 0, inErrors: udp["InErrors"] ?? 0, machine: machineTimes())
        }

        /// The "cpu" line of /proc/stat: idle and iowait are not busy.
        static func machineTimes() -> (busy: Int, total: Int) {
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first
            else { return (0, 0) }
            let values = line.split(separator: " ").dropFirst().map { Int($0) ?? 0 }
            guard values.count >= 5 else { return (0, 0) }
            let total = values.reduce(0, +)
            return (total - values[3] - values[4], total)
        }

        /// The "Udp:" counters of /proc/net/snmp by name.
        static func udpCounters() -> [String: Int] {
            guard let text = try? String(contentsOfFile: "/proc/net/snmp", encoding: .utf8) else { return [:] }
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("Udp:") }
            guard lines.count >= 2 else { return [:] }
            let names = lines[0].split(separator: " ").dropFirst()
            let values = lines[1].split(separator: " ").dropFirst().map { Int($0) ?? 0 }
            return Dictionary(zip(names.map(String.init), values), uniquingKeysWith: { a, _ in a })
        }
    }

    init(from start: Reading, to end: Reading, droppedAtViewerSockets: Int) {
        cores = ProcessInfo.processInfo.activeProcessorCount
        cpuSeconds = end.cpuSeconds - start.cpuSeconds
        wallSeconds = (end.at - start.at).seconds
        udpReceiveBufferErrors = end.receiveBufferErrors - start.receiveBufferErrors
        udpInErrors = end.inErrors - start.inErrors
        self.droppedAtViewerSockets = droppedAtViewerSockets
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        peakMemoryMegabytes = usage.ru_maxrss / 1024  // kilobytes on Linux
        let total = end.machine.total - start.machine.total
        machineBusy = total > 0 ? Double(end.machine.busy - start.machine.busy) / Double(total) : 0
    }
}
