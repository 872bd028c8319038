#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Client
import NIOConcurrencyHelpers
import NIOCore
import Wire

/// The broadcaster's link to the channel's root unit: opens the session, proves UDP with the bind
/// exchange (or says it cannot and sends over TCP), carries the media, chat and keyframe requests,
/// and when the unit goes away asks the cluster for the channel's new root and carries on.
final class Uplink: Sendable {
    struct Options {
        var name: String
        var bindTimeout: Duration
        var forceTCP: Bool
    }

    private struct State {
        var session: SessionClient?
        var mode = MediaMode.udp
        var modeReason = ""
        var viewers = 0
        var keyframeWanted = false
        var trouble: String?
        var unit: UnitAddress?
        var stopped = false
    }

    let channel: ChannelID
    let secret: String
    private let api: ClusterAPIClient
    private let options: Options
    private let stats: BroadcastStats
    private let state = NIOLockedValueBox(State())

    init(channel: ChannelID, secret: String, api: ClusterAPIClient, options: Options, stats: BroadcastStats) {
        self.channel = channel
        self.secret = secret
        self.api = api
        self.options = options
        self.stats = stats
    }

    /// Sends packets of the live stream; counted as dropped while there is no unit to send to.
    func send(_ packets: [ByteBuffer]) {
        let (session, mode) = state.withLockedValue { ($0.session, $0.mode) }
        guard let session else {
            stats.update { $0.packetsDropped += packets.count }
            return
        }
        session.sendMedia(packets, via: mode)
    }

    /// A chat line typed by the broadcaster.
    func say(_ text: String) {
        state.withLockedValue { $0.session }?.send(.chat(ChatLine(from: options.name, text: text, sentAtMilliseconds: 0)))
    }

    /// True once after the unit asked for a keyframe.
    func takeKeyframeRequest() -> Bool {
        state.withLockedValue { state in
            defer { state.keyframeWanted = false }
            return state.keyframeWanted
        }
    }

    var status: (mode: MediaMode, viewers: Int, trouble: String?, connected: Bool) {
        state.withLockedValue { ($0.mode, $0.viewers, $0.trouble, $0.session != nil) }
    }

    /// Opens the first session; throws when the unit cannot be reached at all.
    func start(at place: OpenChannelResponse) async throws {
        try await open(place)
    }

    /// Keeps the channel on the air until `stop`: follows the session, re-joins when it breaks.
    func run() async {
        while !Task.isCancelled, !state.withLockedValue(\.stopped) {
            guard let session = state.withLockedValue(\.session) else { break }
            let keepalive = Task { [options] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if !options.forceTCP { session.sendBind() }
                }
            }
            let reason = await follow(session)
            keepalive.cancel()
            await session.close()
            if state.withLockedValue(\.stopped) || Task.isCancelled { break }
            await reconnect(after: reason)
        }
    }

    /// Ends the session (the caller closes the channel, or keeps it for `--channel --secret`).
    func stop() async {
        let session = state.withLockedValue { state -> SessionClient? in
            state.stopped = true
            defer { state.session = nil }
            return state.session
        }
        session?.send(.goodbye(reason: "the broadcaster stopped"))
        await session?.close()
    }

    private func open(_ place: OpenChannelResponse) async throws {
        let session = try await SessionClient.connect(to: place.unit, ticket: place.ticket, peer: .broadcaster, name: options.name, localHost: "0.0.0.0")
        var mode = MediaMode.udp
        var reason = "UDP bound"
        if options.forceTCP {
            mode = .tcp
            reason = "TCP asked for with --tcp"
        } else {
            do {
                try await session.bindUDP(timeout: options.bindTimeout)
            } catch {
                mode = .tcp
                reason = "no UDP bind reply from \(place.unit.host):\(place.unit.mediaPort) within \(options.bindTimeout): UDP is blocked or NATed, sending over TCP"
                Console.shared.say("UDP does not get through to the unit; sending over the TCP session instead")
            }
        }
        state.withLockedValue { state in
            state.session = session
            state.mode = mode
            state.modeReason = reason
            state.unit = place.unit
            state.trouble = mode == .tcp && !options.forceTCP ? "UDP blocked, on TCP" : nil
            state.keyframeWanted = true  // a new root starts its viewers at a keyframe
        }
    }

    /// Handles what the unit says until the session ends; returns why it ended.
    private func follow(_ session: SessionClient) async -> String {
        for await event in session.events {
            switch event {
            case .message(.keyframeRequest): state.withLockedValue { $0.keyframeWanted = true }
            case .message(.channelStatus(let viewers)): state.withLockedValue { $0.viewers = viewers }
            case .message(.chat(let line)): Console.shared.say(line.isFromBroadcaster ? "[\(line.from) · you] \(line.text)" : "[\(line.from)] \(line.text)")
            case .message(.error(let error)): Console.shared.say("unit: \(error.description)")
            case .message(.goodbye(let reason)): return "the unit said goodbye: \(reason)"
            case .closed(let error): return error.map { "the session broke: \($0)" } ?? "the unit closed the session"
            default: break
            }
        }
        return "the unit closed the session"
    }

    /// Asks the cluster where the channel lives now, until a session opens there.
    private func reconnect(after reason: String) async {
        let lost = ContinuousClock.now
        let unit = state.withLockedValue { state -> UnitAddress? in
            state.session = nil
            state.trouble = "unit lost, reconnecting"
            return state.unit
        }
        Console.shared.say("lost unit \(unit.map { "\($0.host):\($0.sessionPort)" } ?? "?"): \(reason); re-joining")
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled, !state.withLockedValue(\.stopped) {
            do {
                let place = try await api.resumeChannel(channel, secret: secret)
                try await open(place)
                let gap = ContinuousClock.now - lost
                Console.shared.say("back on the air on unit \(place.unit.host):\(place.unit.sessionPort) after a gap of \(gap.secondsText) s")
                return
            } catch {
                state.withLockedValue { $0.trouble = "reconnecting: \(error)" }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
