import Client
import Testing

@testable import Server

/// Attack 1 of docs/SECURITY.md's second round: limits decided by the route, not the spelling;
/// a cap on live channels per client network; a trusted proxy's word about the client.
@Suite struct RouteLimitTests {
    /// Opens with every spelling the router takes for the open route, from one address, until
    /// refused; the figure is how many got through.
    static func opensUntilRefused(port: Int, from source: String, spellings: [(String, String)], limit: Int = 60) async throws -> (opened: Int, refusal: RawHTTP.Answer?) {
        var opened = 0
        for index in 0..<limit {
            let (path, contentType) = spellings[index % spellings.count]
            let body = contentType == "application/json" ? RawHTTP.openBody : "title=x&broadcasterName=y"
            let answer = try await RawHTTP.send(port: port, from: source, "POST", path, contentType: contentType, body: body)
            if answer.status == 429 { return (opened, answer) }
            #expect(answer.status == 200 || answer.status == 201, "\(path): \(answer.text.prefix(300))")
            opened += 1
        }
        return (opened, nil)
    }

    @Test func everySpellingOfOpenAndJoinIsLimitedOnTheCSM() async throws {
        let csm = try await RunningCSM.start { $0.rateLimits = RateLimits() }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let spellings = ["/api/channels/", "//api//channels", "/api/channels", "/api//channels/"].map { ($0, "application/json") }
        let opening = ContinuousClock.now
        let (opened, refusal) = try await Self.opensUntilRefused(port: csm.ports.http, from: "127.0.0.1", spellings: spellings)
        print("opens from one address through four spellings before 429: \(opened) (burst \(RateLimits().openBurst))")
        let refilledOpens = Int((ContinuousClock.now - opening) / .seconds(60) * RateLimits().opensPerMinute)
        #expect((RateLimits().openBurst...RateLimits().openBurst + refilledOpens).contains(opened) && refusal?.text.contains("Retry-After") == true)
        // Joins through "…/join/": limited too (the burst is 50, then 10 a second).
        let joining = ContinuousClock.now
        var joined = 0
        for _ in 0..<200 {
            let answer = try await RawHTTP.send(port: csm.ports.http, from: "127.0.0.3", "POST", "/api/channels/1/join/")
            if answer.status == 429 { break }
            joined += 1
        }
        print("joins from one address through …/join/ before 429: \(joined)")
        let refilledJoins = Int((ContinuousClock.now - joining) / .seconds(1) * RateLimits().joinsPerSecond) + 1
        #expect((RateLimits().joinBurst...RateLimits().joinBurst + refilledJoins).contains(joined), "the burst, and what refilled meanwhile")
        // An honest broadcaster from another address opens at once.
        #expect([200, 201].contains(try await RawHTTP.send(port: csm.ports.http, from: "127.0.0.2", "POST", "/api/channels", body: RawHTTP.openBody).status))
        try await units.shutdown()
        await csm.stop()
    }

    @Test func oneClientNetworkHoldsAtMostItsLiveChannels() async throws {
        let csm = try await RunningCSM.start { $0.settings.liveChannelsPerClient = ClusterSettingsDefaults.liveChannelsPerClient }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let cap = ClusterSettingsDefaults.liveChannelsPerClient
        var statuses: [Int] = []
        for _ in 0..<(cap + 3) {
            statuses.append(try await RawHTTP.send(port: csm.ports.http, from: "127.0.0.1", "POST", "/api/channels", body: RawHTTP.openBody).status)
        }
        print("live channels one address opened of \(cap + 3) asked: \(statuses.count { $0 == 201 || $0 == 200 }) (cap \(cap))")
        #expect(statuses.prefix(cap).allSatisfy { $0 == 200 || $0 == 201 } && statuses.dropFirst(cap).allSatisfy { $0 == 429 })
        #expect([200, 201].contains(try await RawHTTP.send(port: csm.ports.http, from: "127.0.0.2", "POST", "/api/channels", body: RawHTTP.openBody).status))
        // The admin API is not capped.
        #expect(try await csm.http.openChannel().channel.rawValue > 0)
        try await units.shutdown()
        await csm.stop()
    }

