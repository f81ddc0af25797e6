#!/usr/bin/env bash
# Micro-attention wiring ablation (issue #16, docs/model-decisions.txt rule i, 2026-12-02):
# the same network, data, recipe and seed with the unit wired as MicroFER has it (A = the
# block's raw first convolution, biases on the two 1x1 convolutions) or as the authors' Caffe
# prototxt has it (A after BN-ReLU, no biases). From scratch on FER2013 train, validated on
# PublicTest_, a short equal budget (8 epochs, the first 6 on 36x36 crops, cosine schedule).
#
#   scripts/ablate-attention.sh microfer|prototxt SEED [extra train options, e.g. --threads 1]
#
# Needs build/ (scripts/setup.sh) and ../shared/data. Writes runs/attn-ARM-sSEED/.
set -euo pipefail
cd "$(dirname "$0")/.."
arm=${1:?usage: scripts/ablate-attention.sh microfer|prototxt SEED [train options]}
seed=${2:?usage: scripts/ablate-attention.sh microfer|prototxt SEED [train options]}
shift 2
case "$arm" in
  microfer|prototxt) ;;
  *) echo "unknown arm '$arm'" >&2; exit 2 ;;
esac
fer=../shared/data/fer2013
exec build/src/lab/microfer-train train --data "$fer/train" --val "$fer/test" --val-prefix PublicTest_ \
  --epochs 8 --low-res 36,6 --batch 256 --lr 0.1 --balance sqrt --seed "$seed" --attention-wiring "$arm" \
  --out "runs/attn-$arm-s$seed" --name "microfer-resnet10-attn-$arm" "$@"
