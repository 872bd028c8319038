#!/usr/bin/env bash
# Runs `avserver all` with a broadcaster for MINUTES while viewers come and go (JOINS a minute:
# short `viewer load` runs of 20 viewers each), and prints the server's resident memory every
# minute, then its growth per minute over the second half (after warm-up).
#   scripts/soak.sh [MINUTES [JOINS_PER_MINUTE]]        (default: 30 minutes, 400 joins a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
joins=${2:-400}
for product in avserver broadcaster viewer; do swift build -c release --product "$product" > /dev/null; done
bin=.build/release
out=.build/soak
mkdir -p "$out"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$bin/avserver" all --base-port 17000 --web-port 18080 --rtmp-port 11935 > "$out/avserver.log" 2>&1 &
server=$!
pids+=($server)
until curl -sf -o /dev/null --max-time 1 http://127.0.0.1:18080/health; do sleep 0.2; done
sleep 3
"$bin/broadcaster" --server http://127.0.0.1:18080 --title soak --video none --audio test < /dev/null > "$out/broadcaster.log" 2>&1 &
pids+=($!)
until grep -q "is live" "$out/broadcaster.log" 2>/dev/null; do sleep 0.2; done
channel=$(sed -n 's/^channel \([0-9]*\) is live.*/\1/p' "$out/broadcaster.log")

rss() { awk '/VmRSS/ { print $2 }' "/proc/$server/status"; }
batch=20
pause=$(awk -v b=$batch -v j="$joins" 'BEGIN { printf "%.2f", 60 * b / j }')
end=$((SECONDS + 60 * minutes))
next_sample=$SECONDS
samples=()
sessions=0
while [ $SECONDS -lt $end ]; do
  if [ $SECONDS -ge $next_sample ]; then
    samples+=("$(rss)")
    echo "minute $(( ${#samples[@]} - 1 )): RSS $(( ${samples[-1]} / 1024 )) MB after $sessions sessions"
    next_sample=$((next_sample + 60))
  fi
  "$bin/viewer" load --server http://127.0.0.1:18080 --channel "$channel" --viewers $batch --ramp 100 --duration 1 > /dev/null 2>&1 &
  sleep "$pause"
  wait $! || true
  sessions=$((sessions + batch))
done
samples+=("$(rss)")
half=$(( ${#samples[@]} / 2 ))
first=${samples[$half]}
last=${samples[-1]}
span=$(( ${#samples[@]} - 1 - half ))
echo "RSS $((samples[0] / 1024)) MB at start, $((last / 1024)) MB at the end after $sessions sessions;" \
  "$(awk -v a="$first" -v b="$last" -v m="$span" 'BEGIN { printf "%.3f", (b - a) / 1024 / (m > 0 ? m : 1) }') MB a minute over the last $span minutes"
