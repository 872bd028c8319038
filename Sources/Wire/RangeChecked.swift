/// A decoded message whose numbers are checked against the ranges that make sense for them
/// (docs/SECURITY.md: every number from the network is range-checked). `ControlCoder.decode`
/// checks every message that conforms, so no caller sees a value out of range.
public protocol RangeChecked {
    /// Throws `WireError.outOfRange` naming the first field out of its range.
    func checkRanges() throws
}

/// The ranges a control message's numbers must fall in: what any real cluster can reach, with
/// room to spare, and small enough that sums over a whole cluster cannot overflow.
public enum WireLimits {
    /// Groups of one unit, and so the highest group number.
    public static let groupsPerUnit: ClosedRange<Int> = 1...4096
    /// Viewers of one group.
    public static let groupCapacity: ClosedRange<Int> = 1...10_000
    /// Epochs, times and byte counts: below 2^53, so JSON readers in any language keep them exact.
    public static let counter: ClosedRange<UInt64> = 0...(1 << 53)
    /// Epochs a CSM may campaign at and a unit may grant: far below `counter`'s top, so that no
    /// epoch anyone claims can leave no higher one to ask for (a claim above is ignored and never
    /// kept: a million campaigns beyond the highest accepted still fit below 2^53).
    public static let usableEpochs: ClosedRange<UInt64> = 0...((1 << 53) - (1 << 20))
    public static let port: ClosedRange<Int> = 1...65535
    /// Units of one cluster.
    public static let units = 65535
    /// A CSM lease: at most a minute.
    public static let leaseMilliseconds: ClosedRange<UInt64> = 0...60_000
    /// Bytes of a host name or address (RFC 1035).
    public static let hostBytes = 253
    /// Bytes of a name said in a hello or a heartbeat.
    public static let nameBytes = 256
    /// Bytes of an event's or an error's text.
    public static let detailBytes = 4096
    /// Bytes of a chat line's text.
    public static let chatBytes = 4096
    /// Streams of a resume point.
    public static let resumeStreams = 8

    static func check<Value: Comparable>(_ field: String, _ value: Value, in range: ClosedRange<Value>) throws {
        guard range.contains(value) else {
            throw WireError.outOfRange(field: field, value: "\(value)", allowed: "\(range.lowerBound)...\(range.upperBound)")
        }
    }

    static func check(_ field: String, bytes text: String, max: Int) throws {
        guard text.utf8.count <= max else {
            throw WireError.outOfRange(field: field, value: "\(text.utf8.count) bytes", allowed: "at most \(max) bytes")
        }
    }

    static func checkGroup(_ field: String, _ group: GroupID) throws {
        try check(field, Int(group.rawValue), in: groupsPerUnit)
    }

    static func checkPositive<Kind>(_ field: String, _ id: TypedID<Kind>) throws {
        guard id.rawValue > 0 else { throw WireError.outOfRange(field: field, value: "0", allowed: "1 or more") }
    }
}

extension Hello: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.check("hello.name", bytes: name, max: WireLimits.nameBytes)
        try WireLimits.check("hello.nonce", bytes: nonce ?? "", max: 64)
        try WireLimits.check("hello.proof", bytes: proof ?? "", max: 64)
    }
}

extension UnitAddress: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkPositive("unit", unit)
        try WireLimits.check("host", bytes: host, max: WireLimits.hostBytes)
        try WireLimits.check("sessionPort", sessionPort, in: WireLimits.port)
        try WireLimits.check("mediaPort", mediaPort, in: WireLimits.port)
        try WireLimits.check("webSocketPort", webSocketPort ?? 1, in: WireLimits.port)
        try WireLimits.check("rtmpPort", rtmpPort ?? 1, in: WireLimits.port)
    }
}

extension GroupLocation: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkPositive("unit", unit)
        try WireLimits.checkGroup("group", group)
    }
}

extension UnitAnnouncement: RangeChecked {
    public func checkRanges() throws {
        try address.checkRanges()
        if let adminPort { try WireLimits.check("adminPort", adminPort, in: WireLimits.port) }
        try WireLimits.check("groupsPerUnit", groupsPerUnit, in: WireLimits.groupsPerUnit)
        try WireLimits.check("groupCapacity", groupCapacity, in: WireLimits.groupCapacity)
        try WireLimits.check("epoch", epoch, in: WireLimits.counter)
    }
}

