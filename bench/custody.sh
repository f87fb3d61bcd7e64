#!/bin/bash
# bench/custody.sh - the custody report over 100,000 cards and a notice round
# for 10,000 due cards (bench/custody_bench.c), on /var/tmp (the disk).
# usage: bench/custody.sh [CARDS] [DUE]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/${BUILD:-build}
W=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
/usr/bin/time -f "peak RSS %M KiB" "$B/bench/custody_bench" "$W" "${1:-100000}" "${2:-10000}"
