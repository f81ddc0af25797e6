#!/usr/bin/env bash
# Reproduces the performance table of docs/PERFORMANCE.md (idle machine, shipped model): every
# `microfer-bench` run it lists, on an otherwise idle machine. Usage: scripts/bench.sh [OUTDIR]   (default runs/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/bench}
trainer=build/src/lab/microfer-train
bench=build/bench/microfer-bench
mkdir -p "$out"
[ -d "$out/frames" ] || "$bench" --make-frames "$out/frames" --frames 100 >/dev/null
[ -f "$out/clip.avi" ] || "$bench" --make-video "$out/clip.avi" --frames 2000 >/dev/null
launcher=("$bench")
run() {  # name, then bench arguments
  local name=$1; shift
  "${launcher[@]}" "$@" --json "$out/$name.json" >"$out/$name.txt" 2>&1
  printf '%-28s %s | %s\n' "$name" "$(grep -E '^detect ' "$out/$name.txt" | head -1 | tr -s ' ')" \
    "$(tail -1 "$out/$name.txt")"
}
run mtcnn-flip --detector mtcnn --tta flip --frames 100
run haar-flip --detector haar --tta flip --frames 100
run haar-flip-stream --detector haar --tta flip --frames 100 --stream
run mtcnn-flip-stream --detector mtcnn --tta flip --frames 100 --stream
run mtcnn-flip-5faces --detector mtcnn --tta flip --faces 5 --frames 100
run mtcnn-flip-5faces-stream --detector mtcnn --tta flip --faces 5 --frames 100 --stream
run haar-off --detector haar --tta off --frames 100
run haar-full --detector haar --tta full --frames 100
run folder-haar --folder "$out/frames" --detector haar --tta flip
run folder-mtcnn --folder "$out/frames" --detector mtcnn --tta flip
run video-mtcnn --video "$out/clip.avi" --detector mtcnn --tta flip
run video-haar --video "$out/clip.avi" --detector haar --tta flip
run video-mtcnn-adaptive --video "$out/clip.avi" --detector mtcnn --tta flip --adaptive
[ -f "$out/clip5.avi" ] || "$bench" --make-video "$out/clip5.avi" --faces 5 --frames 900 >/dev/null
run video5-mtcnn --video "$out/clip5.avi" --detector mtcnn --tta flip
run video5-mtcnn-adaptive --video "$out/clip5.avi" --detector mtcnn --tta flip --adaptive
# Classify times against the machine's arithmetic (the network's operations, a measured throughput).
run roofline roofline
# The same figures on an emulated slower laptop (scripts/bench-slow.sh: half of one core).
launcher=(scripts/bench-slow.sh bench)
run slow-mtcnn-flip --detector mtcnn --tta flip --frames 100
run slow-mtcnn-flip-5faces --detector mtcnn --tta flip --faces 5 --frames 100
run slow-folder-mtcnn --folder "$out/frames" --detector mtcnn --tta flip
run slow-video-mtcnn --video "$out/clip.avi" --detector mtcnn --tta flip
run slow-video-mtcnn-adaptive --video "$out/clip.avi" --detector mtcnn --tta flip --adaptive
run slow-video5-mtcnn --video "$out/clip5.avi" --detector mtcnn --tta flip
run slow-video5-mtcnn-adaptive --video "$out/clip5.avi" --detector mtcnn --tta flip --adaptive
grep -h "^classify" "$out/haar-off.txt" "$out/haar-full.txt" | sed 's/^/off vs full: /'
"$trainer" train --data ../shared/data/fer2013/train --epochs 1 --max-batches 40 --out "$out/train" 2>&1 |
  grep -o "[0-9]* img/s" | tail -1 | sed 's/^/training (microfer-train train, 40 batches): /'
