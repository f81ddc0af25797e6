#include <torch/version.h>

#include <cstdio>
#include <filesystem>
#include <opencv2/core/version.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/runtime/checksum.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/classify/model_file.hpp"

namespace microfer::cli {

int runInfo(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose"}, {"model"});
  if (a.flag("help")) {
    std::puts("microfer-cli info [--model FILE] — show the model and the detectors");
    return 0;
  }
  int rc = 0;
  const std::string path = a.get("model", defaultModelPath());
  if (path.empty()) {
    std::puts("model: none installed (expected models/microfer-resnet10.mfm)");
    rc = 3;
  } else {
    try {
      ModelInfo info;
      MicroAttentionResNet net = loadModel(path, info);
      const double macs = static_cast<double>(net->multiplyAdds());
      std::printf(
          "model: %s\n  file: %s\n  parameters: %lld\n  compute: %.1f M multiply-adds a view "
          "(%.2f GFLOP; TTA flip runs 2 views a face, full 8)\n  width %d, blocks",
          info.name.c_str(), path.c_str(), static_cast<long long>(net->parameterCount()),
          macs / 1e6, 2 * macs / 1e9, info.network.width);
      for (int b : info.network.blocksPerStage) std::printf(" %d", b);
      std::printf(", attention %s, input %dx%d\n  crop: eyes at (%.2f, %.2f) and (%.2f, %.2f)\n",
                  describeAttention(info.network).c_str(), info.network.inputSize,
                  info.network.inputSize, info.crop.leftEyeX, info.crop.eyeY, info.crop.rightEyeX,
                  info.crop.eyeY);
      std::printf("  classes:");
      for (const auto& c : info.classNames) std::printf(" %s", c.c_str());
      std::printf("\n  calibration: temperature %.2f, uncertain below %.2f%s\n", info.temperature,
                  info.uncertainBelow, info.uncertainBelow > 0 ? "" : " (never)");
      std::printf("  notes: %s\n", info.notes.c_str());
    } catch (const std::exception& e) {
      std::printf("model: %s\n", e.what());
      rc = 3;
    }
  }
  for (DetectorKind kind : {DetectorKind::Haar, DetectorKind::Mtcnn, DetectorKind::Yunet}) {
    DetectorConfig dc;
    dc.kind = kind;
    try {
      createFaceDetector(dc);
      std::printf("detector %s: available%s\n", toString(kind).c_str(),
                  kind == DetectorKind::Mtcnn   ? (" (" + findMtcnnDir() + ")").c_str()
                  : kind == DetectorKind::Yunet ? (" (" + findYunetDir() + ")").c_str()
                                                : "");
    } catch (const std::exception& e) {
      std::printf("detector %s: unavailable: %s\n", toString(kind).c_str(), e.what());
    }
  }
  std::printf("detector auto (the default of microfer-cli and microfer): %s\n",
              toString(resolveDetectorChoice("auto")).c_str());
  return rc;
}

}  // namespace microfer::cli
