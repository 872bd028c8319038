import Foundation
import Logging
import Testing
import Wire

@testable import ClusterLogic
@testable import Server

@Suite struct SQLiteStoreTests {
    @Test func theLogIsFilteredPagedAndSurvivesReopening() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("avcluster-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        var entries: [ClusterLogEntry] = []
        for index in 0..<30 {
            let kind = index % 2 == 0 ? "sessionOpened" : "sessionClosed"
            let unit = UnitID(UInt16(index % 3 + 1))
            let channel = ChannelID(UInt32(index % 5 + 1))
            entries.append(ClusterLogEntry(unit: unit, timeMilliseconds: UInt64(1000 + index), kind: kind, channel: channel, group: 2, details: "line \(index)"))
        }
        // Appends from many tasks at once all land.
        let all = entries
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: 30, by: 3) { group.addTask { try await store.append(Array(all[chunk..<chunk + 3])) } }
            try await group.waitForAll()
        }
        #expect(try await store.entries(matching: LogFilter(limit: 1000)).count == 30)
        let unitTwo = try await store.entries(matching: LogFilter(unit: 2, kind: "sessionOpened"))
        #expect(unitTwo.count == 5 && unitTwo.allSatisfy { $0.unit == 2 && $0.kind == "sessionOpened" })
        let page = try await store.entries(matching: LogFilter(sinceMilliseconds: 1010, limit: 5, offset: 5))
        #expect(page.count == 5 && page.allSatisfy { $0.timeMilliseconds >= 1010 })
        try await store.close()

        let reopened = try await SQLiteStore.open(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.entries(matching: LogFilter(channel: 1)).count == 6)
        try await reopened.close()
    }

    @Test func theLogKeepsABoundedHistoryBySizeAndAge() async throws {
        let store = try await SQLiteStore.open(path: nil, logger: Logger(label: "test"))
        let now: UInt64 = 1_800_000_000_000
        try await store.append((0..<500).map {
            ClusterLogEntry(unit: 1, timeMilliseconds: now - 500 + UInt64($0), kind: "k", channel: nil, group: nil, details: "\($0)")
        })
        try await store.append([ClusterLogEntry(unit: 1, timeMilliseconds: now - 31 * 24 * 3600 * 1000, kind: "k", channel: nil, group: nil, details: "old")])
        try await store.prune(LogRetention(maxEntries: 200), nowMilliseconds: now)
        let kept = try await store.entries(matching: LogFilter(limit: 1000))
        #expect(kept.count == 199 && kept.first?.details == "499" && !kept.contains { $0.details == "old" })
        try await store.close()
    }
}
