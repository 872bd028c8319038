#!/usr/bin/env bash
# `make test`: every test on a fresh machine. Installs what the tests need, starts a throwaway
# PostgreSQL server on loopback for the portal's database tests (stopped again at the end), runs
# the Swift Testing suites, then the model check of the failover protocol, the
# network-namespace tests and a small run of the fan-out benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
AVCLUSTER_TEST_POSTGRES_URL=$(scripts/test-postgres.sh start)
export AVCLUSTER_TEST_POSTGRES_URL
trap 'scripts/test-postgres.sh stop' EXIT

# Runs `swift test` with ARGS, its output also in a log; when a test process traps, the reason
# is far above the end of its backtrace (a CI summary keeps the end), so it is said again last,
# with the machine's load (and the host's steal) at that moment.
swift_test() {
  local log=.build/test-output.log
  if swift test --skip-build "$@" 2>&1 | tee "$log"; then return 0; fi
  echo "--- swift test $* failed; fatal errors and crashes in its output, and the load now:" >&2
  grep -E -A 6 "Fatal error|fatal error|Crash(ed)? at|Thread [0-9]+ crashed" "$log" | head -60 >&2 || true
  top -b -n 1 -o %CPU | head -14 >&2 || true  # "st" is CPU the host took from this VM
  return 1
}

swift_test --skip 'FFmpegPublishTests|RTMPIngestTests|RTMPHostileTests|AllCommandTests|RelayTreeClusterTests|HostileNetworkTests|CompromisedKeyTests|UnitLagPolicyTests|UnitReportTests|FailoverTests|BroadcasterTests|ViewerProcessTests|DashboardBrowserTests|BrowserPagesTests|DeviceTests'
# A whole cluster as a real process (`avserver all`, which would starve the others), a CSM pair's
# lease timing (a lease of one second, which a starved process lets run out: FailoverTests,
# HostileNetworkTests' pair), a dozen units placing 66 joins (starved, they took 18 s and the CSM
# filled 8 units of 12), a slow reader catching up while UDP viewers must get every packet, a
# fake CSM's ten-second waits, real client processes streaming in real time (ffmpeg publishing over RTMP among them), a real browser, and the real binaries on real devices
# in a VM: one suite at a time, so that no other test starves them of CPU on a small
# machine. One process each: `--no-parallel` alone still let Swift Testing run two of these
# suites at once (the VM took a core while a browser test started).
for suite in FFmpegPublishTests RTMPIngestTests RTMPHostileTests AllCommandTests RelayTreeClusterTests HostileNetworkTests CompromisedKeyTests UnitLagPolicyTests UnitReportTests FailoverTests BroadcasterTests ViewerProcessTests DashboardBrowserTests BrowserPagesTests DeviceTests; do
  swift_test --no-parallel --filter "$suite"
done
Tests/HA/model-check.sh
Tests/HA/failover-netns.sh
Tests/Net/udp-blocked-netns.sh
Tests/Bench/fanout-smoke.sh
