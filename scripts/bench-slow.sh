#!/usr/bin/env bash
# Runs a `microfer-bench` (bench, soak, roofline), `microfer-train` or `microfer-cli` command
# as on a weaker laptop: the command is held to CPU 0 (taskset) and shares that core with one
# busy process, so it gets about half of one core. On this project's 2-core VM that is about a
# quarter of the machine; the 2-core AVX2 laptop of issue #17 measured about a third of it, so
# this emulation errs on the slow side.
#   scripts/bench-slow.sh bench --detector mtcnn --tta flip --frames 100
#   scripts/bench-slow.sh bench --video runs/bench/clip.avi --adaptive
# Needs taskset (util-linux). Measure with nothing else running.
set -euo pipefail
cd "$(dirname "$0")/.."
# bench, soak and roofline (or options only) are microfer-bench's; the research commands
# microfer-train's; other commands microfer-cli's.
case "${1:-}" in
  bench|soak|roofline|-*|"") cli=${MICROFER_BENCH:-build/bench/microfer-bench} ;;
  train|cv|loso|baseline|export|pack|crops|calibrate|average|curves|geometry)
    cli=${MICROFER_TRAIN:-build/src/lab/microfer-train} ;;
  *) cli=${MICROFER_CLI:-build/src/microfer-cli} ;;
esac
[ -x "$cli" ] || { echo "bench-slow.sh: $cli not built (scripts/setup.sh builds it)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench-slow.sh: taskset not found (apt-get install util-linux)" >&2; exit 1; }
taskset -c 0 sh -c 'while :; do :; done' &
busy=$!
trap 'kill "$busy" 2>/dev/null || true' EXIT
taskset -c 0 "$cli" "$@"
