/*
 * The CSM failover protocol (docs/HA.md), as Sources/ClusterLogic/FailoverStateMachine.swift (the
 * CSMs) and Sources/Wire/UnitLease.swift (the units) do it: two CSMs, three units, lost and
 * reordered messages, crashes and restarts of CSMs (with or without the epoch on disk) and of
 * units, partitions of any link. Checked by Tests/HA/model-check.sh:
 *   safety (assertions in `monitor`): never two CSMs serving at once; a serving CSM is obeyed by
 *     a majority of the units (each of the others obeys nobody); a unit's epoch never goes down
 *     while it runs, so it never obeys a lower epoch after a higher one;
 *   liveness (ltl `primary_appears`, weak fairness): once the faults stop and the network heals,
 *     a CSM serves.
 * Time is a tick of the clock process (one heartbeat); a lease lasts LEASE ticks. Messages are
 * delivered, lost or reordered within the tick they are sent in (the clock waits for the
 * channels to drain): a lease answered later than that is, in the Swift code, counted from when it
 * was asked, which only makes the CSM's view shorter.
 */

#define N 3            /* units */
#define LEASE 3        /* ticks a lease runs */
#define MAXEPOCH 4
#ifndef FAULTS
#define FAULTS 3       /* crashes and cuts the environment may make before it stops */
#endif
#ifndef DURABLE
#define DURABLE 1      /* the epoch survives a CSM restart */
#endif

mtype = { PRIMARY, BACKUP };

/* Units: the epoch granted, its owner (CSM 1 or 2; 0 none), the lease's remaining ticks, and the
   ticks after a restart during which it grants nothing. */
byte uEpoch[N]; byte uOwner[N]; byte uLease[N]; byte uGuard[N];
byte uSeen[N];                 /* the highest epoch this run of the unit obeyed */

/* CSMs. */
bool alive[2];
mtype role[2];
byte high[2];                  /* highest epoch seen or held (on disk when DURABLE) */
byte own[2];                   /* epoch held or campaigned at */
bool campaigning[2];
bool outbid[2];                /* a unit refused the campaign's epoch, being at it or past it */
byte campAge[2];
byte paused[2];
byte belief[6];                /* belief[c*N+u]: ticks left of unit u's lease, as CSM c counts it */
byte peerAge[2];               /* ticks since the peer was heard, up to 2: never or long ago */
mtype peerRole[2];
byte noPrimaryAge[2];          /* ticks since this backup found no primary, up to LEASE; NOAGE: it has one */
#define NOAGE (LEASE + 1)
bool ticked[2];

/* The network. */
bool cut[6];                   /* cut[c*N+u] */
bool cutPeers;
byte faults = 0;
bool quiet = false;

chan toUnit[N] = [4] of { byte, byte };            /* csm, epoch */
chan toCSM[2] = [6] of { byte, byte, bool, byte };  /* unit, unit epoch, granted, epoch asked */

inline majority(c, result) {
  byte k = 0; byte held = 0;
  do
  :: k < N -> if :: belief[c*N+k] > 0 -> held++ :: else -> skip fi; k++
  :: else -> break
  od;
  result = (held * 2 > N);
  k = 0; held = 0
}

#define serving(c) (alive[c] && role[c] == PRIMARY && \
  ((belief[c*N]>0) + (belief[c*N+1]>0) + (belief[c*N+2]>0)) * 2 > N)
#define anyBelief(c) (belief[c*N] > 0 || belief[c*N+1] > 0 || belief[c*N+2] > 0)
#define obeysOrNobody(c, u) ((uOwner[u] == c + 1 && uEpoch[u] == own[c]) || uOwner[u] == 0)

inline clearBeliefs(c) {
  belief[c*N] = 0; belief[c*N+1] = 0; belief[c*N+2] = 0
}

inline askAll(c) {
  byte v = 0;
  do
  :: v < N ->
     if
     :: !cut[c*N+v] && nfull(toUnit[v]) -> toUnit[v]!c,own[c]
     :: faults < FAULTS -> faults++             /* lost */
     :: cut[c*N+v] || full(toUnit[v]) -> skip
     fi;
     v++
  :: else -> break
  od;
  v = 0
}

inline stepDown(c) {
  role[c] = BACKUP; clearBeliefs(c); campaigning[c] = false; outbid[c] = false; paused[c] = LEASE
}

