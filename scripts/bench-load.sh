#!/usr/bin/env bash
# `viewer load` at scale: a CSM and two units (300 groups of 10 each) as real release processes,
# an audio-only channel from a real broadcaster, and VIEWERS emulated viewers in one `viewer load`
# process on this machine. Prints the load report; writes JSON and HTML reports to OUT.
#   scripts/bench-load.sh [VIEWERS [TCP_SHARE [SECONDS [OUT]]]]
# AUDIO_FRAME_MS (20) sets the broadcaster's Opus frame length: 60 sends a third of the packets.
# When ../shared/tools/udp-fanout-limit.c is there, the machine's raw UDP limit is printed first.
set -euo pipefail
cd "$(dirname "$0")/.."
viewers=${1:-5000}
tcp_share=${2:-0}
seconds=${3:-30}
out=${4:-.build/bench-load}
for product in avserver broadcaster viewer; do swift build -c release --product "$product" > /dev/null; done
bin=.build/release
mkdir -p "$out"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
pkill -x avserver 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"

# The machine's raw limit first, on an idle machine: one C thread sending 160-byte datagrams to
# VIEWERS sockets with sendmmsg, one draining them. The run below needs VIEWERS x (1000 / frame ms).
limit_source=../shared/tools/udp-fanout-limit.c
if [ -f "$limit_source" ]; then
  cc -O2 -pthread -o .build/udp-fanout-limit "$limit_source"
  limit=$(.build/udp-fanout-limit "$viewers" 3 160 1024 1 | sed -n 's/^sent \([0-9]*\) datagrams.*/\1/p')
  needed=$((viewers * 1000 / ${AUDIO_FRAME_MS:-20}))
  echo "raw limit here: $limit datagrams/s to $viewers sockets from one full core; this run needs $needed/s ($((100 * needed / limit))% of it)"
fi

# A saturated machine delays heartbeats: a longer failure timeout keeps busy units in the cluster.
"$bin/avserver" csm --unit-port 7500 --http-port 7580 --failure-timeout-milliseconds 5000 --join-burst 1000000 --joins-per-second 1000000 > "$out/csm.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  "$bin/avserver" unit --id "$i" --groups 300 --capacity 10 --sessions-per-address 100000 --unopened-sessions 100000 --unopened-per-network 100000 --csm 127.0.0.1:7500 --session-port $((7600 + 10 * i)) \
    --media-port $((7601 + 10 * i)) --admin-port $((7602 + 10 * i)) --websocket-port $((7603 + 10 * i)) --rtmp-port off > "$out/unit-$i.log" 2>&1 &
  pids+=($!)
done
until curl -sf -H "Authorization: Bearer avcluster-admin" http://127.0.0.1:7580/admin/units | grep -o '"active"' | wc -l | grep -qx 2; do sleep 0.2; done
"$bin/broadcaster" --server http://127.0.0.1:7580 --title load --video none --audio test \
  --audio-frame-ms "${AUDIO_FRAME_MS:-20}" < /dev/null > "$out/broadcaster.log" 2>&1 &
pids+=($!)
until grep -q "over UDP" "$out/broadcaster.log" 2>/dev/null; do sleep 0.2; done
channel=$(sed -n 's/^channel \([0-9]*\) is live.*/\1/p' "$out/broadcaster.log")
"$bin/viewer" load --server http://127.0.0.1:7580 --channel "$channel" --viewers "$viewers" --tcp-share "$tcp_share" \
  --ramp "${RAMP:-100}" --bind-timeout 5 --duration "$seconds" --json "$out/load-report.json" --html "$out/load-report.html"
