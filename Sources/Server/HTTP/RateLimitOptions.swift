import ArgumentParser

/// The rate-limit flags of `avserver csm` and `avserver web`.
struct RateLimitOptions: ParsableArguments {
    @Option(help: "Channels one client address may open at once; then --opens-per-minute.")
    var openBurst = RateLimits().openBurst
    @Option(help: "Opens per minute one client address gets back after its burst.")
    var opensPerMinute = RateLimits().opensPerMinute
    @Option(help: "Joins one client address may make at once; then --joins-per-second.")
    var joinBurst = RateLimits().joinBurst
    @Option(help: "Joins per second one client address gets back after its burst.")
    var joinsPerSecond = RateLimits().joinsPerSecond

    var limits: RateLimits {
        RateLimits(openBurst: openBurst, opensPerMinute: opensPerMinute, joinBurst: joinBurst, joinsPerSecond: joinsPerSecond)
    }
}
