#!/usr/bin/env bash
# Set-up, then MicroFER's main job on the bundled sample: labels assets/astronaut.png into
# results/ and prints where the labelled image is. Opens the desktop app where a display
# is available (set MICROFER_NO_GUI=1 to skip that).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
build/src/microfer-cli label assets/astronaut.png --out results
if [ -z "${MICROFER_NO_GUI:-}" ] && [ -x build/src/gui/microfer ] &&
   { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  echo "run: opening the desktop application"
  exec build/src/gui/microfer --open assets/astronaut.png --results results
fi
