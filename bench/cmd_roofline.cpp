// microfer-bench roofline: how near classification runs to what this machine's arithmetic
// allows. It prints the network's floating-point operations a view (its own count), the fp32
// throughput LibTorch reaches here on a large dense matrix product (one thread, and every
// thread the classifier uses), and for one face at each TTA mode the measured classify time
// beside the least it could be at that throughput.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <opencv2/core.hpp>

#include "bench_support.hpp"
#include "tool.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/classify/model_path.hpp"
#include "microfer/runtime/runtime.hpp"

namespace microfer::cli {

namespace {

const char* kRooflineHelp = R"(microfer-bench roofline — classify time against the machine's arithmetic

Usage: microfer-bench roofline [--model FILE] [--threads N] [--repeats R] [--json FILE]

Prints
  - the model's multiply-adds and floating-point operations (2 per multiply-add)
    for one view (its convolutions and classifier layer; the network counts them);
  - the fp32 throughput LibTorch reaches on this machine in a 1024 x 1024 matrix
    product (the best of R/20 runs, at least 5), on one thread and on the
    classifier's threads: about the most arithmetic this machine does per second;
  - for one face at each TTA mode (off 1 view, flip 2, full 8): the classify time
    (median of R calls of the classifier, as bench's classify stage) and the least
    it could take as the classifier runs it: each view on one thread, the views
    spread over the threads (one view alone stays on one thread), so the least is
    the busiest thread's views x operations / one thread's throughput.
A measured time near its least says the network's arithmetic is the limit there:
only a network with fewer operations (or faster arithmetic) can classify faster.

Options:
  --repeats R            classify calls per TTA mode (default 200)
  --json FILE            also write the figures as JSON
  --verbose              detailed log
)";
const char* kRooflineHelpEnd = R"(The last line is
  gflop_per_view=.. matmul_gflops_1=.. matmul_gflops_all=.. classify_off_ms=..
  classify_flip_ms=.. classify_full_ms=.. least_flip_ms=..
(on one line).
Exit codes: 0 done, 2 usage error, 3 model or set-up error.
)";

/// GFLOP/s of LibTorch's fp32 matrix product of two 1024 x 1024 matrices on `threads`
/// threads, the best of `runs` (a product takes 10-30 ms here, long enough to time).
double matmulGflops(int threads, int runs) {
  at::set_num_threads(threads);
  constexpr int64_t n = 1024;
  const torch::Tensor a = torch::rand({n, n}), b = torch::rand({n, n});
  torch::Tensor c = torch::mm(a, b);  // warm-up: the library's first call sets itself up
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < runs; ++r) {
    const auto t = Clock::now();
    torch::mm_out(c, a, b);
    best = std::min(best, msBetween(t, Clock::now()));
  }
  return 2.0 * n * n * n / best / 1e6;
}

/// Median milliseconds of classifying one face (a smooth gray crop of the model's size: the
/// time does not depend on the pixels) at `mode`, over `repeats` calls after a warm-up.
double classifyMs(const ClassifierConfig& base, TtaMode mode, int repeats) {
  ClassifierConfig config = base;
  config.tta.mode = mode;
  ExpressionClassifier classifier(config);
  const int s = classifier.cropGeometry().size;
  cv::Mat crop(s, s, CV_8UC1);
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) crop.at<uchar>(y, x) = static_cast<uchar>((x * 3 + y * 2) % 256);
  for (int i = 0; i < 10; ++i) classifier.classify(crop);
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(repeats));
  for (int i = 0; i < repeats; ++i) {
    const auto t = Clock::now();
    classifier.classify(crop);
    ms.push_back(msBetween(t, Clock::now()));
  }
  return percentile(ms, 0.5);
}

}  // namespace

