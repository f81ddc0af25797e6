#!/usr/bin/env bash
# Reproduces the figures of models/MODEL_CARD.md: FER2013 PublicTest (validation) and
# PrivateTest (final test) accuracy with each TTA mode, the confusion matrix, and the full
# pipeline (detector + aligner + classifier) on PrivateTest crops padded and upscaled to
# 192x192 (MTCNN also at 24 px of padding with lower score thresholds, the setting chosen on
# PublicTest to find >= 95 % of the faces). Usage: scripts/evaluate_model.sh [MODEL] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/microfer-resnet10.mfm}
out=${2:-runs/eval}
data=../shared/data/fer2013/test
cli=build/src/microfer-cli
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
for split in public private; do
  for tta in off flip full; do
    "$cli" eval --data "$data" --split "$split" --tta "$tta" --model "$model" \
      --confusion "$out/confusion-$split-$tta.png" > "$out/eval-$split-$tta.txt"
    echo "$split $tta: $(tail -1 "$out/eval-$split-$tta.txt")"
  done
done
for det in haar mtcnn; do
  "$cli" eval --data "$data" --split private --tta flip --model "$model" --pipeline \
    --detector "$det" > "$out/pipeline-private-$det.txt"
  echo "pipeline $det: $(grep '^pipeline:' "$out/pipeline-private-$det.txt"); $(tail -1 "$out/pipeline-private-$det.txt")"
done
"$cli" eval --data "$data" --split private --tta flip --model "$model" --pipeline \
  --detector mtcnn --pad 24 --mtcnn-thresholds 0.4,0.5,0.4 > "$out/pipeline-private-mtcnn-sensitive.txt"
echo "pipeline mtcnn, pad 24, thresholds 0.4/0.5/0.4: $(grep '^pipeline:' "$out/pipeline-private-mtcnn-sensitive.txt"); $(tail -1 "$out/pipeline-private-mtcnn-sensitive.txt")"