extension GroupReport: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkGroup("group", group)
        try WireLimits.checkPositive("channel", channel)
        try parent?.checkRanges()
        try WireLimits.check("udpViewers", udpViewers, in: 0...WireLimits.groupCapacity.upperBound)
        try WireLimits.check("tcpViewers", tcpViewers, in: 0...WireLimits.groupCapacity.upperBound)
        try WireLimits.check("bytesSent", bytesSent, in: WireLimits.counter)
        try info?.checkRanges()
        try WireLimits.check("openedTickets", openedTickets?.count ?? 0, in: 0...WireLimits.groupCapacity.upperBound)
        if let publisher {
            try WireLimits.check("publisher.ingest", bytes: publisher.ingest, max: 8)
            try WireLimits.check("publisher.audioCodec", bytes: publisher.audioCodec, max: 16)
            try WireLimits.check("publisher.kilobitsPerSecond", publisher.kilobitsPerSecond, in: 0...10_000_000)
            try WireLimits.check("publisher.dropped", publisher.dropped, in: 0...(1 << 40))
            guard publisher.framesPerSecond.isFinite, (0...1000).contains(publisher.framesPerSecond) else {
                throw WireError.outOfRange(field: "publisher.framesPerSecond", value: "\(publisher.framesPerSecond)", allowed: "0...1000")
            }
        }
    }
}

extension ChannelInfo: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.check("title", bytes: title, max: OpenChannelRequest.maxTitleLength)
        try WireLimits.check("broadcasterName", bytes: broadcasterName, max: OpenChannelRequest.maxNameLength)
        try WireLimits.check("startedAtMilliseconds", startedAtMilliseconds, in: WireLimits.counter)
    }
}

extension UnitReport: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkPositive("unit", unit)
        try WireLimits.check("epoch", epoch, in: WireLimits.counter)
        try WireLimits.check("sentAtMilliseconds", sentAtMilliseconds, in: WireLimits.counter)
        try WireLimits.check("groups", groups.count, in: 0...WireLimits.groupsPerUnit.upperBound)
        for group in groups { try group.checkRanges() }
        try WireLimits.check("load.viewers", load.viewers, in: 0...(WireLimits.groupsPerUnit.upperBound * WireLimits.groupCapacity.upperBound))
        try WireLimits.check("load.bytesPerSecond", load.bytesPerSecond, in: WireLimits.counter)
        try WireLimits.check("load.freeGroups", load.freeGroups, in: 0...WireLimits.groupsPerUnit.upperBound)
        try WireLimits.check("load.loopDelayMilliseconds", load.loopDelayMilliseconds ?? 0, in: WireLimits.counter)
        try WireLimits.check("load.blockedReceivers", load.blockedReceivers ?? 0, in: 0...(WireLimits.groupsPerUnit.upperBound * WireLimits.groupCapacity.upperBound))
    }
}

extension UnitEvent: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkPositive("unit", unit)
        try WireLimits.check("timeMilliseconds", timeMilliseconds, in: WireLimits.counter)
        if let group { try WireLimits.checkGroup("group", group) }
        try WireLimits.check("details", bytes: details, max: WireLimits.detailBytes)
    }
}

extension ControlError: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.check("error.message", bytes: message, max: WireLimits.detailBytes)
    }
}

extension Heartbeat: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.check("heartbeat.csm", bytes: csm, max: WireLimits.nameBytes)
        try WireLimits.check("epoch", epoch, in: WireLimits.counter)
        try WireLimits.check("sentAtMilliseconds", sentAtMilliseconds, in: WireLimits.counter)
        try WireLimits.check("heartbeat.units", units?.count ?? 0, in: 0...WireLimits.units)
        for unit in units ?? [] { try WireLimits.checkPositive("heartbeat.units", unit) }
        try WireLimits.check("heartbeat.revokedStreamKeys", revokedStreamKeys?.count ?? 0, in: 0...Heartbeat.maxRevokedStreamKeys)
    }
}

