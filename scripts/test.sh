#!/usr/bin/env bash
# Set-up, then the whole test suite (GoogleTest through CTest): the tests one per core, then
# the clocked ones (scripts/lib/clocked-tests.sh) one at a time. Arguments go to ctest instead
# (one pass, e.g. scripts/test.sh -R Python). Tests that need the data in ../shared skip with
# a reason where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/lib/clocked-tests.sh
export OMP_WAIT_POLICY=PASSIVE QT_QPA_PLATFORM=offscreen
cd build
if (($#)); then
  exec ctest --output-on-failure --timeout 1200 "$@"
fi
# Both passes run even when the first fails; the script fails if either did.
status=0
ctest --output-on-failure --timeout 1200 -j "$(nproc)" -E "$CLOCKED" || status=$?
ctest --output-on-failure --timeout 1200 -R "$CLOCKED" || status=$?
exit "$status"
