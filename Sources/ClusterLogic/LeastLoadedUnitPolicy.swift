import Wire

/// Node selection: the least-loaded unit. Load counts viewers (reported and promised) and
/// traffic, one Mbit/s weighing like one viewer; ties go to the lowest unit id, so placement is
/// predictable.
package enum LeastLoadedUnitPolicy {
    package static func load(of unit: UnitRecord, at now: ContinuousClock.Instant) -> Double {
        Double(unit.viewers(at: now)) + Double(unit.load.bytesPerSecond) / 125_000
    }

    /// The least-loaded of `candidates`.
    package static func choose(_ candidates: some Sequence<UnitRecord>, at now: ContinuousClock.Instant) -> UnitRecord? {
        candidates.min { a, b in
            let (loadA, loadB) = (load(of: a, at: now), load(of: b, at: now))
            return loadA != loadB ? loadA < loadB : a.id < b.id
        }
    }
}
