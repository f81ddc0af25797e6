// Google Benchmark micro-benchmarks of the pipeline's hot functions: Haar and MTCNN detection
// on a 640x480 photo, alignment, and TTA classification of 1 and 5 faces.
//
//   micro_bench [--benchmark_filter=...]   environment:
//     MICROFER_MODEL   model file for the classifier benchmarks (default: the shipped model;
//                      they are skipped when there is none; the weights do not change speed)
//     MICROFER_SHARED_DIR  the shared data folder (default ../shared)
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "microfer/classify/expression_classifier.hpp"
#include "microfer/align/face_aligner.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/runtime/runtime.hpp"

namespace {

namespace fs = std::filesystem;

std::string sharedDir() {
  const char* env = std::getenv("MICROFER_SHARED_DIR");
  return env ? env : "../shared";
}

/// A real group photo (2008_002506.jpg: three faces of 90-109 px) letterboxed into 640x480.
const cv::Mat& testFrame() {
  static const cv::Mat frame = [] {
    const std::string path = (fs::path(sharedDir()) / "data/dlib-faces/2008_002506.jpg").string();
    const cv::Mat photo = cv::imread(path);
    cv::Mat out(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
    if (photo.empty()) return cv::Mat();
    const double s = std::min(640.0 / photo.cols, 480.0 / photo.rows);
    cv::Mat scaled;
    cv::resize(photo, scaled, cv::Size(), s, s, cv::INTER_LINEAR);
    scaled.copyTo(
        out(cv::Rect((640 - scaled.cols) / 2, (480 - scaled.rows) / 2, scaled.cols, scaled.rows)));
    return out;
  }();
  return frame;
}

std::unique_ptr<microfer::FaceDetector> makeDetector(microfer::DetectorKind kind,
                                                     benchmark::State& state, bool eyes) {
  microfer::DetectorConfig c;
  c.kind = kind;
  c.haarEyes = eyes;
  try {
    return microfer::createFaceDetector(c);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

void detectBench(benchmark::State& state, microfer::DetectorKind kind, bool eyes = true) {
  if (testFrame().empty()) {
    state.SkipWithError("needs ../shared/data/dlib-faces (set MICROFER_SHARED_DIR)");
    return;
  }
  auto det = makeDetector(kind, state, eyes);
  if (!det) return;
  // range(0): OpenCV threads during detection (the applications use all cores).
  const int previousThreads = cv::getNumThreads();
  cv::setNumThreads(static_cast<int>(state.range(0)));
  size_t faces = 0;
  for (auto _ : state) {
    auto found = det->detect(testFrame());
    faces = found.size();
    benchmark::DoNotOptimize(found.data());
  }
  state.counters["faces"] = static_cast<double>(faces);
  cv::setNumThreads(previousThreads);
}

void BM_HaarDetect(benchmark::State& state) {
  detectBench(state, microfer::DetectorKind::Haar);
}
/// The face cascade alone (no eye search).
void BM_HaarDetectNoEyes(benchmark::State& state) {
  detectBench(state, microfer::DetectorKind::Haar, false);
}
void BM_MtcnnDetect(benchmark::State& state) {
  detectBench(state, microfer::DetectorKind::Mtcnn);
}

/// Levers on OpenCV's frontal-face cascade alone, two OpenCV threads, minimum face 40 px:
/// range(0) = 0 as shipped (scale step 1.2 on the frame), 1 coarser pyramid (1.3), 2 the
/// frame downscaled so that the 40 px minimum face fills the cascade's 24 px window. Frames:
/// the first 24 JPEGs of $MICROFER_BENCH_FRAMES (`microfer-bench --make-frames DIR`), else
/// the group photo above. Counters: ms per frame and faces found per frame.
void BM_HaarCascadeLever(benchmark::State& state) {
  static const std::vector<cv::Mat> frames = [] {
    std::vector<cv::Mat> out;
    if (const char* dir = std::getenv("MICROFER_BENCH_FRAMES")) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".jpg") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      for (size_t i = 0; i < files.size() && out.size() < 24; ++i)
        out.push_back(cv::imread(files[i], cv::IMREAD_GRAYSCALE));
    } else if (!testFrame().empty()) {
      cv::Mat gray;
      cv::cvtColor(testFrame(), gray, cv::COLOR_BGR2GRAY);
      out.push_back(gray);
    }
    return out;
  }();
  cv::CascadeClassifier cascade;
  const std::string file = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
  if (frames.empty() || !cascade.load(file)) {
    state.SkipWithError(("needs ../shared/data/dlib-faces and " + file).c_str());
    return;
  }
  const int lever = static_cast<int>(state.range(0));
  const double scaleStep = lever == 1 ? 1.3 : 1.2;
  const double shrink = lever == 2 ? 24.0 / 40.0 : 1.0;
  const int minFace = static_cast<int>(std::lround(40 * shrink));
  const int previousThreads = cv::getNumThreads();
  cv::setNumThreads(2);
  long long faces = 0;
  cv::Mat small, equalized;
  std::vector<cv::Rect> found;
  double totalMs = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    faces = 0;
    for (const cv::Mat& f : frames) {
      if (shrink < 1.0)
        cv::resize(f, small, cv::Size(), shrink, shrink, cv::INTER_AREA);
      else
        small = f;
      cv::equalizeHist(small, equalized);
      cascade.detectMultiScale(equalized, found, scaleStep, 5, cv::CASCADE_SCALE_IMAGE,
                               cv::Size(minFace, minFace));
      faces += static_cast<long long>(found.size());
    }
    totalMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                   .count();
  }
  const double n = static_cast<double>(frames.size());
  state.counters["ms_per_frame"] = totalMs / (static_cast<double>(state.iterations()) * n);
  state.counters["faces_per_frame"] = static_cast<double>(faces) / n;
  cv::setNumThreads(previousThreads);
}

void BM_AlignGray(benchmark::State& state) {
  const microfer::FaceAligner aligner;
  cv::Mat gray(480, 640, CV_8UC1);
  cv::randu(gray, 0, 255);
  microfer::FaceDetection face;
  face.box = cv::Rect2f(250, 150, 120, 120);
  microfer::FiveLandmarks lm{};
  lm[0] = {285, 195};
  lm[1] = {335, 200};
  if (state.range(0)) face.landmarks = lm;  // 1: aligned on the eyes, 0: box only
  for (auto _ : state) {
    auto aligned = aligner.alignGray(gray, face);
    benchmark::DoNotOptimize(aligned.crop.data);
  }
}

std::unique_ptr<microfer::ExpressionClassifier> makeClassifier(microfer::TtaMode mode,
                                                               benchmark::State& state,
                                                               int parallelMinViews = -1) {
  microfer::ClassifierConfig c;
  if (parallelMinViews >= 0) c.parallelMinViews = parallelMinViews;
  if (const char* model = std::getenv("MICROFER_MODEL")) c.modelPath = model;
  c.tta.mode = mode;
  try {
    return std::make_unique<microfer::ExpressionClassifier>(c);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

/// TTA classification: range(0) faces, range(1) = TtaMode (0 off, 1 flip, 2 full),
/// range(2) = LibTorch's own threading with this many threads for the whole pass, or 0 = the
/// classifier's default (the pass split into one single-threaded chunk per core, see
/// ClassifierConfig::parallelMinViews).
void BM_Classify(benchmark::State& state) {
  const auto mode = static_cast<microfer::TtaMode>(state.range(1));
  auto cls = makeClassifier(mode, state, state.range(2) > 0 ? 0 : -1);
  if (!cls) return;
  const int previousThreads = at::get_num_threads();
  if (state.range(2) > 0) at::set_num_threads(static_cast<int>(state.range(2)));
  const int size = cls->cropGeometry().size;
  std::vector<cv::Mat> crops(static_cast<size_t>(state.range(0)));
  cv::RNG rng(1);
  for (auto& c : crops) {
    c.create(size, size, CV_8UC1);
    rng.fill(c, cv::RNG::UNIFORM, 0, 255);
  }
  for (auto _ : state) {
    auto preds = cls->classify(crops);
    benchmark::DoNotOptimize(preds.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  at::set_num_threads(previousThreads);
}

BENCHMARK(BM_HaarDetect)
    ->ArgName("cv_threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_HaarDetectNoEyes)
    ->ArgName("cv_threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MtcnnDetect)
    ->ArgName("cv_threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_HaarCascadeLever)
    ->ArgName("lever")
    ->DenseRange(0, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_AlignGray)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Classify)
    ->ArgNames({"faces", "tta", "torch_threads"})
    ->ArgsProduct({{1, 2, 4, 8, 16}, {0, 1, 2}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  microfer::restartWithPassiveOpenMpWait(argv);  // as the applications do
  // The same thread settings as the applications (LibTorch threads = cores, OpenCV's pool off).
  microfer::configureRuntime(0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
