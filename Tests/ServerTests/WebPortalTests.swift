import Client
import Foundation
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

/// The web portal in-process against a real CSM and unit, with either database.
@Suite(.serialized) struct WebPortalTests {
    static func run(postgres: String?) async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        let web = try await RunningWeb.start(csm: csm, postgres: postgres)
        let api = web.http

        // Open through the portal: the title is cleaned, the CSM places the channel.
        let opened = try await api.json(.POST, "/api/channels", body: OpenChannelRequest(title: "  Late\u{7} <night> \u{202E}show ", broadcasterName: "ann"), as: OpenChannelResponse.self)
        #expect(opened.unit.unit == 1 && !opened.ticket.isEmpty && !opened.secret.isEmpty)
        let listed = try await api.json(.GET, "/api/channels", as: [ChannelSummary].self)
        #expect(listed.map(\.title) == ["Late <night> show"])

        // Join through the portal, with a real session at the unit it names.
        let place = try await api.json(.POST, "/api/channels/\(opened.channel)/join", as: JoinChannelResponse.self)
        let viewer = try await SessionClient.connect(to: place.unit, ticket: place.ticket, peer: .viewer, name: "v")
        #expect(try await eventually { try await api.json(.GET, "/api/channels", as: [ChannelSummary].self).first?.viewers == 1 })

        // The database follows: total joins, peak viewers, and the event log mirrored from the CSM.
        let recorded = try await eventually(timeout: .seconds(20)) {
            let history = try await api.json(.GET, "/admin/channels", as: [ChannelHistory].self).first { $0.channel == opened.channel }
            // The peak is the CSM's count, which may briefly count a viewer twice while its
            // ticket's place is held and the unit already reports it.
            return history?.totalViewers == 1 && history?.peakViewers ?? 0 >= 1
        }
        let histories = try await api.json(.GET, "/admin/channels", as: [ChannelHistory].self)
        #expect(recorded, "\(histories)")
        #expect(try await eventually { try await api.json(.GET, "/admin/log?limit=50", as: [ClusterLogEntry].self).contains { $0.kind == "sessionOpened" } })

        // Pages: escaped titles and the exact command lines.
        let home = String(decoding: try await api.send(.GET, "/").body, as: UTF8.self)
        #expect(home.contains("Late &lt;night&gt; show") && !home.contains("<night>"))
        #expect(home.contains("viewer watch --server http://127.0.0.1:\(web.port) \(opened.channel)"))
        let page = String(decoding: try await api.send(.GET, "/channels/\(opened.channel)").body, as: UTF8.self)
        #expect(page.contains("broadcaster --server http://127.0.0.1:\(web.port) --channel \(opened.channel) --secret YOUR-SECRET"))
        // The browser's pages: linked, served as they are, names only.
        #expect(home.contains("href=\"/watch/\(opened.channel)\"") && home.contains("href=\"/broadcast\"") && page.contains("href=\"/watch/\(opened.channel)\""))
        let watch = try await api.send(.GET, "/watch/\(opened.channel)")
        #expect(watch.status == 200 && String(decoding: watch.body, as: UTF8.self).contains("/static/watch.js"))
        #expect(try await api.send(.GET, "/broadcast").status == 200)
        #expect(try await api.send(.GET, "/watch/nothing").status == 400)
        let script = String(decoding: try await api.send(.GET, "/static/avmedia.js").body, as: UTF8.self)
        #expect(script.contains("export function buildRTP"))
        #expect(try await api.send(.GET, "/static/..%2FPortalPages.swift").status == 404)
        #expect(try await api.send(.GET, "/static/nothing.js").status == 404)
        let form = try await api.send(.POST, "/channels", body: Array("title=From+the+form&broadcasterName=bob".utf8))
        let created = String(decoding: form.body, as: UTF8.self)
        #expect(form.status == 201 && created.contains("From the form") && created.contains("--secret "))

        // A stream key from the form: shown once with the unit's RTMP address; the portal keeps
        // its id, the dashboard's revoke reaches the CSM.
        #expect(home.contains("action=\"/stream-keys\""))
        let rtmp = try #require(units.unit.address.rtmpPort)
        var keyForm = try await api.send(.POST, "/stream-keys", body: Array("title=My+OBS+%3Cshow%3E".utf8))
        var keyPage = String(decoding: keyForm.body, as: UTF8.self)
        #expect(keyForm.status == 201 && keyPage.contains("My OBS &lt;show&gt;"), "\(keyPage)")
        // The unit's address comes with the portal's next copy of the cluster's view.
        for _ in 0..<20 where !keyPage.contains("rtmp://127.0.0.1:\(rtmp)/live") {
            try await Task.sleep(for: .milliseconds(250))
            keyForm = try await api.send(.POST, "/stream-keys", body: Array("title=My+OBS+%3Cshow%3E".utf8))
            keyPage = String(decoding: keyForm.body, as: UTF8.self)
        }
        #expect(keyPage.contains("rtmp://127.0.0.1:\(rtmp)/live"), "\(keyPage)")
        let keyText = try #require(keyPage.firstMatch(of: /id="stream-key">(avk_[A-Za-z0-9_-]+)</)?.1)
        let key = try TicketSigner(secret: UnitHarness.secret).verifier.verify(streamKey: String(keyText))
        #expect(key.title == "My OBS <show>")
        let kept = try await api.json(.GET, "/admin/stream-keys", as: [StreamKeyRecord].self)
        #expect(kept.first?.id == key.id && kept.first?.revokedAtMilliseconds == nil)
        #expect(try await api.send(.POST, "/admin/stream-keys/\(key.id)/revoke").status == 200)
        #expect(try await api.json(.GET, "/admin/stream-keys", as: [StreamKeyRecord].self).first { $0.id == key.id }?.revokedAtMilliseconds != nil)

