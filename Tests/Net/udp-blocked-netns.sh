#!/usr/bin/env bash
# Clients on paths where UDP does not get through, across real network namespaces: a cluster
# host and a client host joined by a veth pair, nftables on the cluster host dropping the
# client's UDP (as a UDP-blocking NAT or firewall would).
#   1. a broadcaster gets no bind reply, says so, and sends over its TCP session; the unit
#      receives its stream;
#   2. a viewer gets no bind reply, asks for TCP mode and keeps receiving;
#   3. a viewer whose UDP loses 10% of its packets (nftables numgen on its input) measures the
#      loss and switches to TCP.
# Needs root and network namespaces; says so and skips otherwise. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug
net=10.78.0
logs=$(mktemp -d)
# Off loopback every server needs real secrets: fresh ones for this run, shared by its processes.
AVCLUSTER_SECRET=$("$bin/avserver" keygen)
AVCLUSTER_ADMIN_TOKEN=$("$bin/avserver" keygen)
export AVCLUSTER_SECRET AVCLUSTER_ADMIN_TOKEN
pids=()

if [ "$(id -u)" -ne 0 ] || ! ip netns add avn-check 2>/dev/null; then
  echo "SKIP: the UDP-blocking namespace tests need root and network namespaces (run them as root)"
  exit 0
fi
ip netns del avn-check
for ns in srv cli; do ip netns del "avn-$ns" 2>/dev/null || true; done  # left by an aborted run

cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in srv cli; do ip netns del "avn-$ns" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for log in "$logs"/*.log; do echo "--- $log"; tail -8 "$log"; done
  exit 1
}
source Tests/lib/wait-for.sh
run() {  # namespace, log name, command...
  local ns=$1 name=$2
  shift 2
  ip netns exec "avn-$ns" "$@" > "$logs/$name.log" 2>&1 &
  pids+=($!)
  disown $!
}

ip netns add avn-srv
ip netns add avn-cli
ip link add v-srv type veth peer name v-cli
ip link set v-srv netns avn-srv
ip link set v-cli netns avn-cli
for side in srv:1 cli:2; do
  ns=${side%%:*}
  ip -n "avn-$ns" link set lo up
  ip -n "avn-$ns" addr add "$net.${side##*:}/24" dev "v-$ns"
  ip -n "avn-$ns" link set "v-$ns" up
done
ip netns exec avn-srv nft add table inet blocks
ip netns exec avn-srv nft add chain inet blocks input '{ type filter hook input priority 0; }'
ip netns exec avn-srv nft add rule inet blocks input ip saddr "$net.2" meta l4proto udp drop

run srv csm "$bin/avserver" csm --bind 0.0.0.0
"$bin/avserver" keygen --unit 1 > "$logs/unit-1.key"  # the unit's own credential, not the cluster key
run srv unit env -u AVCLUSTER_SECRET "$bin/avserver" unit --id 1 --bind 0.0.0.0 --host "$net.1" --csm 127.0.0.1:7000 --secret-file "$logs/unit-1.key"
units() {
  ip netns exec avn-cli curl -sf --max-time 1 -H "Authorization: Bearer $AVCLUSTER_ADMIN_TOKEN" "http://$net.1:7080/admin/units" \
    | grep -q '"state":"active"'
}
wait_for 20 "the unit never joined the CSM" units
packets_in() {
  ip netns exec avn-srv curl -sf --max-time 1 http://127.0.0.1:7102/metrics | awk '/^avcluster_unit_packets_in_total/ { print $2 }'
}

echo "1. a broadcaster whose UDP is blocked sends over TCP"
ip netns exec avn-cli "$bin/broadcaster" --server "http://$net.1:7080" --title blocked --video test --size 160x120 \
  --audio test --duration 6 --bind-timeout 1 < /dev/null > "$logs/broadcaster.log" 2>&1 || fail "the broadcaster failed"
grep -q "sending over the TCP session" "$logs/broadcaster.log" || fail "the broadcaster did not say it fell back to TCP"
grep -q "over TCP" "$logs/broadcaster.log" || fail "the broadcaster did not send over TCP"
received=$(packets_in)
# 5 s after the fall-back: about 250 audio packets and 125 video frames.
[ "${received:-0}" -ge 300 ] || fail "the unit received only ${received:-0} packets over TCP"
echo "   the unit received $received packets over the broadcaster's TCP session"

# A channel from the cluster host itself (its UDP is fine), for the viewers.
run srv broadcaster-local "$bin/broadcaster" --server http://127.0.0.1:7080 --title local --video test --size 160x120 \
  --audio test --duration 60
wait_for 10 "the local broadcaster did not go live" grep -q "over UDP" "$logs/broadcaster-local.log"
channel=$(sed -n 's/^channel \([0-9]*\) is live.*/\1/p' "$logs/broadcaster-local.log")
audio_packets() { sed -n 's/.*: \([0-9]*\) audio and.*/\1/p' "$1"; }

echo "2. a viewer whose UDP is blocked asks for TCP and keeps receiving"
ip netns exec avn-cli "$bin/viewer" watch "$channel" --server "http://$net.1:7080" --mute --bind-timeout 1 --duration 6 \
  < /dev/null > "$logs/viewer-blocked.log" 2>&1 || fail "the blocked viewer failed"
grep -q "switched to TCP: no UDP bind reply" "$logs/viewer-blocked.log" || fail "the blocked viewer did not switch to TCP"
received=$(audio_packets "$logs/viewer-blocked.log")
[ "${received:-0}" -ge 230 ] || fail "the blocked viewer received only ${received:-0} audio packets in 6 s"
echo "   $(grep "switched to TCP" "$logs/viewer-blocked.log" | head -1)"
echo "   it received $received audio packets in 6 s"

echo "3. a viewer losing 10% of its UDP switches to TCP"
ip netns exec avn-srv nft flush chain inet blocks input
ip netns exec avn-cli nft add table inet loss
ip netns exec avn-cli nft add chain inet loss input '{ type filter hook input priority 0; }'
ip netns exec avn-cli nft add rule inet loss input meta l4proto udp numgen random mod 100 '<' 10 drop
ip netns exec avn-cli "$bin/viewer" watch "$channel" --server "http://$net.1:7080" --mute --loss-window 3 \
  --loss-threshold 5 --duration 9 < /dev/null > "$logs/viewer-lossy.log" 2>&1 || fail "the lossy viewer failed"
grep -q "over UDP" "$logs/viewer-lossy.log" || fail "the lossy viewer did not start on UDP"
grep -q "switched to TCP: UDP loss" "$logs/viewer-lossy.log" || fail "the lossy viewer did not switch to TCP"
received=$(audio_packets "$logs/viewer-lossy.log")
[ "${received:-0}" -ge 380 ] || fail "the lossy viewer received only ${received:-0} audio packets in 9 s"
echo "   $(grep "switched to TCP" "$logs/viewer-lossy.log" | head -1)"
echo "   it received $received audio packets in 9 s"
echo "UDP-blocked: 3 passed, 0 failed"
