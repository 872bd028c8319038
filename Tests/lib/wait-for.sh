# Sourced by the namespace tests. wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every
# 0.1 s; past SECONDS it calls the script's own `fail` with DESCRIPTION.
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "$what"
    sleep 0.1
  done
}
