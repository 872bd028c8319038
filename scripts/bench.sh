#!/usr/bin/env bash
# Builds release binaries and runs the fan-out benchmark with the machine's raw UDP limit
# alongside. Extra arguments go to `avbench fanout` (e.g. --viewers 100,1000 --seconds 3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product avserver
swift build -c release --product avbench
limit_source=../shared/tools/udp-fanout-limit.c
limit=()
if [ -f "$limit_source" ]; then
  cc -O2 -pthread -o .build/udp-fanout-limit "$limit_source"
  limit=(--fanout-limit .build/udp-fanout-limit)
fi
ulimit -n 65536 2>/dev/null || true
.build/release/avbench fanout "${limit[@]}" "$@"