        // Errors are JSON a person can act on; bodies are capped.
        let (badStatus, badBody) = try await api.send(.POST, "/api/channels", body: Array("{not json".utf8))
        #expect(badStatus == 400 && String(decoding: badBody, as: UTF8.self).contains("\"error\""))
        let (bigStatus, bigBody) = try await api.send(.POST, "/api/channels", body: [UInt8](repeating: 0x61, count: 40_000))
        #expect(bigStatus == 413 && String(decoding: bigBody, as: UTF8.self).contains("at most 16384"))
        let (unknown, unknownBody) = try await api.send(.POST, "/api/channels/999/join")
        #expect(unknown == 404 && String(decoding: unknownBody, as: UTF8.self).contains("not live"))
        let (wrongSecret, _) = try await api.send(.POST, "/api/channels/\(opened.channel)/close", body: Array(#"{"secret":"nope"}"#.utf8))
        #expect(wrongSecret == 403)

        // The dashboard needs the token; its stream carries the cluster's view.
        let anonymous = APIEndpoint(host: "127.0.0.1", port: web.port)
        #expect(try await anonymous.send(.GET, "/admin").status == 401)
        #expect(try await anonymous.send(.GET, "/admin?token=avcluster-admin").status == 200)
        // A link can look, never act: a state-changing call needs the header.
        #expect(try await anonymous.send(.POST, "/admin/channels/\(opened.channel)/close?token=avcluster-admin").status == 401)
        #expect(try await api.send(.GET, "/api/channels").body.count > 2, "the channel is still live")
        let openAPI = try JSONSerialization.jsonObject(with: Data(try await anonymous.send(.GET, "/openapi.json").body)) as? [String: Any]
        #expect((openAPI?["paths"] as? [String: Any])?.keys.contains("/api/channels/{channel}/join") == true)

        // Close with the secret: the channel leaves the list and its history records the end.
        let (closed, _) = try await api.send(.POST, "/api/channels/\(opened.channel)/close", body: Array(#"{"secret":"\#(opened.secret)"}"#.utf8))
        #expect(closed == 204)
        #expect(try await eventually { try await api.json(.GET, "/api/channels", as: [ChannelSummary].self).allSatisfy { $0.channel != opened.channel } })
        #expect(try await eventually {
            let rows = try await api.json(.GET, "/admin/channels", as: [ChannelHistory].self).filter { $0.channel == opened.channel }
            return rows.count == 1 && rows[0].endedAtMilliseconds != nil
        })
        try await Task.sleep(for: .milliseconds(1500))  // a refresh that began before the close does not open it again
        #expect(try await api.json(.GET, "/admin/channels", as: [ChannelHistory].self).filter { $0.channel == opened.channel }.allSatisfy { $0.endedAtMilliseconds != nil })

        await viewer.close()
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    @Test func withSQLite() async throws { try await Self.run(postgres: nil) }

    @Test(.enabled(if: RunningWeb.postgresURL != nil, "AVCLUSTER_TEST_POSTGRES_URL is not set: run make test, which starts scripts/test-postgres.sh"))
    func withPostgreSQL() async throws { try await Self.run(postgres: RunningWeb.postgresURL) }

    @Test func theDashboardStreamsTheView() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 2)
        let web = try await RunningWeb.start(csm: csm)
        let channel = try await csm.http.openChannel(title: "streamed")
        // Snapshots come every second; one soon shows the new channel.
        let stream = try await EventStreamReader.connect(port: web.port, path: "/admin/events?token=avcluster-admin")
        var snapshot = try JSONDecoder().decode(ClusterMirror.Snapshot.self, from: Data(try await stream.nextDataLine().utf8))
        for _ in 0..<5 where snapshot.view?.channels.isEmpty ?? true {
            snapshot = try JSONDecoder().decode(ClusterMirror.Snapshot.self, from: Data(try await stream.nextDataLine().utf8))
        }
        stream.close()
        #expect(snapshot.view?.units.count == 2)
        #expect(snapshot.view?.channels.first?.channel == channel.channel)

        // The dashboard's buttons, through the web server to the CSM's admin API.
        let groups = try #require(try await csm.view().channels.first?.groupCount)
        #expect(try await web.http.send(.POST, "/admin/channels/\(channel.channel)/expand").status == 200)
        #expect(try await csm.view().channels.first?.groupCount == groups + 1)
        #expect(try await web.http.send(.POST, "/admin/units/2/drain", body: Array(#"{"on":true}"#.utf8)).status == 200)
        let unitsAfterDrain = try await csm.view().units
        #expect(unitsAfterDrain.first { $0.unit == 2 }?.state == "draining", "\(unitsAfterDrain.map { "unit \($0.unit): \($0.state)" })")
        #expect(try await APIEndpoint(host: "127.0.0.1", port: web.port).send(.POST, "/admin/channels/\(channel.channel)/close").status == 401)
        #expect(try await web.http.send(.POST, "/admin/channels/\(channel.channel)/close").status == 200)
        #expect(try await csm.view().channels.isEmpty)
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }
}
