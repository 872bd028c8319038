import Testing
import Wire

@testable import Server

@Suite struct ChannelEndingsTests {
    @Test func aChannelEndsAfterTwoSnapshotsOfOnePrimaryWithoutIt() {
        var endings = ChannelEndings()
        #expect(endings.ended(afterSnapshotAt: 1, of: [1, 2]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 1, of: [1]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 1, of: [1]) == [2])
        // Back in between: the count starts again.
        #expect(endings.ended(afterSnapshotAt: 1, of: [3]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 1, of: [1, 3]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 1, of: [3]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 1, of: [3]) == [1])
    }

    @Test func aTakeoverEndsNothing() {
        var endings = ChannelEndings()
        _ = endings.ended(afterSnapshotAt: 1, of: [1, 2])
        // The new primary's first snapshots may lack a channel whose root has not reported yet;
        // each new epoch starts the count again.
        #expect(endings.ended(afterSnapshotAt: 2, of: [1]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 3, of: []).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 3, of: [1, 2]).isEmpty)
        #expect(endings.ended(afterSnapshotAt: 3, of: [1, 2]).isEmpty)
    }
}
