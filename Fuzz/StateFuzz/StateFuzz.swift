import Dispatch
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Wire

@testable import ClusterLogic
@testable import Server

/// libFuzzer entry over the real state machines, fed decoded messages: `AVCLUSTER_FUZZ_TARGET`
/// picks the CSM's cluster state (announcements, reports, events, opens, joins, ticks), the
/// failover state machine (heartbeats, units' answers, ticks), a unit's session handling (real
/// handlers on an embedded channel: hellos, signed and forged tickets, session messages, media,
/// UDP binds, CSM commands, timers) or the portal's SQLite store. Every message goes through
/// the JSON encoder and `ControlCoder.decode`, so the range checks stand between the bytes and
/// the state, as on the wire. Nothing may crash; the invariants below must hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzState(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeBufferPointer(start: data, count: size))
    switch target {
    case "failover": fuzzFailover(&input)
    case "unit": fuzzUnit(&input)
    case "portal": fuzzPortal(&input)
    default: fuzzCluster(&input)
    }
    return 0
}

let target = ProcessInfo.processInfo.environment["AVCLUSTER_FUZZ_TARGET"] ?? "cluster"

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}

/// A message as a unit or a CSM would receive it: encoded, then decoded and range-checked.
func overTheWire<Message: Codable & RangeChecked>(_ message: Message) -> Message? {
    guard let bytes = try? ControlCoder.encode(message) else { return nil }
    return try? ControlCoder.decode(Message.self, from: ByteBuffer(bytes: bytes))
}

// MARK: The CSM's cluster state

func fuzzCluster(_ input: inout FuzzInput) {
    var state = ClusterState(settings: ClusterSettings(), signer: TicketSigner(secret: "fuzz"), wallClock: { 1_800_000_000_000 })
    var now = ContinuousClock.Instant.now
    var secrets: [ChannelID: String] = [:]
    var steps = 0
    while !input.isEmpty {
        steps += 1
        switch input.small(13) {
        case 0:
            let announcement = UnitAnnouncement(
                address: UnitAddress(unit: UnitID(UInt16(input.small(5))), host: input.string(), sessionPort: input.integer(Int32.self).asInt, mediaPort: input.integer(Int16.self).asInt),
                adminPort: input.bool() ? nil : input.integer(Int32.self).asInt, groupsPerUnit: input.small(9) == 0 ? input.integer(Int.self) : input.small(8),
                groupCapacity: input.small(9) == 0 ? input.integer(Int.self) : input.small(6), epoch: input.bool() ? input.integer(UInt64.self) : UInt64(input.small(4)))
            if case .announce(let decoded)? = overTheWire(UnitMessage.announce(announcement)) { _ = state.announce(decoded, now: now) }
        case 1:
            var groups: [GroupReport] = []
            for _ in 0..<input.small(6) {
                groups.append(GroupReport(
                    group: GroupID(UInt16(input.small(10))), channel: ChannelID(UInt32(input.small(5))),
                    parent: input.bool() ? nil : GroupLocation(unit: UnitID(UInt16(input.small(5))), group: GroupID(UInt16(input.small(10)))),
                    broadcasterHere: input.bool(), udpViewers: input.small(5) == 0 ? input.integer(Int.self) : input.small(12),
                    tcpViewers: input.small(12), bytesSent: input.integer(UInt64.self), info: input.bool() ? ChannelInfo(title: input.string(), broadcasterName: input.string(), startedAtMilliseconds: input.integer(UInt64.self), secretNonce: input.integer(UInt64.self)) : nil,
                    // Opened tickets: the nonces of places given (small numbers) or anything at all.
                    openedTickets: input.bool() ? nil : (0..<input.small(4)).map { _ in input.bool() ? UInt64(input.small(4)) : input.integer(UInt64.self) }))
            }
            let report = UnitReport(
                unit: UnitID(UInt16(input.small(5))), epoch: UInt64(input.small(4)), sentAtMilliseconds: input.integer(UInt64.self), groups: groups,
                load: UnitLoad(
                    viewers: input.integer(Int16.self).asInt, bytesPerSecond: input.integer(UInt32.self).asUInt64, freeGroups: input.small(10),
                    loopDelayMilliseconds: input.bool() ? nil : UInt64(input.small(600)), blockedReceivers: input.bool() ? nil : input.small(20)),
                draining: input.bool())
            if case .report(let decoded)? = overTheWire(UnitMessage.report(report)) { state.report(decoded, now: now) }
        case 2:
            if case .success(let (channel, _)) = state.open(title: input.string(), broadcasterName: input.string(), now: now) {
                secrets[channel] = state.secret(of: channel)
            }
        case 3:
            _ = state.join(ChannelID(UInt32(input.small(5))), nonce: UInt64(input.small(4)), now: now)
        case 4:
            _ = state.close(ChannelID(UInt32(input.small(5))), now: now)
        case 5:
            now += .milliseconds(Int(input.byte()) * 100)
            state.tick(now: now)
        case 6:
            state.linkClosed(UnitID(UInt16(input.small(5))), now: now)
        case 7:
            _ = state.drain(UnitID(UInt16(input.small(5))), input.bool())
        case 8:
            _ = state.remove(UnitID(UInt16(input.small(5))), now: now)
        case 9:
            _ = state.expand(ChannelID(UInt32(input.small(5))), from: nil, now: now)
        case 10:
            _ = state.shrink(ChannelID(UInt32(input.small(5))), now: now, force: input.bool())
        case 11:
            // A secret of another channel, or a guess, never resumes one.
            let channel = ChannelID(UInt32(input.small(5)))
            let other = ChannelID(UInt32(input.small(5)))
            if other != channel, let secret = secrets[other], state.channels[channel] != nil {
                check(!state.checkSecret(secret, of: channel), "channel \(other)'s secret opens channel \(channel)")
            }
            check(!state.checkSecret(input.string(), of: channel) || secrets.values.contains { state.checkSecret($0, of: channel) }, "a guessed secret matched")
        default:
            _ = state.drainActions()
        }
        _ = state.drainActions()
        if steps % 8 == 0 { checkInvariants(of: state, at: now) }
    }
    checkInvariants(of: state, at: now)
}

