#!/usr/bin/env bash
# Set-up, then the whole test suite (GoogleTest through CTest). Tests that need the data in
# ../shared skip with a reason where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE QT_QPA_PLATFORM=offscreen
cd build
ctest --output-on-failure --timeout 1200 "$@"
