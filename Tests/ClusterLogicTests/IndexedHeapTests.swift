import TestSupport
import Testing

@testable import ClusterLogic

/// The heap the placement index orders units by, against a plain dictionary under random changes.
struct IndexedHeapTests {
    @Test func insertsUpdatesAndRemovesKeepTheMinimum() {
        var random = SeededGenerator(seed: 28)  // fixed, so a failure repeats
        var heap = IndexedHeap<Int, Int>()
        var truth: [Int: Int] = [:]
        for _ in 0..<5_000 {
            let element = Int.random(in: 0..<200, using: &random)
            if Bool.random(using: &random) || truth.count < 3 {
                let key = Int.random(in: 0..<1_000, using: &random)
                heap.set(element, key: key)
                truth[element] = key
            } else {
                heap.remove(element)
                truth[element] = nil
            }
            #expect(heap.count == truth.count)
            let smallest = truth.values.min()
            #expect(heap.min.flatMap { truth[$0] } == smallest)
            if let minimum = heap.min {
                let second = truth.filter { $0.key != minimum }.values.min()
                #expect(heap.min(excluding: minimum).flatMap { truth[$0] } == second)
            }
        }
        for (element, key) in truth { #expect(heap.contains(element) && heap.key(of: element) == key) }
        #expect(!heap.contains(1_000) && heap.key(of: 1_000) == nil)
    }

    @Test func anEmptiedHeapHasNoMinimum() {
        var heap = IndexedHeap<String, Double>()
        heap.set("a", key: 1)
        heap.set("b", key: 0.5)
        #expect(heap.min == "b" && heap.min(excluding: "b") == "a")
        heap.remove("b")
        heap.remove("a")
        heap.remove("a")
        #expect(heap.isEmpty && heap.min == nil && heap.min(excluding: "a") == nil)
    }
}
