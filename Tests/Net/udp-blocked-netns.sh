#!/usr/bin/env bash
# Clients on paths where UDP does not get through, across real network namespaces: a cluster
# host and a client host joined by a veth pair, nftables on the cluster host dropping the
# client's UDP (as a UDP-blocking NAT or firewall would).
#   1. a broadcaster gets no bind reply, says so, and sends over its TCP session; the unit
#      receives its stream.
# Needs root and network namespaces; says so and skips otherwise. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug
net=10.78.0
logs=$(mktemp -d)
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
wait_for() {  # seconds, description, command...
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what"
    sleep 0.1
  done
}
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
run srv unit "$bin/avserver" unit --id 1 --bind 0.0.0.0 --host "$net.1" --csm 127.0.0.1:7000
units() { ip netns exec avn-cli curl -sf --max-time 1 "http://$net.1:7102/health" > /dev/null; }
wait_for 20 "the unit never came up" units
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
echo "UDP-blocked: 1 passed, 0 failed"
