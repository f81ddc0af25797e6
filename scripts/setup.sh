#!/usr/bin/env bash
# MicroFER set-up on Debian 12, idempotent: installs the Debian packages the project needs,
# checks the shipped MTCNN and YuNet weights, and builds (Release) into build/.
# Extra arguments are passed to CMake's configure step (e.g. -DMICROFER_BUILD_GUI=OFF).
# MICROFER_JOBS=N sets the number of parallel build jobs (default: every core, nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ make pkg-config
  libtorch-dev libopenblas0-openmp   # OpenBLAS: Debian's LibTorch is 2x slower on reference BLAS
  libopencv-dev opencv-data          # opencv-data: the Haar cascades
  gstreamer1.0-plugins-base          # videotestsrc: the live-stream tests (label --stream-url)
  qt6-base-dev qt6-qpa-plugins fonts-dejavu-core
  qt6-tools-dev qt6-l10n-tools       # LinguistTools + lrelease: the app's Chinese translation
  qt6-translations-l10n fonts-wqy-microhei   # Qt's own Chinese strings; CJK glyphs for that UI
  libspdlog-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  appstream desktop-file-utils       # scripts/check-packaging.sh (a CTest test)
  help2man dpkg-dev lintian          # man pages (build), cpack's dpkg-shlibdeps, scripts/check-deb.sh
  pybind11-dev python3-dev python3-numpy   # the microfer Python module (python/)
  python3-venv python3-setuptools python3-wheel   # pip install . of the module (pyproject.toml)
  parallel                           # GNU parallel: the cluster-route test (README "Millions of images")
)

# Installed without their recommended packages (Dask's would bring matplotlib, scipy, ...).
lean=(
  python3-distributed                # Dask's LocalCluster: the Dask route's test (README "Millions of images")
)

jobs=${MICROFER_JOBS:-$(nproc)}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "setup: MICROFER_JOBS must be a positive whole number of build jobs, not '$jobs'" >&2
  exit 2
fi

missing=() missing_lean=()
for p in "${packages[@]}" "${lean[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  if [[ " ${lean[*]} " == *" $p "* ]]; then missing_lean+=("$p"); else missing+=("$p"); fi
done
if ((${#missing[@]} + ${#missing_lean[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: these Debian packages are missing: ${missing[*]} ${missing_lean[*]}" >&2
      echo "setup: installing them needs root, and sudo is not installed: run this script as root," >&2
      echo "       or have an administrator run: apt-get install ${missing[*]} ${missing_lean[*]}" >&2
      exit 1
    fi
    sudo="sudo"
  fi
  echo "setup: missing Debian packages: ${missing[*]} ${missing_lean[*]}"
  echo "setup: updating apt's package lists${sudo:+ (with sudo)}"
  $sudo apt-get update -qq
  # What apt will fetch (dependencies included); archives already in apt's cache are not counted.
  n_inst=$(apt-get install -s "${missing[@]}" 2>/dev/null | grep -c '^Inst ' || true)
  mb=$(apt-get install --print-uris -qq "${missing[@]}" 2>/dev/null |
         awk '{s += $3} END {printf "%d", s / 1000000}')
  echo "setup: about to install $n_inst packages (these and their dependencies):" \
       "$mb MB to download, a few minutes"
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ((${#missing_lean[@]})); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing_lean[@]}" >/dev/null
  fi
fi

# The MTCNN weights (MIT, Zhang et al. 2016) ship in models/mtcnn/ with their licence and
# checksums: check that the clone has them intact.
if ! (cd models/mtcnn && sha256sum --quiet -c SHA256SUMS); then
  echo "setup: models/mtcnn/ is incomplete or damaged (see models/mtcnn/README.md); Haar will be used" >&2
fi
if ! (cd models/yunet && sha256sum --quiet -c SHA256SUMS); then
  echo "setup: models/yunet/ is incomplete or damaged (see models/yunet/README.md); the automatic detector choice falls back to MTCNN" >&2
fi

# A first build is a unity build (four source files a compiler run: the LibTorch headers are
# parsed once per batch, not once per file); a build folder that exists keeps its setting, so
# a developer's edit in an existing folder recompiles that one file. -DCMAKE_UNITY_BUILD=OFF
# as an argument turns it off.
unity=()
if [ -f build/CMakeCache.txt ]; then
  echo "setup: building Release into build/ with $jobs parallel jobs (MICROFER_JOBS); only what changed is rebuilt"
else
  echo "setup: building Release into build/ with $jobs parallel jobs (MICROFER_JOBS);" \
       "a first build takes about 8 minutes on 2 cores"
  unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=4)
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${unity[@]}" "$@" >/dev/null
cmake --build build -j"$jobs"
echo "setup: built into build/ (microfer-cli: build/src/microfer-cli; microfer-train: build/src/lab/microfer-train)"
