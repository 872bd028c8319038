#!/usr/bin/env bash
# TCP fan-out of one unit beside nginx-rtmp and the machine's TCP limit, in one run, interleaved
# and twice (these machines are shared and noisy: only ratios from one run hold). Each server gets
# a ~1 Mbit/s A/V stream (the unit: VP8 + Opus from avbench; nginx-rtmp: H.264 900 kbit/s + AAC
# 64 kbit/s from ../shared/tools/peers), its viewers read every 20 ms, server CPU from /proc; the
# unit with each of THREADS event loops and each of AUDIO_OFFSETS (ms from a video frame to the
# audio packet of its 20 ms step: 0 sends it just before the frame, 1 just after, the worst case
# for a write a frame).
#   scripts/bench-tcp-peers.sh [VIEWERS [SECONDS [TCP_BATCH_MS [THREADS [AUDIO_OFFSETS]]]]]   (default 500,1000,2000 10 40 1,2 0,1)
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${1:-500,1000,2000}
seconds=${2:-10}
batch=${3:-40}
threads=${4:-1,2}
offsets=${5:-0,1}
peers=../shared/tools/peers
[ -d "$peers" ] || { echo "needs $peers (rtmpload.c, nginx.conf, make_flv.sh)" >&2; exit 1; }
scripts/install-deps.sh --bench
swift build -c release --product avserver
swift build -c release --product avbench
work=$PWD/.build/peers
mkdir -p "$work/nginx/logs"
cc -O2 -Wall -o "$work/rtmpload" "$peers/rtmpload.c" -lm
cc -O2 -pthread -o .build/tcp-fanout-limit ../shared/tools/tcp-fanout-limit.c
[ -s "$work/stream60.flv" ] || PEERS_WORK=$work sh "$peers/make_flv.sh" >/dev/null
sed "s#/tmp/peers#$work#g" "$peers/nginx.conf" > "$work/nginx.conf"
ulimit -n 65536 2>/dev/null || true

nginx_run() {  # N -> "cpu_per_gbit worst_share pass"
  local n=$1
  nginx -p "$work/nginx" -c "$work/nginx.conf" 2>/dev/null &
  local master=$!
  local worker=""
  for _ in $(seq 50); do worker=$(pgrep -P "$master" | head -1) && [ -n "$worker" ] && break; sleep 0.1; done
  "$work/rtmpload" --port 1935 --viewers "$n" --flv "$work/stream60.flv" --window "$seconds" --batch-ms 20 \
    --server-pids "$master,$worker" --json "$work/nginx-$n.json" >/dev/null 2>&1 || true
  kill "$master" 2>/dev/null; wait "$master" 2>/dev/null || true
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.3f %.2f%% %s" % (r["server_cpu_s_per_gbit_stat"], 100*r["ratio_min"], r["pass"]))' "$work/nginx-$n.json"
}

printf '%s\n' "TCP fan-out, ${seconds} s windows, reads every 20 ms; the unit writes at each video frame or with the audio packet due just after it, at most ${batch} ms after a packet"
printf '%-6s %-8s %-8s %-7s %-16s %-11s %-18s %-16s %-12s %-11s %-16s %-9s\n' round viewers threads audio "unit cpu-s/Gbit" "unit worst" "unit p99/max ms" "nginx cpu-s/Gbit" "nginx worst" "unit/nginx" "limit cpu-s/Gbit" "unit/limit"
for round in 1 2; do
  for n in ${counts//,/ }; do
    read -r ncpu nworst npass <<<"$(nginx_run "$n")"
    for t in ${threads//,/ }; do
      for offset in ${offsets//,/ }; do
        line=$(.build/release/avbench fanout --mode tcp --viewers "$n" --seconds "$seconds" --tcp-batch-ms "$batch" --threads "$t" \
          --audio-offset-ms "$offset" --tcp-limit .build/tcp-fanout-limit | grep -E '^ *[0-9]+ ' | tail -1)
        read -r _ unit _ worst _ _ p99 _ latest _ limit ratio_limit _ _ <<<"$line"
        ratio=$(python3 -c "print('%.2f' % ($unit / $ncpu))" 2>/dev/null || echo -)
        printf '%-6s %-8s %-8s %-7s %-16s %-11s %-18s %-16s %-12s %-11s %-16s %-9s\n' "$round" "$n" "$t" "+$offset ms" "$unit" "$worst" "$p99 / $latest" "$ncpu" "$nworst" "$ratio" "$limit" "$ratio_limit"
      done
    done
  done
done
