#!/bin/bash
# bench/ledger.sh - the ledger with 1,000,000 events: per-event cost with
# durability, export and verify. usage: bench/ledger.sh [EVENTS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${BUILD:-build}
W=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$ROOT/scripts/make-test-pki" "$W/pki" >/dev/null 2>&1
"$B/bench/ledger_bench" "$W" "$W/pki/ds.key" "$W/pki/ds.pem" "${1:-1000000}"