func checkInvariants(of state: ClusterState, at now: ContinuousClock.Instant) {
    let view = state.view(epoch: 1, at: now)
    for channel in view.channels { check(channel.viewers >= 0, "negative viewers in channel \(channel.channel)") }
    for channel in state.channels.keys { check(state.freePlaces(of: channel, now: now) >= 0, "negative free places") }
}

// MARK: Failover

func fuzzFailover(_ input: inout FuzzInput) {
    // Two CSMs and three units; the fuzzer chooses which messages arrive (late, twice or never),
    // who crashes and restarts (with or without its epoch on disk) and how time passes.
    let lease: Duration = .seconds(1)
    var now = ContinuousClock.Instant.now
    let names = ["csm-a", "csm-b"]
    func start(_ name: String, epoch: UInt64) -> FailoverStateMachine {
        FailoverStateMachine(name: name, highestEpoch: epoch, preferred: name == "csm-a", alone: false, leaseDuration: lease, heartbeatInterval: .milliseconds(250), now: now)
    }
    var csms = names.map { start($0, epoch: 0) }
    var units = (0..<3).map { _ in UnitLease(longest: lease, startGuard: .zero, now: now) }
    let members: Set<UnitID> = [1, 2, 3]
    /// Lease requests in flight: (csm, its run, id, epoch, duration). A restarted CSM is a new run
    /// on new connections: answers to its earlier run's requests never reach it.
    var requests: [(Int, Int, UInt64, UInt64, Duration)] = []
    /// Answers in flight: (csm, run, unit, id, unit epoch, granted).
    var answers: [(Int, Int, Int, UInt64, UInt64, Duration?)] = []
    var runs = [0, 0]
    var unitEpochs = [UInt64](repeating: 0, count: 3)
    while !input.isEmpty {
        switch input.small(7) {
        case 0:
            let c = input.small(2)
            _ = csms[c].adopt(members: members)
            for action in csms[c].tick(now: now) {
                if case .requestLeases(let id, let epoch, let duration) = action { requests.append((c, runs[c], id, epoch, duration)) }
            }
        case 1 where !requests.isEmpty:
            let (c, run, id, epoch, duration) = requests[input.small(requests.count)]
            let u = input.small(3)
            if case .leaseRequest(_, let decoded, let milliseconds)? = overTheWire(CSMMessage.leaseRequest(id: id, epoch: epoch, milliseconds: duration.wholeMilliseconds)) {
                let granted = try? units[u].request(from: names[c], epoch: decoded, for: .milliseconds(milliseconds), now: now).get()
                answers.append((c, run, u, id, units[u].epoch, granted))
            }
        case 2 where !answers.isEmpty:
            let (c, run, u, id, epoch, granted) = answers.remove(at: input.small(answers.count))
            guard run == runs[c] else { break }
            _ = csms[c].leaseAnswered(by: UnitID(UInt16(u + 1)), id: id, unitEpoch: epoch, granted: granted, now: now)
        case 3:
            let c = input.small(2)
            let heartbeat = Heartbeat(csm: names[c], role: csms[c].role == .primary ? .primary : .backup, epoch: csms[c].epoch, sentAtMilliseconds: 0)
            if case .heartbeat(let decoded)? = overTheWire(PeerMessage.heartbeat(heartbeat)) { _ = csms[1 - c].peerHeartbeat(decoded, now: now) }
        case 4:
            let c = input.small(2)
            csms[c] = start(names[c], epoch: input.bool() ? csms[c].highestEpoch : 0)
            runs[c] += 1
        case 5:
            if input.small(8) == 0 {
                let u = input.small(3)
                units[u] = UnitLease(longest: lease, now: now)  // restarted: grants nothing for a lease time
                unitEpochs[u] = 0
            } else {
                requests.removeAll { _ in input.bool() }
            }
        default:
            now += .milliseconds(Int(input.byte()) * 10)
        }
        let serving = csms.filter { $0.mayServe(now: now) }
        check(serving.count <= 1, "two CSMs serve at once: \(serving.map(\.name))")
        for u in 0..<3 {
            check(units[u].epoch >= unitEpochs[u], "unit \(u + 1) went from epoch \(unitEpochs[u]) to \(units[u].epoch)")
            unitEpochs[u] = units[u].epoch
        }
        for csm in serving {
            // A restarted unit obeys nobody until it grants again; every other unit obeys the one serving.
            let obeying = units.count { $0.owner == nil || $0.obeys(csm.name, epoch: csm.epoch) }
            check(obeying * 2 > units.count, "\(csm.name) serves at epoch \(csm.epoch) while a majority obeys another")
        }
    }
}