/* FailoverStateMachine.tick, once per heartbeat, with the peer's heartbeat heard first. */
inline csmTick(c) {
  /* The peer's heartbeat, where the link between the CSMs is up. */
  if
  :: alive[1-c] && !cutPeers ->
     peerAge[c] = 0; peerRole[c] = role[1-c];
     if :: high[1-c] > high[c] -> high[c] = high[1-c] :: else -> skip fi;
     if
     :: role[c] == PRIMARY && role[1-c] == PRIMARY && (own[1-c] > own[c] || (own[1-c] == own[c] && 1-c < c)) ->
        stepDown(c)
     :: else -> skip
     fi
  :: else -> skip
  fi;
  if
  :: role[c] == PRIMARY ->
     majority(c, ok);
     if :: ok -> askAll(c) :: else -> stepDown(c) fi
  :: else ->
     if
     :: peerAge[c] <= 1 && peerRole[c] == PRIMARY -> campaigning[c] = false; noPrimaryAge[c] = NOAGE
     :: else ->
        if :: paused[c] == 0 && noPrimaryAge[c] == NOAGE -> noPrimaryAge[c] = 0 :: else -> skip fi;
        if
        :: paused[c] > 0 || (peerAge[c] <= 1 && 1-c < c && noPrimaryAge[c] < LEASE) -> skip  /* paused, or deferring */
        :: else ->
           if
           :: campaigning[c] && (outbid[c] || high[c] > own[c]) && !anyBelief(c) && high[c] < MAXEPOCH ->
              outbid[c] = false; campAge[c] = 0; own[c] = high[c] + 1; askAll(c)   /* outbid: again, above it */
           :: campaigning[c] && (outbid[c] || high[c] > own[c]) && !anyBelief(c) && high[c] >= MAXEPOCH -> skip
           :: campaigning[c] && campAge[c] > LEASE + 1 && anyBelief(c) ->  /* split: wait, the higher name longer */
              campaigning[c] = false; clearBeliefs(c);
              paused[c] = (c == 1 -> 2 * LEASE + 1 : LEASE + 1)
           :: campaigning[c] && !((outbid[c] || high[c] > own[c]) && !anyBelief(c)) && (campAge[c] <= LEASE + 1 || !anyBelief(c)) -> askAll(c)
           :: !campaigning[c] && high[c] < MAXEPOCH ->
              campaigning[c] = true; outbid[c] = false; campAge[c] = 0; clearBeliefs(c); own[c] = high[c] + 1; askAll(c)
           :: !campaigning[c] && high[c] >= MAXEPOCH -> skip    /* out of model epochs */
           fi
        fi
     fi
  fi
}

/* FailoverStateMachine.leaseAnswered. */
inline answered(c, u, ue, granted, asked) {
  if :: ue > high[c] -> high[c] = ue :: else -> skip fi;
  if :: !granted && asked == own[c] && campaigning[c] && ue >= own[c] -> outbid[c] = true :: else -> skip fi;
  if
  :: granted && asked == own[c] && (role[c] == PRIMARY || campaigning[c]) ->
     belief[c*N+u] = LEASE;
     if
     :: role[c] == BACKUP ->
        majority(c, ok);
        if
        :: ok -> role[c] = PRIMARY; campaigning[c] = false; noPrimaryAge[c] = NOAGE;
                 if :: own[c] > high[c] -> high[c] = own[c] :: else -> skip fi
        :: else -> skip
        fi
     :: else -> skip
     fi
  :: else -> skip
  fi
}

proctype CSM(byte c) {
  byte u, ue, asked; bool granted, ok;
  do
  :: atomic { alive[c] && !ticked[c] -> ticked[c] = true; csmTick(c); ok = false }
  :: atomic { toCSM[c]?u,ue,granted,asked ->
       if :: alive[c] && !cut[c*N+u] -> answered(c, u, ue, granted, asked) :: else -> skip fi;
       u = 0; ue = 0; granted = false; asked = 0; ok = false }
  od
}

/* UnitLease.request, and its answer. */
proctype Unit(byte u) {
  byte c, e; bool granted;
  do
  :: atomic {
       /* Any waiting request, not only the oldest: messages are reordered. */
       if :: toUnit[u]??0,e -> c = 0 :: toUnit[u]??1,e -> c = 1 fi;
       if
       :: uGuard[u] > 0 || e < uEpoch[u] -> granted = false
       :: uGuard[u] == 0 && e >= uEpoch[u] && uOwner[u] != 0 && uOwner[u] != c + 1 && (e == uEpoch[u] || uLease[u] > 0) -> granted = false
       :: else -> granted = true; uEpoch[u] = e; uOwner[u] = c + 1; uLease[u] = LEASE
       fi;
       if
       :: !cut[c*N+u] && nfull(toCSM[c]) -> toCSM[c]!u,uEpoch[u],granted,e
       :: faults < FAULTS -> faults++             /* lost */
       :: cut[c*N+u] || full(toCSM[c]) -> skip
       fi;
       e = 0; c = 0; granted = false
     }
  od
}

