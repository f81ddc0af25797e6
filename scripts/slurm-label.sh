#!/usr/bin/env bash
# One task of a Slurm job array that labels a manifest (one image or video path a line):
# task K of N labels the K-th of N parts of the list (`label --shard K/N`, no folder walk)
# into OUT/part-K, with as many threads as the task has cores. When every task has ended,
# `microfer-cli merge OUT/all OUT/part-*` joins the parts (README "Millions of images").
#
#   sbatch --array=1-16 --cpus-per-task=1 scripts/slurm-label.sh MANIFEST OUT [label options]
#
# A task that is requeued or run again continues where it stopped (--resume): the inputs it
# finished are skipped and each input is recorded once. Records only by default
# (--no-images); pass --images to also write the labelled copies (they mirror the paths).
# The program is $MICROFER_CLI, else microfer-cli on PATH, else this tree's build (sbatch
# runs a copy of this script, so set MICROFER_CLI or install the package on the nodes).
# Outside Slurm a task is run by setting the variables Slurm sets, e.g.
#   SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=16 scripts/slurm-label.sh list.txt out
#SBATCH --job-name=microfer-label
#SBATCH --cpus-per-task=1
set -euo pipefail
usage="usage: scripts/slurm-label.sh MANIFEST OUT [--images] [label options]"
manifest=${1:?$usage}
out=${2:?$usage}
shift 2
images=(--no-images)
if [ "${1:-}" = --images ]; then images=(); shift; fi
task=${SLURM_ARRAY_TASK_ID:?not a Slurm array task (SLURM_ARRAY_TASK_ID is not set); $usage}
count=${SLURM_ARRAY_TASK_COUNT:?SLURM_ARRAY_TASK_COUNT is not set}
k=$((task - ${SLURM_ARRAY_TASK_MIN:-1} + 1))
cli=${MICROFER_CLI:-$(command -v microfer-cli || echo "$(dirname "$0")/../build/src/microfer-cli")}
exec "$cli" label --files-from "$manifest" --shard "$k/$count" \
  --threads "${SLURM_CPUS_PER_TASK:-1}" --resume --quiet "${images[@]}" --out "$out/part-$k" "$@"
