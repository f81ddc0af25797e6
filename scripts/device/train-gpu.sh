#!/usr/bin/env bash
# Trains candidate models side by side on a CUDA machine that has PyTorch's LibTorch and a
# C++ compiler but no OpenCV (the GPU machine this workplace lends now and then).
#   scripts/device/train-gpu.sh PACKS OUT SECONDS [CANDIDATES]
# PACKS holds train.mfc.xz and public.mfc.xz (microfer-train pack, then xz); no test data
# travels, so nothing there can be tuned on PrivateTest. Every run validates on PublicTest
# and keeps its best epoch. OUT receives, for each line "RUN options" of CANDIDATES
# (default candidates.txt beside this script), RUN/best.mfw, RUN/last.mfw, RUN/metrics.csv
# and RUN.log, written as the run goes (a run cut off still leaves its best epoch). The
# schedules are fitted into SECONDS (build included; see --budget).
set -u
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$2"
packs=$(cd "$1" && pwd) out=$(cd "$2" && pwd) candidates=$(realpath "${4:-$here/candidates.txt}")
cd "$here/../.."   # the sources are read from the repository root
deadline=$(($(date +%s) + $3))
mkdir -p "$out" /tmp/mfer/obj
nvidia-smi -L || true
T=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')
ABI=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

# Unpack while compiling.
(for f in "$packs"/*.mfc.xz; do
   d=/tmp/mfer/$(basename "$f" .xz)
   xz -dc "$f" >"$d" 2>/dev/null ||
     python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$d"
 done) &
unpack=$!

CXX=(g++ -O2 -D_GLIBCXX_USE_CXX11_ABI="$ABI" -Iinclude -Isrc/tool -isystem "$T/include"
     -isystem "$T/include/torch/csrc/api/include")
t0=$(date +%s)
pids=()
for s in src/infer/classify/network.cpp src/infer/classify/tensor_codec.cpp \
         src/infer/runtime/checksum.cpp src/infer/runtime/file_io.cpp src/train/train_schedule.cpp \
         src/train/device_trainer.cpp src/device/train_main.cpp; do
  o=/tmp/mfer/obj/$(basename "$s" .cpp).o
  # C++17 as here; C++20 where a newer LibTorch's headers want it.
  { "${CXX[@]}" -std=c++17 -c "$s" -o "$o" 2>"$o.log" || "${CXX[@]}" -std=c++20 -c "$s" -o "$o" ||
    { cat "$o.log"; false; }; } &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "compile failed"; exit 1; }; done
g++ /tmp/mfer/obj/*.o -o /tmp/mfer/mtd -L"$T/lib" -Wl,--no-as-needed -ltorch -ltorch_cuda \
  -ltorch_cpu -lc10_cuda -lc10 -Wl,-rpath,"$T/lib" || { echo "link failed"; exit 1; }
wait $unpack
echo "built in $(($(date +%s) - t0)) s"; ls -la /tmp/mfer/*.mfc || exit 1

# PyTorch's CUDA libraries live beside it in site-packages.
export LD_LIBRARY_PATH="$(find "$T/.." -maxdepth 4 -type d -name lib -path '*nvidia*' | tr '\n' :)$T/lib"
budget=$((deadline - $(date +%s) - 30))
echo "training budget $budget s"
run() {
  local name=$1; shift
  /tmp/mfer/mtd --train /tmp/mfer/train.mfc --val /tmp/mfer/public.mfc \
    --out "$out/$name" --budget "$budget" --threads 2 "$@" >"$out/$name.log" 2>&1 &
}
while read -r name args; do
  [ -n "$name" ] && run "$name" $args
done <"$candidates"
sleep 20
if [ -z "${MFER_ALLOW_CPU:-}" ] && grep -l "CUDA not available" "$out"/*.log; then
  echo "no CUDA: stopping"; ldd /tmp/mfer/mtd | grep -iE "cuda|not found"; kill $(jobs -p); exit 1
fi
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv
wait

for log in "$out"/*.log; do
  echo "== $(basename "$log" .log): $(tail -1 "$log")"
  grep -E "budget|^epoch" "$log" | tail -3
done
