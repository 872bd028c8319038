# Sourced by the namespace tests. wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every
# 0.1 s; past SECONDS (whole seconds, timed to the microsecond) it calls the script's own `fail`
# with DESCRIPTION.
wait_for() {
  local deadline=$(( ${EPOCHREALTIME/./} + $1 * 1000000 )) what=$2
  shift 2
  until "$@"; do
    [ "${EPOCHREALTIME/./}" -lt "$deadline" ] || fail "$what"
    sleep 0.1
  done
}

# Seconds since START (an $EPOCHREALTIME), to the hundredth.
seconds_since() {
  awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.2f", now - start }'
}
