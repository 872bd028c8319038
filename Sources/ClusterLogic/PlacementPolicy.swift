import Wire

/// How placement weighs a unit: the load it orders units by (the least-loaded first, ties to
/// the lowest id, so placement is predictable). `PlacementIndex` keeps units ordered by it; a
/// join takes the lowest open group of the channel on the first unit, an expansion the first free
/// group of the first unit with one.
package protocol PlacementPolicy: Sendable {
    /// A unit's load from its viewers (reported and promised) and the traffic it sends.
    func load(viewers: Int, bytesPerSecond: UInt64) -> Double
}

extension PlacementPolicy {
    package func load(of unit: UnitRecord, at now: ContinuousClock.Instant) -> Double {
        load(viewers: unit.viewers(at: now), bytesPerSecond: unit.load.bytesPerSecond)
    }

    /// The least-loaded of `candidates`, by a scan (what the index answers without one).
    package func choose(_ candidates: some Sequence<UnitRecord>, at now: ContinuousClock.Instant) -> UnitRecord? {
        candidates.min { a, b in
            let (loadA, loadB) = (load(of: a, at: now), load(of: b, at: now))
            return loadA != loadB ? loadA < loadB : a.id < b.id
        }
    }
}

/// The cluster's rule: viewers and traffic, one Mbit/s weighing like one viewer.
package struct LeastLoadedPlacement: PlacementPolicy {
    package init() {}

    package func load(viewers: Int, bytesPerSecond: UInt64) -> Double {
        Double(viewers) + Double(bytesPerSecond) / 125_000
    }
}