    @Test func thePortalFormIsLimitedAndTheCSMCountsThePortalsClientsApart() async throws {
        let csm = try await RunningCSM.start { $0.settings.liveChannelsPerClient = 3 }
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let web = try await RunningWeb.start(csm: csm)
        // The form and the API share the open limit, whatever the spelling.
        let spellings = [("/channels", "application/x-www-form-urlencoded"), ("/channels/", "application/x-www-form-urlencoded"), ("//api/channels/", "application/json")]
        let limited = try await RunningWeb.start(csm: csm) { $0.rateLimits.openBurst = 2 }
        let (opened, refusal) = try await Self.opensUntilRefused(port: limited.port, from: "127.0.0.4", spellings: spellings)
        print("opens through the portal's form and API from one address before 429: \(opened) (burst 2)")
        #expect(opened == 2 && refusal != nil)
        // Through the portal, the CSM caps each client network, not the portal's address.
        var fromOne: [Int] = []
        for _ in 0..<5 { fromOne.append(try await RawHTTP.send(port: web.port, from: "127.0.0.5", "POST", "/api/channels", body: RawHTTP.openBody).status) }
        #expect(fromOne == [201, 201, 201, 429, 429] || fromOne == [200, 200, 200, 429, 429], "\(fromOne)")
        #expect([200, 201].contains(try await RawHTTP.send(port: web.port, from: "127.0.0.6", "POST", "/api/channels", body: RawHTTP.openBody).status))
        await limited.stop()
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    @Test func behindATrustedProxyEachForwardedClientHasItsOwnLimit() async throws {
        let csm = try await RunningCSM.start()
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let proxied = try await RunningWeb.start(csm: csm) {
            $0.rateLimits.openBurst = 1
            $0.networks = ClientNetworks(trustedProxies: [CIDR("127.0.0.7")!])
        }
        func open(from source: String, forwardedFor: String) async throws -> Int {
            let status = try await RawHTTP.send(port: proxied.port, from: source, "POST", "/api/channels", headers: ["X-Forwarded-For: \(forwardedFor)"], body: RawHTTP.openBody).status
            return status == 200 ? 201 : status
        }
        // From the proxy: one bucket per forwarded client; a client's own X-Forwarded-For (left of the proxy's entry) proves nothing.
        #expect(try await open(from: "127.0.0.7", forwardedFor: "203.0.113.1") == 201)
        #expect(try await open(from: "127.0.0.7", forwardedFor: "198.51.100.9, 203.0.113.1") == 429)
        #expect(try await open(from: "127.0.0.7", forwardedFor: "203.0.113.2") == 201)
        // IPv6 clients count by their /64.
        #expect(try await open(from: "127.0.0.7", forwardedFor: "2001:db8:1:2::1") == 201)
        #expect(try await open(from: "127.0.0.7", forwardedFor: "2001:db8:1:2:ffff::9") == 429)
        // Not from the proxy: the header is ignored, the peer counts.
        #expect(try await open(from: "127.0.0.8", forwardedFor: "203.0.113.3") == 201)
        #expect(try await open(from: "127.0.0.8", forwardedFor: "203.0.113.4") == 429)
        await proxied.stop()
        try await units.shutdown()
        await csm.stop()
    }
}

import ClusterLogic
import Wire

enum ClusterSettingsDefaults {
    static let liveChannelsPerClient = ClusterSettings().liveChannelsPerClient
}

/// Attack 11 of the second round: the portal's form takes posts from its own pages only.
@Suite struct PortalFormOriginTests {
    @Test func aCrossSitePostIsRefusedAndTheSitesOwnIsTaken() async throws {
        let csm = try await RunningCSM.start()
        let units = try await UnitHarness { $0.csmAddresses = ["127.0.0.1:\(csm.ports.unit)"] }
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let web = try await RunningWeb.start(csm: csm)
        let form = "application/x-www-form-urlencoded"
        func post(_ headers: [String]) async throws -> Int {
            try await RawHTTP.send(port: web.port, "POST", "/channels", headers: headers, contentType: form, body: "title=x&broadcasterName=y").status
        }
        #expect(try await post(["Origin: https://evil.example"]) == 403)
        #expect(try await post(["Referer: https://evil.example/page"]) == 403)
        #expect(try await post(["Origin: http://x"]) == 201, "the Host the request went to (x, in RawHTTP)")
        #expect(try await post([]) == 201, "no browser's cross-site post: curl")
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }
}
