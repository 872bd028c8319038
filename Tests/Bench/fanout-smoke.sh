#!/usr/bin/env bash
# `avbench fanout` end to end, small: a real unit process, 20 viewers over UDP and then over TCP
# (with audio just before each video frame, then just after it, so that each frame's write waits
# for its audio), two seconds of the synthetic stream. Every viewer must get at least 99% of it, and the UDP run
# must print its latency floor. Figures and timings (stalls, delay) are not checked (debug build,
# a shared machine): the benchmark's own path is, so that docs/PERFORMANCE.md's commands work.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
passed=0
for run in udp:0 tcp:0 tcp:1; do
  mode=${run%:*}
  offset=${run#*:}
  "$bin/avbench" fanout --avserver "$bin/avserver" --mode "$mode" --audio-offset-ms "$offset" --viewers 20 --seconds 2 --port 7640 > "$out" 2>&1 ||
    fail "avbench fanout --mode $mode --audio-offset-ms $offset exited with $?"
  row=$(grep -E "^ +20 " "$out") || fail "$mode: no row for 20 viewers"
  # Columns: viewers, unit cpu-s/Gbit, delivered, worst viewer, ...
  echo "$row" | awk '{ exit !($4 + 0 >= 99) }' || fail "$mode: a viewer got less than 99% of the stream"
  if [ "$mode" = udp ]; then
    # The row ends with the floor's p50 / p99 and the unit's p99 above it: numbers, not "nan".
    echo "$row" | grep -qE "[0-9]+\.[0-9] / [0-9]+\.[0-9] +-?[0-9]+\.[0-9]$" || fail "udp: no latency floor in '$row'"
  fi
  echo "   $mode, audio +$offset ms: $(echo "$row" | tr -s ' ')"
  passed=$((passed + 1))
done
echo "fan-out benchmark: $passed passed, 0 failed"
