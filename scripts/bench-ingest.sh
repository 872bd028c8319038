#!/usr/bin/env bash
# RTMP ingest of one unit beside nginx-rtmp, in one run, interleaved: a 1080p H.264 + AAC stream
# (pre-encoded once, sent by ffmpeg -re -c copy as OBS sends) into a real `avserver unit`, its CPU
# for the channel (AAC made Opus included) and the delay it adds to each frame; the same stream
# into nginx-rtmp, its CPU. Usage: scripts/bench-ingest.sh [SECONDS [RUNS [BITRATE]]]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
runs=${2:-2}
bitrate=${3:-4000k}
peers=../shared/tools/peers
[ -d "$peers" ] || { echo "needs $peers (nginx.conf)" >&2; exit 1; }
scripts/install-deps.sh --bench
swift build -c release --product avserver
swift build -c release --product avbench
work=$PWD/.build/peers
mkdir -p "$work/nginx/logs"
sed "s#/tmp/peers#$work#g" "$peers/nginx.conf" > "$work/nginx.conf"
.build/release/avbench ingest --avserver .build/release/avserver --seconds "$seconds" --runs "$runs" --bitrate "$bitrate" --nginx-conf "$work/nginx.conf"