extension UnitMessage: RangeChecked {
    public func checkRanges() throws {
        switch self {
        case .hello(let hello): try hello.checkRanges()
        case .announce(let announcement): try announcement.checkRanges()
        case .report(let report): try report.checkRanges()
        case .event(let event): try event.checkRanges()
        case .commandResult(_, let error): try error?.checkRanges()
        case .lease(_, let epoch, let granted, let holder):
            try WireLimits.check("epoch", epoch, in: WireLimits.counter)
            try WireLimits.check("grantedMilliseconds", granted ?? 0, in: WireLimits.leaseMilliseconds)
            try WireLimits.check("holder", bytes: holder ?? "", max: WireLimits.nameBytes)
        case .publish(_, let key, let publisher):
            try WireLimits.check("streamKey", bytes: key, max: StreamKey.maxTextBytes)
            try WireLimits.check("publisher", bytes: publisher, max: WireLimits.nameBytes)
        }
    }
}

extension UnitAction: RangeChecked {
    public func checkRanges() throws {
        switch self {
        case .assignGroup(let group, let channel, let parent, let info):
            try WireLimits.checkGroup("group", group)
            try WireLimits.checkPositive("channel", channel)
            try parent?.checkRanges()
            try info?.checkRanges()
        case .freeGroup(let group):
            try WireLimits.checkGroup("group", group)
        case .openRelayLink(let group, let channel, let parent, let parentGroup, let ticket):
            try WireLimits.checkGroup("group", group)
            try WireLimits.checkPositive("channel", channel)
            try parent.checkRanges()
            try WireLimits.checkGroup("parentGroup", parentGroup)
            try WireLimits.check("ticket", bytes: ticket, max: 256)
        case .drain:
            break
        }
    }
}

extension CSMMessage: RangeChecked {
    public func checkRanges() throws {
        switch self {
        case .hello(let hello): try hello.checkRanges()
        case .command(_, let epoch, let action):
            try WireLimits.check("epoch", epoch, in: WireLimits.counter)
            try action.checkRanges()
        case .error(let error): try error.checkRanges()
        case .heartbeat(let epoch, _): try WireLimits.check("epoch", epoch, in: WireLimits.counter)
        case .leaseRequest(_, let epoch, let milliseconds):
            try WireLimits.check("epoch", epoch, in: WireLimits.counter)
            try WireLimits.check("milliseconds", milliseconds, in: WireLimits.leaseMilliseconds)
        case .publishPlaced(_, let channel, let group):
            try WireLimits.checkPositive("channel", channel)
            try WireLimits.checkGroup("group", group)
        case .publishRefused(_, let error): try error.checkRanges()
        }
    }
}

extension PeerMessage: RangeChecked {
    public func checkRanges() throws {
        switch self {
        case .hello(let hello): try hello.checkRanges()
        case .heartbeat(let heartbeat): try heartbeat.checkRanges()
        }
    }
}

extension SessionOpened: RangeChecked {
    public func checkRanges() throws {
        try WireLimits.checkPositive("channel", channel)
        try WireLimits.checkGroup("group", group)
        try WireLimits.check("mediaPort", mediaPort, in: WireLimits.port)
    }
}

extension SessionMessage: RangeChecked {
    public func checkRanges() throws {
        switch self {
        case .hello(let hello): try hello.checkRanges()
        case .open(let ticket, let name, let resume):
            try WireLimits.check("ticket", bytes: ticket, max: 256)
            try WireLimits.check("name", bytes: name, max: WireLimits.nameBytes)
            try WireLimits.check("resume.streams", resume?.streams.count ?? 0, in: 0...WireLimits.resumeStreams)
        case .opened(let opened): try opened.checkRanges()
        case .error(let error): try error.checkRanges()
        case .setMode(_, let reason), .modeChanged(_, let reason), .videoSkipped(_, let reason), .keyframeRequest(let reason),
            .goodbye(let reason):
            try WireLimits.check("reason", bytes: reason, max: WireLimits.detailBytes)
        case .chat(let line):
            try WireLimits.check("chat.from", bytes: line.from, max: WireLimits.nameBytes)
            try WireLimits.check("chat.text", bytes: line.text, max: WireLimits.chatBytes)
            try WireLimits.check("chat.sentAtMilliseconds", line.sentAtMilliseconds, in: WireLimits.counter)
        case .channelStatus(let viewers):
            try WireLimits.check("viewers", viewers, in: 0...(1 << 40))
        }
    }
}