// MARK: A unit's session handling

let quietLogger: Logger = {
    var logger = Logger(label: "fuzz")
    logger.logLevel = .critical
    return logger
}()

func fuzzUnit(_ input: inout FuzzInput) {
    let loop = EmbeddedEventLoop()
    var configuration = UnitConfiguration()
    configuration.groupsPerUnit = 4
    configuration.groupCapacity = 3
    configuration.maxSessions = 6
    configuration.secret = "fuzz"
    let wall: UInt64 = 1_800_000_000_000
    let unit = Unit(configuration: configuration, eventLoop: loop, logger: quietLogger, clock: UnitClock(wallMilliseconds: { wall }))
    let signer = TicketSigner(secret: "fuzz")
    var sessions: [EmbeddedChannel] = []
    func frame(_ message: SessionMessage) -> ByteBuffer {
        var buffer = ByteBuffer()
        try? SessionFrame.message(message).write(to: &buffer)
        return buffer
    }
    func drain(_ channel: EmbeddedChannel) { while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {} }
    while !input.isEmpty {
        let index = input.small(max(sessions.count, 1))
        let session = sessions.indices.contains(index) ? sessions[index] : nil
        switch input.small(11) {
        case 0 where sessions.count < 8:
            let channel = EmbeddedChannel(loop: loop)
            try? channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .rfc4571)), UnitSessionHandler(unit: NIOLoopBound(unit, eventLoop: loop)),
            ])
            _ = try? channel.connect(to: SocketAddress(ipAddress: "127.0.0.\(input.small(4) + 1)", port: 4000)).wait()
            sessions.append(channel)
        case 1:
            _ = try? session?.writeInbound(frame(.hello(Hello(peer: input.bool() ? .viewer : .broadcaster, name: input.string()))))
        case 2:
            let roles: [TicketRole] = [.viewer, .broadcaster, .relay]
            let ticket = Ticket(
                channel: ChannelID(UInt32(input.small(3) + 1)), group: GroupID(UInt16(input.small(6))), role: roles[input.small(3)],
                unit: UnitID(UInt16(input.small(2) + 1)), expiresAtMilliseconds: input.bool() ? wall + 10_000 : wall - 1)
            let text = input.small(8) == 0 ? input.string(maxBytes: 90) : signer.sign(ticket)
            // Sometimes where a re-joining receiver left off: streams and sequence numbers anywhere.
            let resume = input.bool() ? ResumePoint(streams: (0..<input.small(4)).map { _ in
                .init(ssrc: input.bool() ? (input.bool() ? 0 : input.integer(UInt32.self)) : UInt32(input.small(3)), sequence: input.integer(UInt16.self))
            }) : nil
            _ = try? session?.writeInbound(frame(.open(ticket: text, name: input.string(), resume: resume)))
        case 3:
            var buffer = ByteBuffer()
            let body = input.bytes()
            buffer.writeInteger(UInt16(truncatingIfNeeded: body.count + (input.small(10) == 0 ? input.small(300) : 0)))
            buffer.writeBytes(body)
            _ = try? session?.writeInbound(buffer)
        case 4:
            let messages: [SessionMessage] = [
                .setMode(input.bool() ? .tcp : .udp, reason: input.string()),
                .chat(ChatLine(from: input.string(), text: input.string(maxBytes: 80), sentAtMilliseconds: input.integer(UInt64.self))),
                .keyframeRequest(reason: input.string()), .goodbye(reason: input.string()), .channelStatus(viewers: input.integer(Int.self)),
            ]
            let message = messages[input.small(messages.count)]
            if let decoded = overTheWire(message) { _ = try? session?.writeInbound(frame(decoded)) }
        case 5:
            var sender = RTPSender(payloadType: input.bool() ? 111 : (input.bool() ? 96 : input.byte() & 0x7F), firstSequenceNumber: input.integer(UInt16.self))
            let packet = sender.packet(payload: input.bytes(maxCount: 200), timestamp: input.integer(UInt32.self), marker: input.bool(), capturedAt: .now)
            var framed = ByteBuffer()
            try? SessionFrame.media(packet).write(to: &framed)
            _ = try? session?.writeInbound(framed)
        case 6:
            let from = try! SocketAddress(ipAddress: "127.0.0.\(input.small(4) + 1)", port: 5000 + input.small(3))
            let id = unit.sessions.keys.sorted()[safe: input.small(unit.sessions.count)]
            let datagram: ByteBuffer
            if let id, let real = unit.sessions[id], input.bool() {
                let cookie = input.bool() ? unit.udpBindings.cookies.cookie(session: id, address: from, nowMilliseconds: wall) : BindCookie(bytes: input.bytes(maxCount: 8))
                datagram = BindDatagram.request(session: id, token: input.bool() ? real.bindToken : .random(), cookie: cookie).encoded()
            } else {
                datagram = ByteBuffer(bytes: input.bytes(maxCount: 120))
            }
            unit.udpDatagram(datagram, from: from)
        case 7:
            let actions: [UnitAction] = [
                .assignGroup(GroupID(UInt16(input.small(6))), channel: ChannelID(UInt32(input.small(3) + 1)),
                             parent: input.bool() ? nil : GroupLocation(unit: 1, group: GroupID(UInt16(input.small(6)))), info: ChannelInfo(title: input.string(), broadcasterName: "b", startedAtMilliseconds: 1, secretNonce: input.integer(UInt64.self))),
                .freeGroup(GroupID(UInt16(input.small(6)))), .drain(input.bool()),
            ]
            if case .command(_, _, let action)? = overTheWire(CSMMessage.command(id: 1, epoch: unit.epoch, action: actions[input.small(actions.count)])) {
                _ = unit.execute(action)
            }
        case 8:
            _ = try? session?.close().wait()
        case 9:
            unit.heartbeat()
        default:
            loop.advanceTime(by: .milliseconds(Int64(input.byte()) * 100))
        }
        unit.flushMedia()
        loop.run()
        for channel in sessions { drain(channel) }
        check(unit.sessions.count <= configuration.sessionLimit + 1, "the unit holds \(unit.sessions.count) sessions")
        for (index, slot) in unit.groups.enumerated() {
            check(unit.viewerCount(in: index) <= configuration.groupCapacity, "group \(slot.id) holds more viewers than it may")
        }
    }
    for channel in sessions { _ = try? channel.finish() }
    try? loop.syncShutdownGracefully()
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension FixedWidthInteger {
    var asInt: Int { Int(truncatingIfNeeded: self) }
    var asUInt64: UInt64 { UInt64(truncatingIfNeeded: self) }
}

