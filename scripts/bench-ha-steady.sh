#!/usr/bin/env bash
# A CSM pair, three units, a real broadcaster and VIEWERS `viewer load` viewers for MINUTES with
# the primary alive (release binaries on loopback): any takeover in that time is a failure of the
# leases to hold under media load. Prints the roles and epochs at the end, every promotion and
# demotion, and viewer load's table.
#   scripts/bench-ha-steady.sh [MINUTES [VIEWERS]]   (default: 10 minutes, 600 viewers)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
viewers=${2:-600}
scripts/install-deps.sh
swift build -c release
bin=.build/release
state=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$state"' EXIT
limits=(--join-burst 100000 --joins-per-second 100000)
"$bin/avserver" csm --name csm-a --unit-port 7800 --http-port 7802 --peer 127.0.0.1:7810 --state-file "$state/a.json" "${limits[@]}" > "$state/a.log" 2>&1 &
pids+=($!)
"$bin/avserver" csm --name csm-b --unit-port 7810 --http-port 7812 --peer 127.0.0.1:7800 --state-file "$state/b.json" --backup "${limits[@]}" > "$state/b.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
  "$bin/avserver" unit --id "$i" --session-port $((7800 + 20 * i)) --media-port $((7801 + 20 * i)) --admin-port $((7802 + 20 * i)) --websocket-port $((7803 + 20 * i)) --rtmp-port off \
    --csm 127.0.0.1:7800 --csm 127.0.0.1:7810 --sessions-per-address 100000 --unopened-sessions 100000 --unopened-per-network 100000 > "$state/unit-$i.log" 2>&1 &
  pids+=($!)
done
servers=http://127.0.0.1:7802,http://127.0.0.1:7812
until curl -sf -o /dev/null localhost:7802/role || curl -sf -o /dev/null localhost:7812/role; do sleep 0.2; done
"$bin/broadcaster" --server "$servers" --title steady --video test --audio test --duration $((minutes * 60 + 60)) > "$state/broadcaster.log" 2>&1 &
pids+=($!)
until curl -sf "localhost:7802/api/channels" | grep -q steady || curl -sf "localhost:7812/api/channels" | grep -q steady; do sleep 0.2; done
"$bin/viewer" load --server "$servers" --channel 1 --viewers "$viewers" --ramp 200 --duration $((minutes * 60)) \
  --json "$state/load.json" --html "$state/load.html" | tail -14
echo "roles at the end: $(curl -s localhost:7802/role) $(curl -s localhost:7812/role)"
changes=$(cat "$state/a.log" "$state/b.log" | grep -cE "csmPromoted|csmDemoted" || true)
echo "role changes in $minutes minutes (the first promotion included): $changes"
grep -hE "csmPromoted|csmDemoted" "$state/a.log" "$state/b.log" || true
[ "$changes" -eq 1 ] || { echo "FAIL: a takeover happened with the primary alive"; exit 1; }
