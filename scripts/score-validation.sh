#!/usr/bin/env bash
# The selection score of docs/model-decisions.txt since rule p, on validation parts only:
#   S = mean(FER2013 PublicTest_ accuracy, lfw-expressions val macro recall over its classes
#       with >= 20 images), TTA flip.
# (Until 2026-12-03 the same two eval commands ran from an uncommitted helper, runs/q/eval.sh.)
# With --ferplus (rule v, 2026-12-07): S+ = the same with PublicTest_ scored against the FER+
# raters' unique majority (eval --ferplus ../shared/data/ferplus/ferplus.csv).
# Usage: scripts/score-validation.sh MODEL[,MODEL2,...] [TAG] [--ferplus]   (several: an ensemble)
# Needs build/ (scripts/setup.sh) and ../shared/data; makes the lfw-expressions crop cache
# (scripts/lib/lfw-crops.sh, outside the source tree) on its
# first run.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: scripts/score-validation.sh MODEL[,MODEL2,...] [TAG]}
tag=${2:-$model}
votes=()
for a in "$@"; do [ "$a" = --ferplus ] && votes=(--ferplus ../shared/data/ferplus/ferplus.csv); done
[ "$tag" = --ferplus ] && tag=$model
cli=build/src/microfer-cli
trainer=build/src/lab/microfer-train  # crops
shared=../shared/data
. scripts/lib/lfw-crops.sh
lfw=$lfw_cache
export OMP_WAIT_POLICY=PASSIVE
# Cut with the shipped model's crop geometry (as scripts/evaluate_model.sh): every model
# shipped so far has it; a model with another geometry would be scored on crops not its own.
lfw_crops "$trainer" "$shared" > /dev/null   # cached after the first run
pub=$("$cli" eval --data "$shared/fer2013/test" --split public --tta flip --model "$model" --quiet "${votes[@]}" |
  sed -n 's/^accuracy=\([0-9.]*\) .*/\1/p')
lfwval=$("$cli" eval --data "$lfw" --split val --split-list data/lfw-expressions-split.csv \
  --tta flip --model "$model" --quiet | sed -n 's/^macro recall over.*: \([0-9.]*\)$/\1/p')
[ -n "$pub" ] && [ -n "$lfwval" ] || { echo "score-validation: eval printed no figure" >&2; exit 1; }
awk -v t="$tag" -v f="${votes:+ (FER+ majority)}" -v p="$pub" -v l="$lfwval" 'BEGIN {
  printf "%s: PublicTest_%s %.2f %%  lfw val macro recall %.2f %%  S%s %.2f %%\n", t, f, 100 * p, 100 * l, (f == "" ? "" : "+"), 50 * (p + l) }'
