import Testing
import Wire

@testable import ClusterLogic

/// A stream key's publisher at a unit: its channel opens rooted there, comes back to it, and is
/// refused where it would make a second root, when revoked, or when the unit has no room.
@Suite struct PublisherPlacementTests {
    let start = ClusterStateTests.start

    @Test func aKeysChannelOpensAtTheUnitThatTookThePublisherAndResumesThere() throws {
        var state = ClusterStateTests.state(units: [1, 2])
        let key = StreamKey(title: "Live from OBS", issuedAtMilliseconds: 1)
        // Unit 2, although both are as loaded: the publisher connected there.
        let (channel, root) = try state.openForPublisher(key, publisher: "RTMP publisher", at: 2, now: start).get()
        #expect(root.unit == 2)
        let record = try #require(state.channels[channel])
        #expect(record.videoCodec == .h264 && record.streamKey == key.id && record.title == "Live from OBS")
        #expect(record.info.videoCodec == .h264 && record.info.streamKey == key.id, "what the root reports, so a backup learns it")
        #expect(state.drainActions().contains { if case .command(2, .assignGroup(root.group, channel, nil, _)) = $0 { true } else { false } })

        // The same key again at the same unit: the same channel.
        let again = try state.openForPublisher(key, publisher: "RTMP publisher", at: 2, now: start + .seconds(5)).get()
        #expect(again.0 == channel && again.1 == root && state.channels.count == 1)
        // At another unit: refused, with the unit to go to; no second root.
        guard case .failure(let elsewhere) = state.openForPublisher(key, publisher: "RTMP publisher", at: 1, now: start) else {
            Issue.record("a second root for one key")
            return
        }
        #expect(elsewhere.message.contains("unit 2") && state.channels.count == 1)
    }

    @Test func aRevokedKeyOrAFullUnitOpensNothing() {
        var state = ClusterStateTests.state(units: [1], groups: 1)
        let revoked = StreamKey(title: "old", issuedAtMilliseconds: 1)
        state.revokedStreamKeys.insert(revoked.id)
        guard case .failure(let error) = state.openForPublisher(revoked, publisher: "p", at: 1, now: start) else {
            Issue.record("a revoked key opened a channel")
            return
        }
        #expect(error.code == .notAllowed && state.channels.isEmpty)
        _ = state.open(title: "takes the one group", now: start)
        guard case .failure(let full) = state.openForPublisher(StreamKey(title: "new", issuedAtMilliseconds: 1), publisher: "p", at: 1, now: start) else {
            Issue.record("a channel without a group")
            return
        }
        #expect(full.code == .noRoom && state.channels.count == 1)
    }
}
