import Foundation
import Logging
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

/// The portal's storage layer, the same checks against both back ends.
@Suite struct PortalStoreTests {
    static func exercise(_ store: PortalStore) async throws {
        // Numbers of their own, so runs against a shared PostgreSQL server do not meet.
        let number = ChannelID(UInt32.random(in: 1_000_000..<4_000_000_000))
        let started: UInt64 = 1_795_000_000_000
        try await store.channelOpened(ChannelHistory(
            channel: number, title: "Cooking 'n' <stuff>", broadcasterName: "ann", startedAtMilliseconds: started, endedAtMilliseconds: nil,
            peakViewers: 0, totalViewers: 0))
        // Seen again by the mirror: not a second row.
        try await store.channelOpened(ChannelHistory(
            channel: number, title: "Cooking 'n' <stuff>", broadcasterName: "ann", startedAtMilliseconds: started, endedAtMilliseconds: nil,
            peakViewers: 3, totalViewers: 0))
        for _ in 0..<5 { try await store.viewerJoined(number) }
        try await store.viewersNow(number, 4)
        try await store.viewersNow(number, 2)
        var record = try #require(try await store.channel(number))
        #expect(record.title == "Cooking 'n' <stuff>" && record.broadcasterName == "ann" && record.startedAtMilliseconds == started)
        #expect(record.totalViewers == 5 && record.peakViewers == 4 && record.endedAtMilliseconds == nil)
        #expect(try await store.channels(limit: 50).contains { $0.channel == number && $0.endedAtMilliseconds == nil })

        try await store.channelEnded(number, atMilliseconds: started + 60_000)
        record = try #require(try await store.channel(number))
        #expect(record.endedAtMilliseconds == started + 60_000)
        // The number opens again later: a new live row, the old one kept as history.
        try await store.channelOpened(ChannelHistory(
            channel: number, title: "Again", broadcasterName: "ann", startedAtMilliseconds: started + 120_000, endedAtMilliseconds: nil,
            peakViewers: 0, totalViewers: 0))
        #expect(try await store.channel(number)?.title == "Again")

        // Stream keys: kept by id and title (never the key), revoked once, newest first; an id
        // past 2^63 keeps its bits.
        let keyIDs: [UInt64] = [UInt64.random(in: 1...(1 << 53)), UInt64.max - UInt64.random(in: 0..<1000)]
        for (index, id) in keyIDs.enumerated() {
            try await store.streamKeyMade(StreamKeyRecord(id: id, title: "OBS \(index)", record: index == 1, madeAtMilliseconds: started + UInt64(index)))
        }
        try await store.streamKeyMade(StreamKeyRecord(id: keyIDs[0], title: "again", record: false, madeAtMilliseconds: started))
        try await store.streamKeyRevoked(keyIDs[1], atMilliseconds: started + 5)
        try await store.streamKeyRevoked(keyIDs[1], atMilliseconds: started + 9)
        let keys = try await store.streamKeys(limit: 1000).filter { keyIDs.contains($0.id) }
        #expect(keys.map(\.id) == keyIDs.reversed(), "newest first, one row each")
        #expect(keys.first?.revokedAtMilliseconds == started + 5 && keys.first?.record == true && keys.last?.title == "OBS 0")
        #expect(keys.last?.revokedAtMilliseconds == nil)

        // In the past: a shared server's newest entry tells a web server what to ask the CSM for.
        let time = UInt64.random(in: 1_500_000_000_000..<1_600_000_000_000)
        try await store.appendLog([
            ClusterLogEntry(unit: 1, timeMilliseconds: time, kind: "channelOpened", channel: number, group: 2, details: "opened"),
            ClusterLogEntry(unit: nil, timeMilliseconds: time + 1, kind: "promoted", channel: nil, group: nil, details: "ünïcode ✓"),
        ])
        let newest = try await store.log(limit: 500)
        #expect(newest.contains { $0.timeMilliseconds == time + 1 && $0.details == "ünïcode ✓" && $0.unit == nil })
        #expect(newest.contains { $0.timeMilliseconds == time && $0.channel == number && $0.group == 2 && $0.unit == 1 })
        #expect((try await store.lastLogTime() ?? 0) >= time + 1)

        // Retention: by size (the newest kept), then by age.
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        try await store.appendLog((0..<150).map {
            ClusterLogEntry(unit: 1, timeMilliseconds: now - 150 + UInt64($0), kind: "k", channel: number, group: nil, details: "recent \($0)")
        })
        try await store.pruneLog(LogRetention(maxEntries: 100), nowMilliseconds: now)
        // Only this run's lines are counted: another test may write to a shared server meanwhile.
        let kept = try await store.log(limit: 500)
        let ours = kept.filter { $0.channel == number && $0.details.hasPrefix("recent ") }
        #expect(ours.count <= 100 && ours.contains { $0.details == "recent 149" } && !ours.contains { $0.details == "recent 0" })
        #expect(!kept.contains { $0.timeMilliseconds == time + 1 })
        try await store.appendLog([ClusterLogEntry(unit: 1, timeMilliseconds: now - 40 * 24 * 3600 * 1000, kind: "k", channel: nil, group: nil, details: "old")])
        try await store.pruneLog(LogRetention(), nowMilliseconds: now)
        #expect(!(try await store.log(limit: 500)).contains { $0.details == "old" })
    }

    @Test func sqlite() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("portal-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await SQLitePortalStore.open(path: path, logger: Logger(label: "test"))
        try await Self.exercise(store)
        await store.close()
        // Opening the file again runs no migration twice and keeps the data.
        let again = try await SQLitePortalStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await again.channels(limit: 10).count == 2)
        await again.close()
    }

    @Test(.enabled(if: RunningWeb.postgresURL != nil, "AVCLUSTER_TEST_POSTGRES_URL is not set: run make test, which starts scripts/test-postgres.sh"))
    func postgres() async throws {
        let url = try #require(RunningWeb.postgresURL)
        // Two web servers starting together migrate once (an advisory lock).
        async let first = PostgresPortalStore.open(url: url, logger: Logger(label: "test"))
        async let second = PostgresPortalStore.open(url: url, logger: Logger(label: "test"))
        let (a, b) = try await (first, second)
        try await Self.exercise(a)
        try await Self.exercise(b)
        await a.close()
        await b.close()
    }

    @Test func aBadPostgresURLSaysWhatToGive() async {
        await #expect {
            _ = try await PostgresPortalStore.open(url: "mysql://x", logger: Logger(label: "test"))
        } throws: { "\($0)".contains("postgres://USER") }
    }
}
