#!/usr/bin/env bash
# Builds release binaries and times CSM failover (kill -9 of the primary until a join works on
# the backup) over 10 runs. Extra arguments go to `avbench failover`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product avserver
swift build -c release --product avbench
.build/release/avbench failover "$@"
