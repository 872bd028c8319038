#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests of the portal's database.
#   scripts/test-postgres.sh start   # prints the URL to give AVCLUSTER_TEST_POSTGRES_URL
#   scripts/test-postgres.sh stop
# Its data lives in a temporary directory, removed on stop; it listens on 127.0.0.1 only.
set -euo pipefail
dir=${AVCLUSTER_PG_DIR:-/tmp/avcluster-test-postgres}
# Below the kernel's ephemeral range (32768-60999), where an outgoing connection may hold it.
port=${AVCLUSTER_PG_PORT:-15432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: run scripts/install-deps.sh --test" >&2; exit 1; }
as_owner() {  # the server refuses to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
start)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop > /dev/null 2>&1 || true
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres > "$dir/initdb.log"
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start > /dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres avcluster_test
  echo "postgres://postgres@127.0.0.1:$port/avcluster_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 64
  ;;
esac
