import Testing

@testable import Viewer

@Suite struct ModePolicyTests {
    @Test func lossAboveTheThresholdOverTheWindowSwitchesToTCP() {
        var policy = ModePolicy(settings: .init(lossThreshold: 0.05, windowSeconds: 5))
        #expect(policy.decide(loss: 0.2, at: 2) == nil)  // not a whole window yet
        #expect(policy.decide(loss: 0.04, at: 6) == nil)
        #expect(policy.decide(loss: nil, at: 7) == nil)
        let decision = policy.decide(loss: 0.1, at: 8)
        #expect(decision?.0 == .tcp)
        #expect(decision?.1 == "UDP loss 10.0% over 5 s is above 5.0%")
        #expect(policy.decide(loss: 0.5, at: 100) == nil)  // no probing unless asked
    }

    @Test func probingBackToUDPBacksOffWhenThePathIsStillLossy() {
        var policy = ModePolicy(settings: .init(lossThreshold: 0.05, windowSeconds: 5, probeUDP: true, probeAfterSeconds: 10))
        policy.switched(to: .tcp, at: 0)
        #expect(policy.decide(loss: nil, at: 9) == nil)
        #expect(policy.decide(loss: nil, at: 10)?.0 == .udp)
        #expect(policy.probing)
        #expect(policy.decide(loss: 0.3, at: 15)?.0 == .tcp)
        #expect(policy.decide(loss: nil, at: 34) == nil)  // the wait doubled to 20 s
        #expect(policy.decide(loss: nil, at: 35)?.1 == "probing UDP again after 20 s on TCP")
        #expect(policy.decide(loss: 0.0, at: 46) == nil)  // clean: stays on UDP
        #expect(policy.mode == .udp && !policy.probing)
    }
}
