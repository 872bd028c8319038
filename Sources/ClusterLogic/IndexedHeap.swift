/// A binary min-heap of distinct elements, each with a key that can change: insert, update,
/// remove and the minimum in O(log n), found by element through a position table. The CSM keeps
/// units ordered by load in these, so a join costs the same with a thousand units as with three.
package struct IndexedHeap<Element: Hashable & Sendable, Key: Comparable & Sendable>: Sendable {
    private var nodes: [(element: Element, key: Key)] = []
    private var positions: [Element: Int] = [:]

    package var count: Int { nodes.count }
    package var isEmpty: Bool { nodes.isEmpty }
    package var min: Element? { nodes.first?.element }

    package func contains(_ element: Element) -> Bool { positions[element] != nil }
    package func key(of element: Element) -> Key? { positions[element].map { nodes[$0].key } }

    /// The smallest element other than `excluded`: the minimum, or the smaller of its children.
    package func min(excluding excluded: Element) -> Element? {
        guard let first = nodes.first else { return nil }
        guard first.element == excluded else { return first.element }
        let children = [1, 2].filter { $0 < nodes.count }
        return children.min { nodes[$0].key < nodes[$1].key }.map { nodes[$0].element }
    }

    /// Inserts `element`, or gives it `key` if it is there.
    package mutating func set(_ element: Element, key: Key) {
        if let index = positions[element] {
            let old = nodes[index].key
            nodes[index].key = key
            if key < old { siftUp(index) } else { siftDown(index) }
        } else {
            nodes.append((element, key))
            positions[element] = nodes.count - 1
            siftUp(nodes.count - 1)
        }
    }

    package mutating func remove(_ element: Element) {
        guard let index = positions.removeValue(forKey: element) else { return }
        let last = nodes.removeLast()
        guard index < nodes.count else { return }
        nodes[index] = last
        positions[last.element] = index
        siftUp(index)
        siftDown(positions[last.element]!)
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        while index > 0 {
            let parent = (index - 1) / 2
            guard nodes[index].key < nodes[parent].key else { return }
            swapAt(index, parent)
            index = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        while true {
            let left = 2 * index + 1, right = left + 1
            var smallest = index
            if left < nodes.count, nodes[left].key < nodes[smallest].key { smallest = left }
            if right < nodes.count, nodes[right].key < nodes[smallest].key { smallest = right }
            guard smallest != index else { return }
            swapAt(index, smallest)
            index = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        nodes.swapAt(a, b)
        positions[nodes[a].element] = a
        positions[nodes[b].element] = b
    }
}
