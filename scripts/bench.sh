#!/usr/bin/env bash
# Builds release binaries and runs the fan-out benchmark with the machine's own limits alongside
# (udp-fanout-limit and tcp-fanout-limit from ../shared/tools, when there). Extra arguments go to
# `avbench fanout` (e.g. --mode tcp --viewers 500,1000 --seconds 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product avserver
swift build -c release --product avbench
limits=()
for tool in udp-fanout-limit tcp-fanout-limit; do
  source=../shared/tools/$tool.c
  if [ -f "$source" ]; then
    cc -O2 -pthread -o ".build/$tool" "$source"
    case $tool in
      udp-fanout-limit) limits+=(--fanout-limit ".build/$tool") ;;
      tcp-fanout-limit) limits+=(--tcp-limit ".build/$tool") ;;
    esac
  fi
done
ulimit -n 65536 2>/dev/null || true
.build/release/avbench fanout "${limits[@]}" "$@"
