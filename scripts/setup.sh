#!/usr/bin/env bash
# MicroFER set-up on Debian 12, idempotent: installs the Debian packages the project needs,
# puts the MTCNN weights in place when ../shared has them, and builds (Release) into build/.
# Extra arguments are passed to CMake's configure step (e.g. -DMICROFER_BUILD_GUI=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ make pkg-config
  libtorch-dev libopenblas0-openmp   # OpenBLAS: Debian's LibTorch is 2x slower on reference BLAS
  libopencv-dev opencv-data          # opencv-data: the Haar cascades
  qt6-base-dev qt6-qpa-plugins fonts-dejavu-core
  libspdlog-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# MTCNN weights (MIT, Zhang et al. 2016) are never committed. Look for them next to the
# checkout; otherwise say where they come from. Haar works without them.
mtcnn_dst=models/mtcnn
mtcnn_src=../shared/models/mtcnn
if [ -f "$mtcnn_src/det1.caffemodel" ]; then
  mkdir -p "$mtcnn_dst"
  for f in det1 det2 det3; do
    for ext in prototxt caffemodel; do
      cmp -s "$mtcnn_src/$f.$ext" "$mtcnn_dst/$f.$ext" 2>/dev/null || cp "$mtcnn_src/$f.$ext" "$mtcnn_dst/"
    done
  done
elif [ ! -f "$mtcnn_dst/det1.caffemodel" ]; then
  cat <<'MSG'
setup: MTCNN weights not found. '--detector mtcnn' needs det1/det2/det3 .prototxt and
       .caffemodel from the MIT-licensed release of Zhang et al. 2016
       (kpzhang93/MTCNN_face_detection_alignment, folder code/codes/MTCNNv1/model) in
       models/mtcnn/ or in the folder named by $MICROFER_MTCNN_DIR. Haar works without them.
MSG
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built into build/ (microfer-cli: build/src/microfer-cli)"
