import Wire

/// What the cluster state asks its service to do: a command to a unit, or a line in the log.
package enum ClusterAction: Equatable, Sendable {
    case command(UnitID, UnitAction)
    case log(ClusterLogEntry)
}