// MARK: The portal's store

let portal: SQLitePortalStore = blocking { try! await SQLitePortalStore.open(path: nil, logger: quietLogger) }
/// libFuzzer calls the entry from one thread only.
nonisolated(unsafe) var portalRuns = 0

func blocking<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) -> Value {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Value?
    Task {
        result = await body()
        done.signal()
    }
    done.wait()
    return result!
}

func fuzzPortal(_ input: inout FuzzInput) {
    portalRuns += 1
    let store = portal
    // The whole input's calls in one task: one hop to the store's thread pool per run, not per call.
    var calls: [@Sendable () async -> Void] = []
    while !input.isEmpty {
        let channel = ChannelID(UInt32(truncatingIfNeeded: input.small(4) == 0 ? input.integer(UInt32.self) : UInt32(input.small(5))))
        switch input.small(7) {
        case 0:
            let entries = (0..<input.small(4)).map { _ in
                ClusterLogEntry(
                    unit: input.bool() ? nil : UnitID(input.integer(UInt16.self)), timeMilliseconds: input.integer(UInt64.self), kind: input.string(),
                    channel: input.bool() ? nil : channel, group: input.bool() ? nil : GroupID(input.integer(UInt16.self)), details: input.string(maxBytes: 60))
            }
            calls.append { try? await store.appendLog(entries) }
        case 1:
            let record = ChannelHistory(
                channel: channel, title: input.string(), broadcasterName: input.string(), startedAtMilliseconds: input.integer(UInt64.self),
                endedAtMilliseconds: input.bool() ? nil : input.integer(UInt64.self), peakViewers: input.integer(Int.self), totalViewers: input.integer(Int.self))
            calls.append { try? await store.channelOpened(record) }
        case 2:
            let time = input.integer(UInt64.self)
            calls.append { try? await store.channelEnded(channel, atMilliseconds: time) }
        case 3:
            calls.append { try? await store.viewerJoined(channel) }
        case 4:
            let viewers = input.integer(Int.self)
            calls.append { try? await store.viewersNow(channel, viewers) }
        case 5:
            let limit = input.small(50)
            calls.append { _ = try? await store.log(limit: limit); _ = try? await store.channels(limit: limit); _ = try? await store.channel(channel) }
        default:
            let retention = LogRetention(maxEntries: input.small(200) + 100)
            let now = input.integer(UInt64.self)
            calls.append { try? await store.pruneLog(retention, nowMilliseconds: now) }
        }
    }
    // Memory stays bounded however long the fuzzer runs.
    if portalRuns % 256 == 0 { calls.append { try? await store.pruneLog(LogRetention(maxEntries: 1000), nowMilliseconds: .max) } }
    let all = calls
    blocking { for call in all { await call() } }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point under this name; hand control to libFuzzer's driver.
@_cdecl("StateFuzz_main")
public func stateFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    // The store lives for the whole run: made before the first input, it is no input's leak.
    if target == "portal" { _ = portal }
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzState(data, size) }
}
