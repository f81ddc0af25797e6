#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in build-fuzz/ with clang, ASan and UBSan, then runs
# each for SECONDS (default 60), one after the other. Not part of CI: run it by hand.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   TARGET: fuzz_image_pipeline fuzz_dataset_csv fuzz_model_file fuzz_model_file_fixup
#           (default: all four)
# Environment: JOBS (parallel compile jobs, default 2), FUZZ_ARGS (extra libFuzzer flags).
#
# The seed corpus in fuzz/corpus/<name>/ is read, never written: what a run finds goes to
# build-fuzz/corpus/<target>/ (kept between runs), crashes to build-fuzz/artifacts/<target>/.
# A crash input becomes a regression test: copy it to tests/data/fuzz/ and add a case to
# tests/test_fuzz_regressions.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] &&
  targets=(fuzz_image_pipeline fuzz_dataset_csv fuzz_model_file fuzz_model_file_fixup)

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMICROFER_BUILD_FUZZERS=ON -DMICROFER_BUILD_TESTS=OFF -DMICROFER_BUILD_GUI=OFF >/dev/null
cmake --build build-fuzz -j "${JOBS:-2}" --target "${targets[@]}"

# LibTorch's OpenMP workers must not spin (see include/microfer/runtime/runtime.hpp).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
status=0
for target in "${targets[@]}"; do
  case $target in
    fuzz_image_pipeline) seeds=image_pipeline dict= ;;
    fuzz_dataset_csv) seeds=dataset_csv dict=fuzz/dict/dataset_csv.dict ;;
    fuzz_model_file | fuzz_model_file_fixup) seeds=model_file dict=fuzz/dict/model_file.dict ;;
    *) echo "unknown target '$target'" >&2; exit 2 ;;
  esac
  corpus=build-fuzz/corpus/$target
  artifacts=build-fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  echo "== $target: ${seconds}s, corpus $corpus (seeds fuzz/corpus/$seeds)"
  # -rss_limit_mb: an input that makes the program allocate more than this is a finding.
  # shellcheck disable=SC2086
  build-fuzz/fuzz/"$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${dict:+-dict=$dict} ${FUZZ_ARGS:-} \
    "$corpus" "fuzz/corpus/$seeds" || status=1
done
exit $status
