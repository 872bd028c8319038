import ClusterLogic
import Wire

/// The portal's database (paper 2.1.1): channels and the event log, behind one interface with
/// two back ends, an embedded SQLite file and a shared PostgreSQL server.
protocol PortalStore: Sendable {
    /// A channel went live; nothing when it is already recorded as live, or ended after this
    /// start (a snapshot taken before it was closed must not open it again).
    func channelOpened(_ record: ChannelHistory) async throws
    /// A channel ended (closed, or gone from the cluster).
    func channelEnded(_ channel: ChannelID, atMilliseconds: UInt64) async throws
    /// A viewer was given a place.
    func viewerJoined(_ channel: ChannelID) async throws
    /// The viewers the cluster counts now; the peak keeps the largest.
    func viewersNow(_ channel: ChannelID, _ viewers: Int) async throws
    func channel(_ channel: ChannelID) async throws -> ChannelHistory?
    /// Live channels first, newest first; at most `limit`.
    func channels(limit: Int) async throws -> [ChannelHistory]
    /// A stream key was made (through the portal's form).
    func streamKeyMade(_ key: StreamKeyRecord) async throws
    func streamKeyRevoked(_ id: UInt64, atMilliseconds: UInt64) async throws
    /// Newest first; at most `limit`.
    func streamKeys(limit: Int) async throws -> [StreamKeyRecord]
    func appendLog(_ entries: [ClusterLogEntry]) async throws
    /// The newest entries, newest first.
    func log(limit: Int) async throws -> [ClusterLogEntry]
    /// The time of the newest entry kept, to ask the CSM only for what is new.
    func lastLogTime() async throws -> UInt64?
    /// Deletes the log lines `retention` does not keep.
    func pruneLog(_ retention: LogRetention, nowMilliseconds: UInt64) async throws
    func close() async
}
