#!/usr/bin/env bash
# CSM high availability across real network hosts: network namespaces joined by a bridge, a
# primary and a backup CSM, three units and a client, all real avserver processes. The service
# address (a virtual IP) moves with the primary through samples/vip-hook.sh.
#   1. kill -9 the primary: the backup takes over, the virtual IP moves, joins work again, and a
#      viewer streaming the whole time misses no packet;
#   2. cut only the link between the CSMs: still exactly one primary;
#   3. cut the primary off from the units: the backup takes over; the old primary demotes.
# Needs root and network namespaces; says so and skips otherwise. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug
net=10.77.0
vip=$net.100
logs=$(mktemp -d)
# Off loopback every server needs real secrets: fresh ones for this run, shared by its processes.
AVCLUSTER_SECRET=$("$bin/avserver" keygen)
AVCLUSTER_ADMIN_TOKEN=$("$bin/avserver" keygen)
export AVCLUSTER_SECRET AVCLUSTER_ADMIN_TOKEN
pids=()
namespaces=(sw a b u1 u2 u3 c)

if [ "$(id -u)" -ne 0 ] || ! ip netns add avc-check 2>/dev/null; then
  echo "SKIP: the HA namespace tests need root and network namespaces (run them as root)"
  exit 0
fi
ip netns del avc-check
for ns in "${namespaces[@]}"; do ip netns del "avc-$ns" 2>/dev/null || true; done  # left by an aborted run

cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "avc-$ns" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$logs"/*.log; do echo "--- $log"; tail -5 "$log"; done
  for ns in a b; do ip -n "avc-$ns" -brief addr show "v-$ns" || true; done
  echo "roles: a=$(role $net.1) b=$(role $net.2) vip=$(role $vip)"; ip netns exec avc-c curl -sv --max-time 1 "http://$vip:7080/role" 2>&1 | tail -3
  exit 1
}

# The network: a bridge in its own namespace, one host namespace per role.
ip netns add avc-sw
ip -n avc-sw link add br0 type bridge
ip -n avc-sw link set br0 up
host() {  # name, address
  ip netns add "avc-$1"
  ip link add "v-$1" type veth peer name "b-$1"
  ip link set "v-$1" netns "avc-$1"
  ip link set "b-$1" netns avc-sw
  ip -n avc-sw link set "b-$1" master br0 up
  ip -n "avc-$1" link set lo up
  ip -n "avc-$1" addr add "$net.$2/24" dev "v-$1"
  ip -n "avc-$1" link set "v-$1" up
}
host a 1; host b 2; host u1 11; host u2 12; host u3 13; host c 50

run() {  # namespace, log name, command...
  local ns=$1 name=$2
  shift 2
  ip netns exec "avc-$ns" "$@" > "$logs/$name.log" 2>&1 &
  pids+=($!)
  # Servers are killed on purpose: keep bash from reporting it (the probe is waited for instead).
  [ "$name" = probe ] || disown $!
}
csm() {  # namespace, name, peer, extra flags
  run "$1" "$2" env AVCLUSTER_VIP="$vip/24" AVCLUSTER_VIP_DEV="v-$1" "$bin/avserver" csm --bind 0.0.0.0 --name "$2" \
    --peer "$3:7000" --hook samples/vip-hook.sh "${@:4}"
  echo $! > "$logs/$2.pid"
}
role() {  # address -> HTTP status of /role (200 primary, 503 backup)
  ip netns exec avc-c curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$1:7080/role" || true
}
is_role() { test "$(role "$1")" = "$2"; }
source Tests/lib/wait-for.sh
cut() {  # drop traffic between two addresses in both directions, on the bridge
  ip netns exec avc-sw nft add rule bridge cuts forward ip saddr "$1" ip daddr "$2" drop
  ip netns exec avc-sw nft add rule bridge cuts forward ip saddr "$2" ip daddr "$1" drop
}
heal() { ip netns exec avc-sw nft flush chain bridge cuts forward; }
ip netns exec avc-sw nft add table bridge cuts
ip netns exec avc-sw nft add chain bridge cuts forward '{ type filter hook forward priority 0; }'

csm a csm-a "$net.2"
csm b csm-b "$net.1" --backup
for i in 1 2 3; do
  run "u$i" "unit-$i" "$bin/avserver" unit --id "$i" --bind 0.0.0.0 --host "$net.1$i" --csm "$net.1:7000" --csm "$net.2:7000"
done
wait_for 20 "the primary never answered on the virtual IP" is_role $vip 200
wait_for 10 "the backup never answered as backup" is_role $net.2 503

echo "1. kill -9 the primary while a viewer watches"
run c probe "$bin/avbench" probe --api "http://$vip:7080" --seconds 12 --channel-file "$logs/channel"
probe=$!
wait_for 10 "the probe never started streaming" test -s "$logs/channel"
sleep 2
kill -9 "$(cat "$logs/csm-a.pid")"
killed=$SECONDS
channel=$(cat "$logs/channel")
join() { ip netns exec avc-c curl -sf -o /dev/null --max-time 1 -X POST "http://$vip:7080/api/channels/$channel/join"; }
wait_for 15 "joins did not work again through the virtual IP" join
echo "   joins work again through $vip about $((SECONDS - killed)) s after the kill"
ip -n avc-b addr show v-b | grep "$vip" > /dev/null || fail "the virtual IP did not move to the backup"
wait "$probe" || fail "the viewer missed packets during the failover: $(cat "$logs/probe.log")"
echo "   $(tail -1 "$logs/probe.log")"

echo "   the old primary returns and becomes the backup"
csm a csm-a "$net.2"
wait_for 15 "the returning primary did not become the backup" is_role $net.1 503
sleep 2
test "$(role $net.1)" = 503 || fail "the returning primary took the primary role back"
ip -n avc-a addr show v-a | grep "$vip" > /dev/null && fail "the returning primary holds the virtual IP"
test "$(role $vip)" = 200 || fail "the virtual IP does not reach the primary"

echo "2. cut only the link between the CSMs"
cut "$net.1" "$net.2"
sleep 6
test "$(role $net.2)" = 200 || fail "the primary lost its role over a cut CSM link"
test "$(role $net.1)" = 503 || fail "two primaries after cutting the CSM link"
heal
sleep 1

echo "3. cut the primary (csm-b) off from the units"
for i in 1 2 3; do cut "$net.2" "$net.1$i"; done
wait_for 15 "the backup did not take over from a primary cut off from the units" is_role $net.1 200
wait_for 5 "the old primary did not demote" is_role $net.2 503
heal
sleep 2
test "$(role $net.2)" = 503 || fail "the old primary took the role back when the cut healed"
test "$(role $vip)" = 200 || fail "the virtual IP does not reach the new primary"
echo "HA: 3 passed, 0 failed"
