#!/bin/bash
# bench/face.sh - render a face (PDF, panels) and submit it through the cups
# backend to a private cupsd. usage: bench/face.sh [N]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
T=$(mktemp -d /var/tmp/cetak-bench.XXXXXX)
chmod 755 "$T"
. "$ROOT/tests/fixtures/fixtures.sh"
trap 'fx_cleanup; rm -rf "$T"' EXIT
fx_cupsd "$(fx_port)" || exit 1
"$B/tests/jobgen" -n 1 -o "$T/job" -k 20 >/dev/null
"$B/bench/face_bench" "$ROOT/etc/layouts/ektp-front.conf" "$T/job/JOB-000001.json" "${1:-200}" \
	card "$CUPS_SERVER"
