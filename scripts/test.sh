#!/usr/bin/env bash
# `make test`: every test on a fresh machine. Installs what the tests need, starts a throwaway
# PostgreSQL server on loopback for the portal's database tests (stopped again at the end), runs
# the Swift Testing suites, then the model check of the failover protocol and the
# network-namespace tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
swift build --build-tests
AVCLUSTER_TEST_POSTGRES_URL=$(scripts/test-postgres.sh start)
export AVCLUSTER_TEST_POSTGRES_URL
trap 'scripts/test-postgres.sh stop' EXIT
swift test --skip-build --skip 'AllCommandTests|RelayTreeTests|HostileNetworkTests|UnitLagPolicyTests|UnitReportTests|FailoverTests|BroadcasterTests|ViewerProcessTests|DashboardBrowserTests|BrowserPagesTests|DeviceTests'
# A whole cluster as a real process (`avserver all`, which would starve the others), a CSM pair's
# lease timing (a lease of one second, which a starved process lets run out: FailoverTests,
# HostileNetworkTests' pair), a dozen units placing 66 joins (starved, they took 18 s and the CSM
# filled 8 units of 12), a slow reader catching up while UDP viewers must get every packet, a
# fake CSM's ten-second waits, real client processes streaming in real time, a real browser, and the real binaries on real devices
# in a VM: one suite at a time, so that no other test starves them of CPU on a small
# machine. One process each: `--no-parallel` alone still let Swift Testing run two of these
# suites at once (the VM took a core while a browser test started).
for suite in AllCommandTests RelayTreeTests HostileNetworkTests UnitLagPolicyTests UnitReportTests FailoverTests BroadcasterTests ViewerProcessTests DashboardBrowserTests BrowserPagesTests DeviceTests; do
  swift test --skip-build --no-parallel --filter "$suite"
done
Tests/HA/model-check.sh
Tests/HA/failover-netns.sh
Tests/Net/udp-blocked-netns.sh
