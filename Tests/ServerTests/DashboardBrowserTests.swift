import Client
import Foundation
import Testing
import Wire

@testable import Server

/// The admin dashboard in a real browser (headless Chromium through WebDriver) against a running
/// cluster: it shows the units and the channel, and selecting the channel marks its groups.
@Suite(.serialized) struct DashboardBrowserTests {
    @Test(
        .enabled(if: WebDriver.available, "chromedriver is not installed: scripts/install-deps.sh --test installs chromium and chromium-driver"),
        .timeLimit(.minutes(2)))
    func selectingAChannelMarksItsGroups() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 2, groups: 50, capacity: 2, threshold: 1)
        let web = try await RunningWeb.start(csm: csm)
        let opened = try await web.http.json(.POST, "/api/channels", body: OpenChannelRequest(title: "Night <market>", broadcasterName: "ann"), as: OpenChannelResponse.self)
        let broadcaster = try await SessionClient.connect(to: opened.unit, ticket: opened.ticket, peer: .broadcaster, name: "ann")
        var viewers: [SessionClient] = []
        for index in 0..<5 { viewers.append(try await csm.http.watch(opened.channel, udp: false, name: "v\(index)").0) }
        let other = try await web.http.json(.POST, "/api/channels", body: OpenChannelRequest(title: "other", broadcasterName: "bob"), as: OpenChannelResponse.self)
        #expect(try await eventually { try await csm.view().channels.first { $0.channel == opened.channel }?.viewers == 5 })
        let groups = try #require(try await csm.view().channels.first { $0.channel == opened.channel }?.groupCount)
        #expect(groups >= 3)

        let browser = try await WebDriver()
        try await browser.open("\(web.url)/admin?token=avcluster-admin")
        #expect(try await eventually { try await browser.script("return document.querySelectorAll('.unit').length") as? Int == 2 })
        #expect(try await eventually {
            try await browser.script("return document.querySelectorAll('#channels tr.channel').length") as? Int == 2
        })
        let title = try await browser.script("return document.querySelector('#channels tr.channel[data-channel=\"\(opened.channel)\"] td:nth-child(2)').textContent") as? String
        #expect(title == "Night <market>")
        #expect(try await browser.script("return document.querySelectorAll('.cell.blink').length") as? Int == 0)

        try await browser.click(css: "#channels tr.channel[data-channel=\"\(opened.channel)\"]")
        let marked = "return [...document.querySelectorAll('.cell.blink')].map(c => Number(c.dataset.channel))"
        #expect(try await eventually { (try await browser.script(marked) as? [Int])?.count == groups })
        let channels = try await browser.script(marked) as? [Int] ?? []
        #expect(Set(channels) == [Int(opened.channel.rawValue)], "only the selected channel's groups blink")
        #expect(try await eventually { try await browser.script("return document.querySelectorAll('.grid .cell.broadcaster').length") as? Int == 1 })
        #expect(try await eventually { try await browser.script("return document.querySelectorAll('.grid .cell.viewers').length") as? Int ?? 0 >= 2 })

        let png = try await browser.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        let path = ProcessInfo.processInfo.environment["AVCLUSTER_DASHBOARD_SCREENSHOT"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("dashboard.png").path
        try png.write(to: URL(fileURLWithPath: path))
        await browser.quit()

        for viewer in viewers { await viewer.close() }
        await broadcaster.close()
        _ = other
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }
}