inline restartCSM(c) {
  alive[c] = true; role[c] = BACKUP; campaigning[c] = false; outbid[c] = false; campAge[c] = 0; clearBeliefs(c);
  own[c] = 0; peerAge[c] = 2; noPrimaryAge[c] = NOAGE;
  if :: !DURABLE -> high[c] = 0 :: else -> skip fi;
  paused[c] = (c == 0 -> 0 : LEASE)          /* csm-a is started without --backup */
}

/* One tick of every clock: leases run out, ages grow. Waits for the messages of this tick. */
active proctype Clock() {
  byte i;
  do
  :: atomic {
       len(toUnit[0]) == 0 && len(toUnit[1]) == 0 && len(toUnit[2]) == 0 && len(toCSM[0]) == 0 && len(toCSM[1]) == 0 &&
       (ticked[0] || !alive[0]) && (ticked[1] || !alive[1]) ->
       i = 0;
       do
       :: i < N -> if :: uLease[i] > 0 -> uLease[i]-- :: else -> skip fi;
                   if :: uGuard[i] > 0 -> uGuard[i]-- :: else -> skip fi; i++
       :: else -> break
       od;
       i = 0;
       do
       :: i < 6 -> if :: belief[i] > 0 -> belief[i]-- :: else -> skip fi; i++
       :: else -> break
       od;
       i = 0;
       do
       :: i < 2 ->
          if :: peerAge[i] < 2 -> peerAge[i]++ :: else -> skip fi;
          if :: noPrimaryAge[i] < LEASE -> noPrimaryAge[i]++ :: else -> skip fi;
          /* A campaign's age: how long it has held some lease. */
          if
          :: campaigning[i] && anyBelief(i) && campAge[i] <= LEASE + 1 -> campAge[i]++
          :: !anyBelief(i) -> campAge[i] = 0
          :: else -> skip
          fi;
          if :: paused[i] > 0 -> paused[i]-- :: else -> skip fi;
          ticked[i] = false; i++
       :: else -> break
       od;
       i = 0
     }
  od
}

/* Crashes, restarts, cuts and (in askAll and Unit) lost messages, at most FAULTS of them; then
   everything heals and stays up. */
active proctype Environment() {
  do
  :: atomic { faults < FAULTS -> faults++;
       if
       :: alive[0] -> alive[0] = false
       :: alive[1] -> alive[1] = false
       :: !alive[0] -> restartCSM(0)
       :: !alive[1] -> restartCSM(1)
       :: uEpoch[0] = 0; uOwner[0] = 0; uLease[0] = 0; uGuard[0] = LEASE; uSeen[0] = 0
       :: cut[0] = !cut[0]
       :: cut[1] = !cut[1]
       :: cut[N+1] = !cut[N+1]
       :: cut[N+2] = !cut[N+2]
       :: cutPeers = !cutPeers
       fi }
  :: atomic { faults >= FAULTS && !quiet ->
       if :: !alive[0] -> restartCSM(0) :: else -> skip fi;
       if :: !alive[1] -> restartCSM(1) :: else -> skip fi;
       cut[0] = false; cut[1] = false; cut[2] = false; cut[3] = false; cut[4] = false; cut[5] = false;
       cutPeers = false; quiet = true }
  od
}

#ifndef LIVENESS
active proctype Monitor() {
  byte u;
  do
  :: atomic {
       assert(!(serving(0) && serving(1)));
       assert(!serving(0) || ((obeysOrNobody(0, 0) + obeysOrNobody(0, 1) + obeysOrNobody(0, 2)) * 2 > N));
       assert(!serving(1) || ((obeysOrNobody(1, 0) + obeysOrNobody(1, 1) + obeysOrNobody(1, 2)) * 2 > N));
       u = 0;
       do
       :: u < N -> assert(uOwner[u] == 0 || uEpoch[u] >= uSeen[u]);
                   if :: uOwner[u] != 0 && uEpoch[u] > uSeen[u] -> uSeen[u] = uEpoch[u] :: else -> skip fi; u++
       :: else -> break
       od;
       u = 0
     }
  od
}

#endif

init {
  byte i;
  atomic {
    i = 0;
    do :: i < 2 -> restartCSM(i); high[i] = 0; i++ :: else -> break od;
    i = 0;
    do :: i < N -> run Unit(i); i++ :: else -> break od;
    run CSM(0); run CSM(1)
  }
}

ltl primary_appears { [] (quiet -> <> (serving(0) || serving(1))) }
