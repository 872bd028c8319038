import DataPlane
import NIOCore
import Testing

/// The token bucket behind chat and mode-switch limits.
struct ChatRateLimiterTests {
    let start = NIODeadline.uptimeNanoseconds(5_000_000_000)

    @Test func aBurstThenOneLinePerRefill() {
        var limiter = ChatRateLimiter(burst: 5, window: .seconds(10), now: start)
        let burst = (0..<8).filter { _ in limiter.allow(at: start) }.count
        let tooSoon = limiter.allow(at: start + .milliseconds(1_900))
        let refilled = limiter.allow(at: start + .milliseconds(2_001))
        let again = limiter.allow(at: start + .milliseconds(2_002))
        #expect(burst == 5)
        #expect(!tooSoon, "a token takes 2 s to come back")
        #expect(refilled && !again)
    }

    @Test func aReserveStaysForOthersAndAGivenBackTokenCountsAgain() {
        var limiter = ChatRateLimiter(burst: 4, now: start)
        let keepingTwo = (0..<4).filter { _ in limiter.allow(at: start, keeping: 2) }.count
        let third = limiter.allow(at: start)
        limiter.giveBack()
        let left = (0..<4).filter { _ in limiter.allow(at: start) }.count
        #expect(keepingTwo == 2 && third)
        #expect(left == 2, "the one left and the one given back")
    }

    @Test func aQuietSendersBucketFillsAgainAndCanBeForgotten() {
        var limiter = ChatRateLimiter(burst: 3, window: .seconds(3), now: start)
        _ = limiter.allow(at: start)
        #expect(!limiter.isFull(at: start + .milliseconds(500)))
        #expect(limiter.isFull(at: start + .seconds(1)))
        #expect(ChatRateLimiter(burst: 0, now: start).burst == 1, "a burst below one is one")
    }
}
