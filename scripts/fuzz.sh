#!/usr/bin/env bash
# Builds the libFuzzer target over the Wire decoders and runs it.
#   scripts/fuzz.sh [RUNS] [extra libFuzzer flags...]   (default: one million runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}
shift || true
export AVCLUSTER_FUZZ=1
swift build --scratch-path .build-fuzz -c release --product WireFuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
mkdir -p Fuzz/corpus
.build-fuzz/release/WireFuzz Fuzz/corpus -runs="$runs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 "$@"
