#!/usr/bin/env bash
# CSM high availability across real network hosts: network namespaces joined by a bridge, a
# primary and a backup CSM, three units and a client, all real avserver processes. The service
# address (a virtual IP) moves with the primary through samples/vip-hook.sh.
#   1. kill -9 the primary: the backup takes over, the virtual IP moves, joins work again, and a
#      viewer streaming the whole time misses no packet; the old primary returns as the backup;
#   2. cut only the link between the CSMs: nothing changes;
#   3. kill -9 the primary and restart it at once with its own flags, and both CSMs restarted with
#      --backup: a primary within 2 s each time;
#   4. twenty rounds of kill -9 and restart of whichever is primary, under a streaming viewer:
#      exactly one primary after each, no channel and no title lost, no packet missed;
#   5. a primary that crashes (SIGSEGV) gives its ports back at once: restarted on them within 1 s,
#      it answers (as the backup, or as the primary again if the units' leases still name it, as
#      in 3) and there is one primary within 3 s;
#   6. cut the primary off from the units but not from the backup or the clients: it stops
#      answering joins within a lease and a heartbeat, the backup takes over, and a client polling
#      both every 50 ms never sees both answer a join.
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
  for log in "$logs"/*.log; do echo "--- $log"; grep -hE "csmPromoted|csmDemoted|leaseGranted|started" "$log" | tail -12 || true; done
  for ns in a b; do ip -n "avc-$ns" -brief addr show "v-$ns" || true; done
  echo "roles: a=$(role $net.1) b=$(role $net.2) vip=$(role $vip)"; ip netns exec avc-c curl -sv --max-time 1 "http://$vip:7080/role" 2>&1 | tail -3
  for ip in $net.1 $net.2; do ip netns exec avc-c curl -s --max-time 1 "http://$ip:7080/role"; echo; done
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
  ip netns exec "avc-$ns" "$@" >> "$logs/$name.log" 2>&1 &
  pids+=($!)
  # Servers are killed on purpose: keep bash from reporting it (the probe is waited for instead).
  [ "$name" = probe ] || disown $!
}
csm() {  # namespace, name, peer, extra flags
  run "$1" "$2" env AVCLUSTER_VIP="$vip/24" AVCLUSTER_VIP_DEV="v-$1" "$bin/avserver" csm --bind 0.0.0.0 --name "$2" \
    --peer "$3:7000" --hook samples/vip-hook.sh --state-file "$logs/$2.json" \
    --joins-per-second 1000 --join-burst 1000 "${@:4}"
  echo $! > "$logs/$2.pid"
}
# Each CSM as it is started in this run: its namespace, name, peer and flags.
start_a() { csm a csm-a "$net.2" "$@"; }
start_b() { csm b csm-b "$net.1" --backup "$@"; }
kill_csm() {  # name [signal]: and waits until it is gone, as a service manager does
  local pid
  pid=$(cat "$logs/$1.pid")
  kill "-${2:-9}" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.01; done
}
restart_primary() {  # kill -9 whichever CSM is primary and restart it with its own flags
  case "$(primaries)" in
    csm-a) kill_csm csm-a; start_a ;;
    csm-b) kill_csm csm-b; start_b ;;
    *) fail "expected exactly one primary, found '$(primaries)'" ;;
  esac
}
primaries() {  # the CSMs answering /role as primary
  local found=""
  [ "$(role $net.1)" = 200 ] && found="$found csm-a"
  [ "$(role $net.2)" = 200 ] && found="$found csm-b"
  echo "${found# }"
}
one_primary() { case "$(primaries)" in csm-a|csm-b) return 0;; *) return 1;; esac; }
# Waits until exactly one CSM is primary, at most $1 s; sets $took to the seconds it took.
time_to_primary() {
  local start=$EPOCHREALTIME
  wait_for "$1" "no single primary within $1 s" one_primary
  took=$(seconds_since "$start")
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

start_a
start_b
for i in 1 2 3; do
  # Each unit holds its own credential, made from the cluster key, never the key itself.
  "$bin/avserver" keygen --unit "$i" > "$logs/unit-$i.key"
  run "u$i" "unit-$i" env -u AVCLUSTER_SECRET "$bin/avserver" unit --id "$i" --bind 0.0.0.0 --host "$net.1$i" --csm "$net.1:7000" --csm "$net.2:7000" \
    --secret-file "$logs/unit-$i.key"
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
start_a
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

echo "3. kill -9 the primary and restart it at once with its own flags"
for round in 1 2; do
  restart_primary
  time_to_primary 2
  echo "   a primary ($(primaries)) $took s after the primary was killed and restarted"
done
kill_csm csm-a; kill_csm csm-b; start_a --backup; start_b
time_to_primary 2
echo "   both restarted with --backup: a primary ($(primaries)) $took s later"
# csm-a back to its own flags for the rest.
if [ "$(primaries)" = csm-a ]; then kill_csm csm-a; start_a; time_to_primary 2; else kill_csm csm-a; start_a; fi
answers() { [ "$(role "$1")" = 200 ] || [ "$(role "$1")" = 503 ]; }
wait_for 5 "csm-a did not come back" answers $net.1

echo "4. twenty rounds of kill -9 and restart of the primary under a streaming viewer"
rm -f "$logs/channel"
run c probe "$bin/avbench" probe --api "http://$vip:7080" --seconds 75 --channel-file "$logs/channel"
probe=$!
wait_for 10 "the probe never started streaming" test -s "$logs/channel"
channel=$(cat "$logs/channel")
titles() { ip netns exec avc-c curl -sf --max-time 1 "http://$vip:7080/api/channels" || true; }
titled() { local list; list=$(titles); echo "$list" | grep -q "\"channel\":$channel[,}]" && echo "$list" | grep -q '"title":"probe"'; }
slowest=0
for round in $(seq 1 20); do
  restart_primary
  time_to_primary 2
  slowest=$(echo "$took $slowest" | awk '{ print ($1 > $2) ? $1 : $2 }')
  wait_for 3 "round $round: channel $channel or its title is gone: $(titles)" titled
  sleep 1
done
echo "   20 rounds: one primary after each, within $slowest s at the slowest; channel $channel kept its title"
wait "$probe" || fail "the viewer missed packets during the restarts: $(cat "$logs/probe.log")"
echo "   $(tail -1 "$logs/probe.log")"

echo "5. a primary that crashes gives its ports back at once"
victim=$(primaries)
[ "$victim" = csm-a ] && victim_ns=a victim_ip=$net.1 || victim_ns=b victim_ip=$net.2
kill_csm "$victim" SEGV
start=$EPOCHREALTIME
port_free() { ! ip netns exec "avc-$victim_ns" ss -ltn | grep -q ":7000 "; }
wait_for 1 "the crashed $victim still holds its port 1 s later" port_free
if [ "$victim" = csm-a ]; then start_a; else start_b; fi
echo "   $victim restarted on its ports $(seconds_since "$start") s after SIGSEGV"
# Its units' leases still name it, so it may win them back before the backup can (as in 3).
wait_for 5 "the restarted $victim did not answer on its HTTP port" answers "$victim_ip"
grep -q "Address already in use" "$logs/$victim.log" && fail "the restarted $victim found its ports taken"
time_to_primary 3
echo "   one primary ($(primaries)) $took s after the restart"

echo "6. cut the primary off from the units (not from the backup or the clients)"
old=$(primaries)
[ "$old" = csm-a ] && old_ip=$net.1 new_ip=$net.2 new=csm-b || old_ip=$net.2 new_ip=$net.1 new=csm-a
# Poll both CSMs' joins every 50 ms; a line per round: "old new" HTTP statuses.
poll() {
  local at
  while [ ! -e "$logs/stop-poll" ]; do
    at=$EPOCHREALTIME
    ip netns exec avc-c curl -s -o "$logs/poll-a" -w '%{http_code}' --max-time 0.5 -X POST "http://$old_ip:7080/api/channels/$channel/join" > "$logs/status-a" &
    ip netns exec avc-c curl -s -o "$logs/poll-b" -w '%{http_code}' --max-time 0.5 -X POST "http://$new_ip:7080/api/channels/$channel/join" > "$logs/status-b"
    wait
    echo "$at $(cat "$logs/status-a") $(cat "$logs/status-b")"
    sleep 0.05
  done
}
rm -f "$logs/stop-poll"
poll > "$logs/polls" 2>&1 &
poller=$!
sleep 1
cut_at=$EPOCHREALTIME
for i in 1 2 3; do cut "$old_ip" "$net.1$i"; done
wait_for 15 "the backup did not take over from a primary cut off from the units" is_role "$new_ip" 200
wait_for 5 "the old primary did not demote" is_role "$old_ip" 503
sleep 1
touch "$logs/stop-poll"; wait "$poller" || true
both=$(awk '$2 == 200 && $3 == 200' "$logs/polls" | wc -l)
[ "$both" -eq 0 ] || fail "$both polls saw both CSMs answer a join"
last_old=$(awk -v cut="$cut_at" '$1 > cut && $2 == 200 { t = $1 } END { print t ? t - cut : 0 }' "$logs/polls")
first_new=$(awk -v cut="$cut_at" '$1 > cut && $3 == 200 { print $1 - cut; exit }' "$logs/polls")
echo "   $old answered its last join $(printf %.2f "$last_old") s after the cut, $new its first $(printf %.2f "${first_new:-0}") s after; $(wc -l < "$logs/polls") polls, none with both"
awk -v t="$last_old" 'BEGIN { exit !(t <= 1.35) }' || fail "$old answered joins $last_old s after the cut, past a lease and a heartbeat"
heal
sleep 2
test "$(role "$old_ip")" = 503 || fail "the old primary took the role back when the cut healed"
test "$(role $vip)" = 200 || fail "the virtual IP does not reach the new primary"
echo "HA: 6 passed, 0 failed"
