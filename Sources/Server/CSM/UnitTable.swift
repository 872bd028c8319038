import Wire

/// The CSM's unit records by id. Every change through it is noted, so the placement index
/// (`PlacementIndex`) refreshes exactly the units that changed before the next decision.
struct UnitTable: Sendable {
    private(set) var records: [UnitID: UnitRecord] = [:]
    /// Units changed since the index last looked.
    private(set) var changed: Set<UnitID> = []

    subscript(id: UnitID) -> UnitRecord? {
        get { records[id] }
        _modify {
            changed.insert(id)
            yield &records[id]
        }
        set {
            changed.insert(id)
            records[id] = newValue
        }
    }

    var values: Dictionary<UnitID, UnitRecord>.Values { records.values }
    var keys: Dictionary<UnitID, UnitRecord>.Keys { records.keys }
    var count: Int { records.count }
    var isEmpty: Bool { records.isEmpty }

    @discardableResult
    mutating func removeValue(forKey id: UnitID) -> UnitRecord? {
        changed.insert(id)
        return records.removeValue(forKey: id)
    }

    /// Whether nothing changed since the index last looked (what it holds of group membership is exact).
    var unchanged: Bool { changed.isEmpty }

    /// Every unit counts as changed: the index is rebuilt whole at its next refresh.
    mutating func markAllChanged() { changed.formUnion(records.keys) }

    /// The units changed since the last call.
    mutating func takeChanged() -> Set<UnitID> {
        defer { changed.removeAll(keepingCapacity: true) }
        return changed
    }
}
