#!/usr/bin/env bash
# The test suite under the sanitizers, each in a build folder of its own:
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer
#               (-DMICROFER_SANITIZE=ON): the tests of test_core, test_pipeline, test_capture,
#               test_teacher (the tfjs weights reader), test_gui, two at a time, then the tests that pace themselves by the clock (streams,
#               the adaptive live view, the GUI's video and camera, soak) one at a time.
#               Left out: the training runs whose seconds go to LibTorch's uninstrumented
#               arithmetic (ASAN_SKIP below); the trainer's own code still runs under
#               ASan in Training.ResumeReachesTheSameState,
#               PerSourceBalanceOfOneSourceIsThePooledLoss and the train tests of microfer-train.
#   build-tsan  ThreadSanitizer (-DMICROFER_SANITIZE_THREAD=ON): the capture thread and queue,
#               tracker, results writer, damaged-video and soak tests (test_capture). Not test_gui: Qt's event
#               queue is uninstrumented, so every queued signal would look like a race.
# Debian's LibTorch, OpenMP, OpenCV, GDAL, GLib and Qt are not instrumented: what is reported
# inside them is suppressed entry by entry, with the reason, in tests/sanitizers/*.supp; our
# own code has no suppression. Any report fails the run.
# Usage: scripts/test-sanitizers.sh [asan|tsan]...   (default: both). Run scripts/setup.sh
# first (scripts/test.sh does): it installs the dependencies and the MTCNN weights.
# MICROFER_JOBS: parallel compile jobs (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${MICROFER_JOBS:-$(nproc)}
supp="$root/tests/sanitizers"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(asan tsan)

export OMP_WAIT_POLICY=PASSIVE QT_QPA_PLATFORM=offscreen
# OpenCV's gPhoto2 camera probe leaks in code that LeakSanitizer cannot name (see lsan.supp).
export OPENCV_VIDEOIO_PRIORITY_GPHOTO2=0
# -O1 keeps the instrumented build and the tests fast enough for CI; -g1 gives line numbers
# in the reports. A unity build (four source files a compiler run) parses the LibTorch
# headers once per batch instead of once per file: the ASan build in 11:51 instead of 15:38
# (2 cores). The sanitizer folders are built from scratch, so batches cost no rebuild time.
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
       -DMICROFER_BUILD_BENCH=OFF -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=4)

stamp() { echo "== $(date +%T) $*"; }

# CLOCKED: the tests that time themselves against the clock (run alone, never beside another).
source scripts/lib/clocked-tests.sh
# Training runs that spend their time in LibTorch (uninstrumented): not run under ASan.
ASAN_SKIP='^(Training\.(SoftTargetsAreLearntInsteadOfTheLabel|EachSourceLearnsItsOwnTeachers|DistillationPullsTheStudentTowardsItsTeacher|BestModelIsTheBestValidationEpoch|LossFallsOnRealImages|LowResolutionEpochsThenFullSize)|DeviceTrainer\.(LearnsRepeatsAndExportsAModelFile|BudgetShortensTheWholeSchedule))$'

for run in "${runs[@]}"; do
  start=$(date +%s)
  case "$run" in
    asan)
      # Set before the build: test discovery runs the test programs too.
      export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1"
      export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
      export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
      stamp "ASan+UBSan: configure and build test_core test_pipeline test_capture test_teacher test_gui"
      cmake -S . -B build-asan "${flags[@]}" -DMICROFER_SANITIZE=ON >/dev/null
      cmake --build build-asan -j "$jobs" --target test_core test_pipeline test_capture test_teacher \
        test_gui
      stamp "ASan+UBSan: ctest, two at a time"
      (cd build-asan && ctest --output-on-failure --timeout 1800 -j 2 -E "$CLOCKED|$ASAN_SKIP")
      stamp "ASan+UBSan: ctest, the clocked tests one at a time"
      (cd build-asan && ctest --output-on-failure --timeout 1800 -R "$CLOCKED" -E "$ASAN_SKIP")
      unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
      ;;
    tsan)
      # ignore_noninstrumented_modules: only our instrumented code's accesses are checked,
      # not what LibTorch/OpenMP, GLib or GDAL do inside themselves (see tsan.supp).
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp"
      # test_capture needs microfer_infer and microfer-bench only: not the trainer, the CLI or
      # the other test programs. Its one test that runs microfer-cli is left out here.
      stamp "TSan: configure and build test_capture"
      cmake -S . -B build-tsan "${flags[@]}" -DMICROFER_SANITIZE_THREAD=ON \
        -DMICROFER_BUILD_GUI=OFF >/dev/null
      cmake --build build-tsan -j "$jobs" --target test_capture
      stamp "TSan: ctest (capture thread, queue, tracker, results)"
      (cd build-tsan && ctest --output-on-failure --timeout 1800 \
        -R '^(FrameSource|Tracker|ResultsWriter|DamagedVideo|Soak)\.' -E '\.CliLabels')
      unset TSAN_OPTIONS
      ;;
    *)
      echo "unknown run '$run' (asan or tsan)" >&2
      exit 2
      ;;
  esac
  stamp "$run: passed in $(($(date +%s) - start)) s"
done
