#!/usr/bin/env bash
# MicroFER set-up on Debian 12, idempotent: installs the Debian packages the project needs,
# checks the shipped MTCNN weights, and builds (Release) into build/.
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

# The MTCNN weights (MIT, Zhang et al. 2016) ship in models/mtcnn/ with their licence and
# checksums: check that the clone has them intact.
if ! (cd models/mtcnn && sha256sum --quiet -c SHA256SUMS); then
  echo "setup: models/mtcnn/ is incomplete or damaged (see models/mtcnn/README.md); Haar will be used" >&2
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built into build/ (microfer-cli: build/src/microfer-cli)"
