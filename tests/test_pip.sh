#!/usr/bin/env bash
# The pip route of README "Python": a venv over Debian's Python installs this tree offline
# (pip install --no-build-isolation, the module from the CMake build) and imports microfer
# from the venv, with the models the package carries; nothing is written beside the sources.
# Usage: tests/test_pip.sh PYTHON SOURCE_DIR BUILD_DIR   (a CTest test: Python.PipInstall)
set -euo pipefail
py=$1 src=$2 build=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$py" -c 'import ensurepip, setuptools, wheel' 2>/dev/null; then
  echo "SKIP: $py lacks venv/pip, setuptools or wheel (Debian: python3-venv python3-setuptools python3-wheel)"
  exit 77
fi
before=$(git -C "$src" status --porcelain --untracked-files=all 2>/dev/null || true)
"$py" -m venv --system-site-packages "$tmp/V"
MICROFER_BUILD_DIR=$build "$tmp/V/bin/pip" install --no-build-isolation --no-index \
  --no-cache-dir --quiet "$src"
after=$(git -C "$src" status --porcelain --untracked-files=all 2>/dev/null || true)
if [ "$before" != "$after" ]; then
  echo "FAIL: pip install wrote into the source tree:"; diff <(echo "$before") <(echo "$after")
  exit 1
fi
cd "$tmp"
OMP_WAIT_POLICY=PASSIVE MICROFER_ASTRONAUT="$src/assets/astronaut.png" "$tmp/V/bin/python" - <<'PY'
import os, sys
import microfer
here = os.path.dirname(microfer.__file__)
assert microfer.__file__.startswith(sys.prefix), microfer.__file__
assert os.path.isfile(os.path.join(here, "microfer.pyi")), "no type stubs"
labeller = microfer.Labeller()
assert labeller.model.startswith(sys.prefix), labeller.model  # the packaged default model
assert labeller.detector == "yunet", labeller.detector        # the packaged detector
with open(os.environ["MICROFER_ASTRONAUT"], "rb") as f:
    faces = microfer.label(f.read())
assert [f["label"] for f in faces] == ["happy"], faces
print("pip route: microfer %s from %s, model %s" % (microfer.__version__, here, labeller.model_name))
PY
