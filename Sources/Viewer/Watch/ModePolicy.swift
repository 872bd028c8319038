import Wire

/// When a viewer changes how media reaches it (paper 5.2): to TCP when UDP loses more than the
/// threshold over the window; optionally back to UDP after a while on TCP, to see whether the
/// path has become clean (each failed probe doubles the wait).
struct ModePolicy {
    struct Settings {
        var lossThreshold = 0.05
        var windowSeconds = 5
        var probeUDP = false
        var probeAfterSeconds = 30
    }

    let settings: Settings
    private(set) var mode = MediaMode.udp
    private var since: Int64 = 0
    private var probeWait: Int
    /// True while a probe back to UDP runs: a lossy probe returns to TCP without judging twice.
    private(set) var probing = false

    init(settings: Settings) {
        self.settings = settings
        probeWait = settings.probeAfterSeconds
    }

    /// Records a switch made for another reason (no bind reply, the unit's own decision).
    mutating func switched(to mode: MediaMode, at second: Int64) {
        self.mode = mode
        since = second
        probing = false
    }

    /// The switch to make now, if any, and its reason in words. `loss` is the UDP loss over the
    /// window (nil while too few packets were due to judge).
    mutating func decide(loss: Double?, at second: Int64) -> (MediaMode, String)? {
        switch mode {
        case .udp:
            guard second - since >= Int64(settings.windowSeconds), let loss, loss > settings.lossThreshold else {
                if probing && second - since >= Int64(settings.windowSeconds) * 2 {
                    probing = false
                    probeWait = settings.probeAfterSeconds
                }
                return nil
            }
            if probing { probeWait *= 2 }
            probing = false
            mode = .tcp
            since = second
            return (.tcp, "UDP loss \(Self.percent(loss)) over \(settings.windowSeconds) s is above \(Self.percent(settings.lossThreshold))")
        case .tcp:
            guard settings.probeUDP, second - since >= Int64(probeWait) else { return nil }
            mode = .udp
            since = second
            probing = true
            return (.udp, "probing UDP again after \(probeWait) s on TCP")
        }
    }

    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}
