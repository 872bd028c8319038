#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each: every Wire decoder (WireFuzz), then the real state
# machines fed decoded messages (StateFuzz: the CSM's cluster state, failover, a unit's sessions,
# the portal's store).
#   scripts/fuzz.sh [RUNS [TARGETS]]   (default: one million runs each; TARGETS: "wire cluster failover unit portal")
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000000}
targets=${2:-wire cluster failover unit portal}
export AVCLUSTER_FUZZ=1
flags=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
swift build --scratch-path .build-fuzz -c release --product WireFuzz "${flags[@]}"
# The state machines are internal to the Server library: build it for testing to reach them.
swift build --scratch-path .build-fuzz -c release --product StateFuzz "${flags[@]}" -Xswiftc -enable-testing
for target in $targets; do
  mkdir -p "Fuzz/corpus/$target"
  echo "== $target"
  if [ "$target" = wire ]; then
    .build-fuzz/release/WireFuzz "Fuzz/corpus/$target" -runs="$runs" -max_len=4096 -rss_limit_mb=2048 -artifact_prefix=Fuzz/ -print_final_stats=1
  else
    # The portal's store runs on SQLiteNIO's thread pool, whose queue grows once and stays: not a leak.
    leaks=1
    [ "$target" = portal ] && leaks=0
    AVCLUSTER_FUZZ_TARGET=$target .build-fuzz/release/StateFuzz "Fuzz/corpus/$target" -runs="$runs" -max_len=512 \
      -rss_limit_mb=2048 -artifact_prefix=Fuzz/ -detect_leaks=$leaks -print_final_stats=1
  fi
done
