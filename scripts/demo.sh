#!/usr/bin/env bash
# `make demo`: the whole cluster on this machine (a primary CSM, its backup and three units, on
# 127.0.0.1 with embedded defaults) and a demo channel on the air: the broadcaster's test
# pattern with a burned-in clock and a 440 Hz tone. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
for product in avserver broadcaster viewer; do swift build -c release --product "$product"; done
bin=.build/release
logs=.build/demo
mkdir -p "$logs"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$bin/avserver" all &
pids+=($!)
until curl -sf -o /dev/null --max-time 1 http://127.0.0.1:8080/health && curl -sf -o /dev/null --max-time 1 http://127.0.0.1:7080/role; do
  sleep 0.2
done

"$bin/broadcaster" --title "Demo channel" --name demo --video test --audio test < /dev/null > "$logs/broadcaster.log" 2>&1 &
pids+=($!)
until grep -q "is live" "$logs/broadcaster.log" 2>/dev/null; do sleep 0.2; done
channel=$(sed -n 's/^channel \([0-9]*\) is live.*/\1/p' "$logs/broadcaster.log")
cat <<TEXT

  The cluster is up and channel $channel is on the air (test pattern and tone; log: $logs/broadcaster.log).
  Watch it:           $bin/viewer watch $channel
  Go live yourself:   $bin/broadcaster --title "My channel" --video test --audio test
  Web portal:         http://127.0.0.1:8080/   (admin dashboard: http://127.0.0.1:8080/admin?token=avcluster-admin)
  Cluster status:     $bin/avserver admin status
  Ctrl-C stops everything.

TEXT
wait "${pids[0]}"
