import DataPlane
import NIOCore
import Testing

@Suite struct ChannelChatBudgetTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func oneNetworkGetsItsBurstAndTheRestKeepRoom() {
        var budget = ChannelChatBudget(channelBurst: 30, networkBurst: 10, now: Self.start)
        let loud = (0..<40).map { budget.allow(speaker: UInt64($0), network: "198.51.100.1", at: Self.start) }
        #expect(loud.count { $0 == .allowed } == 10 && loud.dropFirst(10).allSatisfy { $0 == .networkBusy })
        // Others fill what is left; those who spoke already stop where the reserve begins.
        var repeated = 0
        for index in 0..<30 where budget.allow(speaker: 100, network: "net \(index)", at: Self.start) == .allowed { repeated += 1 }
        #expect(repeated == 30 - 10 - 10, "one speaker again and again: up to the reserve of 10")
        let newcomers = (0..<12).map { budget.allow(speaker: 200 + UInt64($0), network: "other \($0)", at: Self.start) }
        #expect(newcomers.count { $0 == .allowed } == 10 && newcomers.last == .channelBusy, "the reserve goes to those who had not spoken")
        // A window later, everyone has room again.
        #expect(budget.allow(speaker: 0, network: "198.51.100.1", at: Self.start + .seconds(10)) == .allowed)
    }

    @Test func aRefusedLineCostsTheChannelNothing() {
        var budget = ChannelChatBudget(channelBurst: 3, networkBurst: 1, now: Self.start)
        #expect(budget.allow(speaker: 1, network: "a", at: Self.start) == .allowed)
        for _ in 0..<10 { #expect(budget.allow(speaker: 1, network: "a", at: Self.start) == .networkBusy) }
        #expect(budget.allow(speaker: 2, network: "b", at: Self.start) == .allowed)
        #expect(budget.allow(speaker: 3, network: "c", at: Self.start) == .allowed)
    }
}
