import Wire

/// The CSM's unit records by id. Every change through it is noted, so the placement index
/// (`PlacementIndex`) refreshes exactly the units that changed before the next decision.
package struct UnitTable: Sendable {
    package private(set) var records: [UnitID: UnitRecord] = [:]
    /// Units changed since the index last looked.
    package private(set) var changed: Set<UnitID> = []

    package subscript(id: UnitID) -> UnitRecord? {
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

    /// Changes a record without noting it: for a change the caller tells the index itself
    /// (`PlacementIndex.promise`), so the unit is not looked at whole again.
    package mutating func modifyUnnoted(_ id: UnitID, _ body: (inout UnitRecord) -> Void) {
        guard records[id] != nil else { return }
        body(&records[id]!)
    }

    package var values: Dictionary<UnitID, UnitRecord>.Values { records.values }
    package var keys: Dictionary<UnitID, UnitRecord>.Keys { records.keys }
    package var count: Int { records.count }
    package var isEmpty: Bool { records.isEmpty }

    @discardableResult
    package mutating func removeValue(forKey id: UnitID) -> UnitRecord? {
        changed.insert(id)
        return records.removeValue(forKey: id)
    }

    /// Whether `id` changed since the index last looked.
    package func isChanged(_ id: UnitID) -> Bool { changed.contains(id) }

    /// Whether nothing changed since the index last looked (what it holds of group membership is exact).
    package var unchanged: Bool { changed.isEmpty }

    /// Every unit counts as changed: the index is rebuilt whole at its next refresh.
    package mutating func markAllChanged() { changed.formUnion(records.keys) }

    /// The units changed since the last call.
    package mutating func takeChanged() -> Set<UnitID> {
        defer { changed.removeAll(keepingCapacity: true) }
        return changed
    }
}
