#!/usr/bin/env bash
# Trains the model of a recipe (recipes/NAME.args: the options of `microfer-train train`, one a
# line) into a run folder outside the source tree, and continues a half-done run: where the
# folder holds a checkpoint, the run resumes from it (also after the folder was copied from
# another machine: checkpoints hold no absolute path).
#
#   scripts/reproduce.sh RECIPE [RUNS]   RUNS: where runs live (default $MICROFER_RUNS, else
#                                        /var/tmp/microfer-runs); the run is RUNS/RECIPE
#   extra train options may follow after --, e.g. -- --threads 2
#
# Needs build/ (scripts/setup.sh) and ../shared/data. Makes the lfw-expressions crop cache
# (RUNS/cache/lfw-expressions, `microfer-train crops`) on its first run. Prints the run folder;
# its last.mfm is the recipe's model (before calibration: see models/MODEL_CARD.md).
set -euo pipefail
cd "$(dirname "$0")/.."
recipe=${1:?usage: scripts/reproduce.sh RECIPE [RUNS] [-- train options]; recipes: $(ls recipes | sed 's/\.args$//' | tr '\n' ' ')}
shift
runs=${MICROFER_RUNS:-/var/tmp/microfer-runs}
if [ $# -gt 0 ] && [ "$1" != -- ]; then runs=$1; shift; fi
[ "${1:-}" = -- ] && shift
file=recipes/$recipe.args
[ -f "$file" ] || { echo "reproduce: no recipe '$recipe' (recipes/*.args)" >&2; exit 2; }
trainer=build/src/lab/microfer-train
[ -x "$trainer" ] || { echo "reproduce: build/ is missing: run scripts/setup.sh first" >&2; exit 1; }
shared=$(cd .. && pwd)/shared/data
[ -d "$shared" ] || { echo "reproduce: ../shared/data is missing: the recipes train on it" >&2; exit 1; }
MICROFER_RUNS=$runs . scripts/lib/lfw-crops.sh
crops=$lfw_cache
out=$runs/$recipe
mkdir -p "$out" "$runs/cache"
export OMP_WAIT_POLICY=PASSIVE
if grep -q '${CROPS}' "$file"; then
  lfw_crops "$trainer" "$shared" > "$runs/cache/crops.log"
fi
args=()
while IFS= read -r line; do
  line=${line%%#*}
  [ -n "${line// }" ] || continue
  line=${line//'${SHARED}'/$shared}
  line=${line//'${CROPS}'/$crops}
  line=${line//'${RUNS}'/$runs}
  read -r -a words <<< "$line"
  args+=("${words[@]}")
done < "$file"
resume=()
if [ -f "$out/checkpoint.json" ]; then
  echo "reproduce: $out holds a checkpoint: resuming"
  resume=(--resume)
fi
echo "reproduce: training $recipe into $out"
"$trainer" train "${args[@]}" --out "$out" "${resume[@]}" "$@"
# A face-teacher recipe (--net face-api) writes teacher-*.pt, the others last.mfm.
if grep -q '^--net face-api' "$file"; then
  echo "reproduce: done: $out/teacher-best.pt"
else
  echo "reproduce: done: $out/last.mfm"
fi
