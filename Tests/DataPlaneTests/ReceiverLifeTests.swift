import DataPlane
import Testing
import Wire

@Suite struct ReceiverLifeTests {
    let point = ResumePoint(streams: [ResumePoint.Stream(ssrc: 1, sequence: 100)])

    func viewer(resume: ResumePoint? = nil, overWebSocket: Bool = false) -> (ReceiverLife, [ReceiverLife.Action]) {
        var life = ReceiverLife()
        let actions = life.opened(name: "v", receives: true, resume: resume, overWebSocket: overWebSocket)
        return (life, actions)
    }

    @Test func aUDPViewerStartsAtItsFirstBindAndNotAtAKeepalive() {
        var (life, opened) = viewer()
        #expect(opened.isEmpty && life.stage == .idle, "nothing to send to before a bind")
        let renewed = life.bound(moved: false)
        #expect(renewed.isEmpty)
        let first = life.bound(moved: true)
        #expect(first == [.start(.udp)])
        life.startedFresh()
        #expect(life.stage == .receiving)
    }

    @Test func aWebSocketViewerIsInTCPModeFromTheStart() {
        let (life, opened) = viewer(overWebSocket: true)
        #expect(life.mode == .tcp)
        #expect(opened.first == .leave)
        #expect(opened.last == .start(.tcp))
        #expect(opened.contains(.tell(.modeChanged(.tcp, reason: "a session over WebSocket is always in TCP mode"))))
    }

    @Test func udpModeNeedsAnAddressAndTheSameModeIsNoSwitch() {
        var (life, _) = viewer(overWebSocket: true)
        let refused = life.modeRequested(.udp, reason: "try", videoFlowing: true)
        guard case .tell(.error(let error)) = refused.first, refused.count == 1 else {
            Issue.record("expected a refusal, got \(refused)")
            return
        }
        #expect(error.code == .notAllowed && life.mode == .tcp)
        let same = life.modeRequested(.tcp, reason: "again", videoFlowing: true)
        #expect(same == [.tell(.modeChanged(.tcp, reason: "already in tcp mode"))])
    }

    @Test func backToUDPJoinsAtOnceAndWaitsForAKeyframeOnlyWithoutFlowingVideo() {
        var (life, _) = viewer()
        _ = life.bound(moved: true)
        life.startedFresh()
        let toTCP = life.modeRequested(.tcp, reason: "lossy", videoFlowing: false)
        #expect(toTCP == [.leave, .tell(.modeChanged(.tcp, reason: "lossy")), .note(.modeSwitched("tcp mode: lossy")), .start(.tcp)])
        life.startedFresh()
        let flowing = life.modeRequested(.udp, reason: "better", videoFlowing: true)
        #expect(flowing == [.leave, .joinUDP(awaitingKeyframe: false), .tell(.modeChanged(.udp, reason: "better")), .note(.modeSwitched("udp mode: better"))])
        #expect(life.stage == .receiving)
        _ = life.modeRequested(.tcp, reason: "lossy", videoFlowing: false)
        let skipping = life.modeRequested(.udp, reason: "better", videoFlowing: false)
        #expect(skipping.contains(.joinUDP(awaitingKeyframe: true)))
    }

    @Test func aResumingReceiverWaitsThenStartsOnceInTheModeItIsIn() {
        var (life, _) = viewer(resume: point)
        #expect(life.resume == point)
        #expect(life.bound(moved: true) == [.start(.udp)])
        life.waitsForFeed()
        #expect(life.stage == .awaitingFeed)
        // Switching while it waits: it waits again in the new mode (the resume point is kept).
        let toTCP = life.modeRequested(.tcp, reason: "lossy", videoFlowing: false)
        #expect(toTCP.first == .leave && toTCP.last == .start(.tcp) && life.resume == point)
        life.waitsForFeed()
        let ended = life.feedWaitEnded(timedOut: false, longest: .seconds(3))
        #expect(ended == [.start(.tcp)])
        let resumed = life.resumed(lag: 12)
        #expect(resumed == [.note(.resumed("v resumes where it left off, 12 packets behind live"))])
        #expect(life.resume == nil && life.stage == .receiving)
    }

    @Test func aWaitThatTimesOutOrAFeedTooShortStartsAfresh() {
        var (life, _) = viewer(resume: point)
        _ = life.bound(moved: true)
        life.waitsForFeed()
        let ended = life.feedWaitEnded(timedOut: true, longest: .seconds(3))
        #expect(ended.count == 2 && ended.last == .start(.udp) && life.resume == nil)
        var (other, _) = viewer(resume: point)
        _ = other.bound(moved: true)
        let past = other.resumePastTheFeed(feedPackets: 1024)
        #expect(past == [.note(.resumePastTheFeed("v was away longer than the feed holds (1024 packets): it starts at a keyframe"))])
        #expect(other.resume == nil && other.stage == .receiving)
    }

    @Test func aSilentAddressStopsUDPMediaUntilTheNextBind() {
        var (life, _) = viewer()
        _ = life.bound(moved: true)
        life.startedFresh()
        let silent = life.addressSilent("127.0.0.1:5000", for: .seconds(30))
        #expect(silent.first == .leaveUDP && life.stage == .idle)
        let refused = life.modeRequested(.udp, reason: "x", videoFlowing: false)
        #expect(refused.count == 1, "still in UDP mode: no switch")
        #expect(life.bound(moved: true) == [.start(.udp)])
    }

    @Test func lagNoticesAreToldAndCaughtUpAsksForAKeyframe() {
        let (life, _) = viewer()
        #expect(life.lagged(.videoSkipped(lag: 150)).first == .tell(.videoSkipped(true, reason: "150 packets behind live: audio only until caught up")))
        #expect(life.lagged(.videoResuming).last == .requestKeyframe("a TCP viewer caught up"))
        #expect(life.lagged(.overrun(skippedPackets: 9)) == [.note(.overrun("overrun: jumped 9 packets forward"))])
    }

    @Test func aBroadcasterSwitchesModeButNeverJoinsTheFanOut() {
        var life = ReceiverLife()
        #expect(life.opened(name: "b", receives: false, resume: point, overWebSocket: false).isEmpty)
        #expect(life.resume == nil)
        #expect(life.bound(moved: true).isEmpty)
        let toTCP = life.modeRequested(.tcp, reason: "r", videoFlowing: false)
        #expect(toTCP == [.tell(.modeChanged(.tcp, reason: "r")), .note(.modeSwitched("tcp mode: r"))])
    }

    @Test func closedLeavesOnceAndThenTakesNothing() {
        var (life, _) = viewer()
        _ = life.bound(moved: true)
        #expect(life.closed() == [.leave, .forgetAddress])
        #expect(life.closed().isEmpty)
        #expect(life.bound(moved: true).isEmpty)
        #expect(life.feedWaitEnded(timedOut: false, longest: .seconds(3)).isEmpty)
    }
}
