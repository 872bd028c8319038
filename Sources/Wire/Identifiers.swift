/// One live broadcast, unique in the cluster.
public typealias ChannelID = TypedID<ChannelIDKind>
/// A group slot inside one streaming unit (the paper's group number, from 1).
public typealias GroupID = TypedID<GroupIDKind>
/// One streaming unit of the cluster.
public typealias UnitID = TypedID<UnitIDKind>
/// One client's TCP session with a unit.
public typealias SessionID = TypedID<SessionIDKind>

public enum ChannelIDKind: IDKind { public typealias RawValue = UInt32 }
public enum GroupIDKind: IDKind { public typealias RawValue = UInt16 }
public enum UnitIDKind: IDKind { public typealias RawValue = UInt16 }
public enum SessionIDKind: IDKind { public typealias RawValue = UInt64 }
