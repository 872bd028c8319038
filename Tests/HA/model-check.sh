#!/usr/bin/env bash
# Model-checks the failover protocol (Tests/HA/failover.pml, docs/HA.md) with spin:
#   1. safety with the epoch on disk, up to two faults (crashes, restarts, cuts, lost messages);
#   2. safety without it, one fault;
#   3. liveness under weak fairness: after the faults a primary appears;
#   4. the checker itself: a unit that grants leases at once after a restart must be caught.
# A counterexample fails the run and prints spin's trail. Needs spin and a C compiler
# (scripts/install-deps.sh --test installs spin).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v spin > /dev/null; then
  echo "FAIL: spin is not installed; run scripts/install-deps.sh --test"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# name, model file, spin defines, compiler flags, pan flags; sets $result to pan's output.
run() {
  local name=$1 model=$2 defines=$3 cflags=$4 panflags=$5
  spin $defines -a "$model" > spin.out 2>&1 || { cat spin.out; echo "FAIL: $name: spin could not read the model"; exit 1; }
  gcc -O2 -w $cflags -o pan pan.c
  local started=$SECONDS
  result=$(./pan $panflags 2>&1 || true)
  elapsed=$((SECONDS - started))
  states=$(echo "$result" | awk '/states, stored/ { print $1; exit }')
}

expect_clean() {
  local name=$1 model=$2
  run "$@"
  if echo "$result" | grep -q "errors: 0" && ! echo "$result" | grep -qE "out of memory|max search depth too small"; then
    echo "   $name: no counterexample in $states states ($elapsed s)"
  else
    echo "$result" | tail -30
    if [ -e "$model.trail" ]; then echo "--- trail"; spin -t -p -g -l "$model" | tail -80; fi
    echo "FAIL: $name"
    exit 1
  fi
}

cp "$here/failover.pml" .
safety="-DSAFETY -DNOCLAIM -DHC4 -DMEMLIM=6000"
echo "model-checking the failover protocol (spin $(spin -V | awk '{ print $3 }'))"
expect_clean "safety, epoch on disk, 2 faults" failover.pml "-DFAULTS=2 -DDURABLE=1" "$safety" "-m400000 -w28"
expect_clean "safety, epoch in memory, 1 fault" failover.pml "-DFAULTS=1 -DDURABLE=0" "$safety" "-m400000 -w26"
expect_clean "liveness: a primary appears, 1 fault" failover.pml "-DFAULTS=1 -DLIVENESS" "-DNFAIR=3 -DCOLLAPSE -DMEMLIM=6000" "-a -f -m400000 -w26"

# A unit that forgets its start guard lets a second CSM in while the first still counts its lease.
sed 's/uLease\[0\] = 0; uGuard\[0\] = LEASE;/uLease[0] = 0; uGuard[0] = 0;/' failover.pml > unguarded.pml
grep -q "uGuard\[0\] = 0;" unguarded.pml || { echo "FAIL: the mutation did not apply"; exit 1; }
run "mutant" unguarded.pml "-DFAULTS=2" "$safety" "-m400000 -w26"
if echo "$result" | grep -q "assertion violated"; then
  echo "   a unit without its start guard: counterexample found ($elapsed s), as it must be"
else
  echo "FAIL: the model checker missed the unguarded unit"
  exit 1
fi
echo "model check: 4 passed, 0 failed"