int runRoofline(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions({"model", "threads"});
  const Args a = pipelineOptions.parse(argv, {"help", "verbose"}, {"repeats", "json"});
  if (a.flag("help")) {
    std::fputs(kRooflineHelp, stdout);
    std::fputs(("\nPipeline options:\n" + pipelineOptions.help() + "\n" + kRooflineHelpEnd).c_str(),
               stdout);
    return 0;
  }
  if (!a.positional().empty()) throw UsageError("unexpected argument '" + a.positional()[0] + "'");
  const int repeats = a.getInt("repeats", 200);
  if (repeats < 1) throw UsageError("--repeats must be at least 1");
  const PipelineConfig cfg = pipelineConfigFromArgs(a);
  configureRuntime(cfg.classifier.threads);
  const int threads = at::get_num_threads();
  const std::string model =
      cfg.classifier.modelPath.empty() ? defaultModelPath() : cfg.classifier.modelPath;
  if (model.empty()) throw std::runtime_error("no trained model is installed (--model FILE)");

  ModelInfo info;
  const int64_t macs = loadModel(model, info)->multiplyAdds();
  const double gflop = 2.0 * static_cast<double>(macs) / 1e9;
  std::printf("roofline: model %s (%s), %dx%d input, %d LibTorch thread(s)\n", info.name.c_str(),
              model.c_str(), info.network.inputSize, info.network.inputSize, threads);
  std::printf("network: %.1f M multiply-adds a view = %.3f GFLOP\n",
              static_cast<double>(macs) / 1e6, gflop);

  const int runs = std::max(5, repeats / 20);
  const double one = matmulGflops(1, runs);
  const double all = matmulGflops(threads, runs);  // also restores the thread count
  std::printf("fp32 matrix product (LibTorch, 1024 x 1024, best of %d): 1 thread %.1f GFLOP/s, "
              "%d thread(s) %.1f GFLOP/s\n",
              runs, one, threads, all);

  std::printf("classify one face (least = the busiest thread's views x %.3f GFLOP at %.1f "
              "GFLOP/s):\n",
              gflop, one);
  std::printf("  tta    views   p50 ms   least ms   least/p50\n");
  nlohmann::json json = {{"model", model},
                         {"torch_threads", threads},
                         {"multiply_adds_per_view", macs},
                         {"gflop_per_view", gflop},
                         {"matmul_gflops_1", round2(one)},
                         {"matmul_gflops_all", round2(all)}};
  char buf[160];
  std::snprintf(buf, sizeof buf, "gflop_per_view=%.3f matmul_gflops_1=%.1f matmul_gflops_all=%.1f",
                gflop, one, all);
  std::string last = buf;
  double leastFlip = 0;
  ClassifierConfig classifierConfig = cfg.classifier;
  classifierConfig.modelPath = model;
  classifierConfig.threads = threads;
  for (TtaMode mode : {TtaMode::Off, TtaMode::Flip, TtaMode::Full}) {
    TtaConfig tta;
    tta.mode = mode;
    const size_t views = makeTtaViews(tta, info.network.inputSize).size();
    const double measured = classifyMs(classifierConfig, mode, repeats);
    // As ExpressionClassifier splits a batch: one chunk a thread, each run on one thread.
    const int minViews = classifierConfig.parallelMinViews;
    const size_t chunks = minViews > 0 && views >= static_cast<size_t>(minViews)
                              ? std::min(views, static_cast<size_t>(threads))
                              : 1;
    const size_t busiest = (views + chunks - 1) / chunks;
    const double least = static_cast<double>(busiest) * gflop / one * 1000.0;
    if (mode == TtaMode::Flip) leastFlip = least;
    std::printf("  %-4s %7zu %8.2f %10.2f %9.0f %%\n", toString(mode).c_str(), views, measured,
                least, 100.0 * least / measured);
    json["classify_" + toString(mode) + "_ms"] = round2(measured);
    json["least_" + toString(mode) + "_ms"] = round2(least);
    std::snprintf(buf, sizeof buf, " classify_%s_ms=%.2f", toString(mode).c_str(), measured);
    last += buf;
  }
  std::snprintf(buf, sizeof buf, " least_flip_ms=%.2f", leastFlip);
  last += buf;
  writeJson(a.get("json"), json);
  std::printf("%s\n", last.c_str());
  return 0;
}

}  // namespace microfer::cli
