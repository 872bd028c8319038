import Wire

/// Which of a channel's uplink packets are its broadcaster's own stream (docs/SECURITY.md): each
/// payload type's SSRC is fixed by the first authenticated packet of it, and a sequence number
/// seen within the last 64 of that SSRC is a replay (RFC 3711 section 3.3.2's window). Reset
/// when a broadcaster session opens. Pure.
package struct UplinkGuard {
    package enum Verdict: Equatable { case accept, otherSource, replay }

    /// The SSRC of each payload type.
    private var pinned: [UInt8: UInt32] = [:]
    private var windows: [UInt32: ReplayWindow] = [:]
    private let pinsSources: Bool

    /// `pinsSources` false: replays are refused, any SSRC is taken (a relay child's, whose
    /// parent judged the sources; the streams it keeps are few, one window each).
    package init(pinsSources: Bool = true) {
        self.pinsSources = pinsSources
    }

    package mutating func check(ssrc: UInt32, payloadType: UInt8, sequence: UInt16) -> Verdict {
        if pinsSources, let owner = pinned[payloadType], owner != ssrc { return .otherSource }
        pinned[payloadType] = ssrc
        if windows.count > 64, windows[ssrc] == nil { windows.removeAll() }  // sources come and go: keep it bounded
        return windows[ssrc, default: ReplayWindow()].accept(sequence) ? .accept : .replay
    }

    /// A new broadcaster session: its stream may come with new SSRCs.
    package mutating func reset() {
        pinned.removeAll()
        windows.removeAll()
    }
}

/// The last 64 sequence numbers of one RTP stream, to refuse a packet seen already; one older
/// than the window is refused too, as SRTP does (its tag may be good: it is a recording).
package struct ReplayWindow {
    private var highest: UInt16?
    /// Bit n: `highest - n` was seen.
    private var seen: UInt64 = 0

    package init() {}

    package mutating func accept(_ sequence: UInt16) -> Bool {
        guard let top = highest else {
            highest = sequence
            seen = 1
            return true
        }
        let ahead = Int16(bitPattern: sequence &- top)
        if ahead > 0 {
            seen = ahead >= 64 ? 1 : (seen << UInt64(ahead)) | 1
            highest = sequence
            return true
        }
        let behind = -Int(ahead)  // Int16.min has no Int16 negation
        guard behind < 64 else { return false }
        let bit: UInt64 = 1 << UInt64(behind)
        guard seen & bit == 0 else { return false }
        seen |= bit
        return true
    }
}
