// Fuzz target: bytes -> decodeImage (size limit, EXIF, any format OpenCV reads) -> Pipeline
// (Haar detector, aligner, classifier with TTA) -> annotate -> ResultsWriter.
//
// Contract checked: a bad image is refused with InputError; an image that decodes runs
// through every stage and its results are written without any exception or crash.
// The classifier is a small untrained network written at start-up, so that one input costs
// a few milliseconds; the image size limit is small for the same reason.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "fuzz_util.hpp"
#include "microfer/output/annotator.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"

namespace {

namespace fs = std::filesystem;
using namespace microfer;

// 256 x 256: enough for a face the Haar detector finds, small enough for many inputs/s.
constexpr long long kMaxPixels = 256 * 256;

std::string writeSmallModel() {
  torch::manual_seed(7);
  NetworkConfig nc;
  nc.width = 4;
  MicroAttentionResNet net(nc);
  ModelInfo info;
  info.name = "fuzz-untrained";
  info.network = nc;
  info.classNames.assign(emotionNames().begin(), emotionNames().end());
  const std::string path = (fuzz::scratchDir() / "model.mfm").string();
  saveModel(path, net, info);
  return path;
}

Pipeline& pipeline() {
  static std::unique_ptr<Pipeline> p = [] {
    PipelineConfig cfg;
    cfg.classifier.modelPath = writeSmallModel();
    cfg.classifier.tta.mode = TtaMode::Flip;
    cfg.withAttention = true;  // the attention maps and their overlay are drawn too
    return std::make_unique<Pipeline>(cfg);
  }();
  return *p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quietLogs();
  configureRuntime(1);
  pipeline();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<unsigned char> bytes(data, data + size);
  ImageReadOptions options;
  options.maxPixels = kMaxPixels;
  cv::Mat image;
  try {
    image = decodeImage(bytes, "fuzz.png", options);
  } catch (const InputError&) {
    return 0;  // refused with a clear message: the expected outcome for most inputs
  }
  const FrameResult result = pipeline().process(image, "fuzz input.png", 0);
  AnnotateOptions ann;
  ann.attention = true;
  ann.probabilities = true;
  annotate(image, result, ann);

  // A fresh results folder for every input, so that nothing grows over a long run.
  const fs::path out = fuzz::scratchDir() / "results";
  std::error_code ec;
  fs::remove_all(out, ec);
  ResultsWriter writer(out.string());
  writer.append(result);
  writer.writeLabelledImage("fuzz input.png", image);
  return 0;
}
