import NIOCore
import Wire

/// Who may open a session on this unit (docs/SECURITY.md): connections wait their turn in the
/// pool of unopened ones, then a ticket opens one only if it is signed by the CSMs for this unit
/// and still runs, has not been used here before (relay tickets excepted, until they expire, so
/// a broken relay link can reconnect), names a group the unit has that serves the ticket's
/// channel or is free, is not for a channel that just ended here, and finds room. Refusals are
/// tallied for one line to the CSMs now and then. Pure: the time comes in, the groups come in as
/// `Place`s.
package struct SessionAdmission {
    /// What the unit can hold, for the checks and for what a refusal says; `channelTombstone`:
    /// how long a channel whose last group here was freed takes no ticket alone.
    package typealias Limits = (unit: UnitID, groupCapacity: Int, sessionLimit: Int, channelTombstone: Duration)

    /// A ticket's group as the unit has it now: the channel it serves (nil: free), its viewers.
    package typealias Place = (channel: ChannelID?, viewers: Int)

    /// How the unit is doing as a ticket arrives: draining; why it takes no viewer now ("its
    /// timers run 300 ms late"; nil: it does); the sessions open now (unopened ones not counted).
    package typealias Conditions = (draining: Bool, overload: String?, openSessions: Int)

    package let limits: Limits
    private let tickets: TicketVerifier
    /// Nonces of accepted tickets until they expire, to refuse replays.
    private var usedNonces: [UInt64: UInt64] = [:]
    /// Channels whose last group here was freed, until when (wall milliseconds) a ticket alone
    /// may not give them a group again; a CSM command that places them clears it.
    private var endedChannels: [ChannelID: UInt64] = [:]
    /// Connections that have not opened their session yet.
    package var unopened: UnopenedPool
    /// Refusals since they were last told to the CSMs.
    package var refusals: RefusalTally
    private var nextSessionNumber: UInt64 = 1

    package init(tickets: TicketVerifier, limits: Limits, unopened: UnopenedPool, now: NIODeadline) {
        self.tickets = tickets
        self.limits = limits
        self.unopened = unopened
        refusals = RefusalTally(now: now)
    }

    /// The number of a new connection's session: the unit's id in the top 16 bits, so a session
    /// number is the cluster's only once.
    package mutating func newSessionID() -> SessionID {
        defer { nextSessionNumber += 1 }
        return SessionID(UInt64(limits.unit.rawValue) << 48 | nextSessionNumber)
    }

    /// Checks `text` for a session; once it passes, its nonce is spent. `place`: the group the
    /// ticket names, nil when the unit has no such group.
    package mutating func admit(
        _ text: String, nowMilliseconds now: UInt64, conditions: Conditions, place: (GroupID) -> Place?
    ) -> Result<Ticket, ControlError> {
        let unit = limits.unit
        let ticket: Ticket
        do {
            ticket = try tickets.verify(text, at: unit, nowMilliseconds: now)
        } catch let error as WireError {
            return .failure(ControlError(error))
        } catch {
            return .failure(ControlError(.badTicket, "\(error)"))
        }
        guard ticket.role == .relay || usedNonces[ticket.nonce] == nil else {
            return .failure(ControlError(.replayedTicket, "this ticket was already used; ask the web server for a new one"))
        }
        guard let group = place(ticket.group) else {
            return .failure(ControlError(.unknownGroup, "unit \(unit) has no group \(ticket.group); ask the web server again"))
        }
        if group.channel == nil, let until = endedChannels[ticket.channel], until >= now {
            return .failure(ControlError(.unknownChannel, "channel \(ticket.channel) has ended on unit \(unit); ask the web server again"))
        }
        if let owner = group.channel, owner != ticket.channel {
            return .failure(ControlError(.notAllowed, "group \(ticket.group) serves channel \(owner), not \(ticket.channel); ask the web server again"))
        }
        if conditions.draining && group.channel == nil {
            return .failure(ControlError(.notAllowed, "unit \(unit) is draining; ask the web server again"))
        }
        if ticket.role == .viewer, let overload = conditions.overload {
            return .failure(ControlError(.noRoom, "unit \(unit) is overloaded (\(overload)); ask the web server again"))
        }
        if conditions.openSessions > limits.sessionLimit {
            return .failure(ControlError(.noRoom, "unit \(unit) is at its limit of \(limits.sessionLimit) sessions; ask the web server again"))
        }
        if ticket.role == .viewer, group.viewers >= limits.groupCapacity {
            return .failure(ControlError(.noRoom, "group \(ticket.group) is full; ask the web server again"))
        }
        usedNonces[ticket.nonce] = ticket.expiresAtMilliseconds
        return .success(ticket)
    }

    /// The channel's last group here was freed: for a while only a CSM command places it again.
    package mutating func channelEnded(_ channel: ChannelID, nowMilliseconds now: UInt64) {
        endedChannels[channel] = now + limits.channelTombstone.wholeMilliseconds
    }

    /// A CSM placed the channel here: tickets for it are welcome again.
    package mutating func channelPlaced(_ channel: ChannelID) {
        endedChannels[channel] = nil
    }

    /// Forgets the nonces and ended channels whose time is over.
    package mutating func expire(nowMilliseconds now: UInt64) {
        usedNonces = usedNonces.filter { $0.value >= now }
        endedChannels = endedChannels.filter { $0.value >= now }
    }
}
