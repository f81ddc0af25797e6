#include <cstdio>

#include "commands.hpp"
#include "common.hpp"
#include "microfer/classify/model_info.hpp"
#include "microfer/train/photo_crops.hpp"
#include "microfer/types.hpp"

namespace microfer::cli {

namespace {
const char* kCropsHelp = R"(microfer-train crops — training crops from a photo set

Usage: microfer-train crops --photos DIR --out DIR [options]

Runs the detector and the aligner (the geometry of the model the crops are for) on every
photo of DIR/<class>/ and writes the largest face of each as OUT/<class>/<name>.png, with
OUT/crops.csv (every photo: found or not, detector score). A complete OUT made with the
same settings is reused, not recomputed. Prints the share of photos with a face found.

  --photos DIR           folder per class (e.g. ../shared/data/lfw-expressions)
  --out DIR              the crop cache (e.g. runs/cache/lfw-expressions)
  --pad FRACTION         grey padding on each side, as a fraction of the photo's longer
                         side, before detection (default 0.25: tight face crops need it)
  --model FILE           the model whose crop geometry is used (default: the shipped one)
)";
}  // namespace

int runCrops(const std::vector<std::string>& argv) {
  const PipelineOptions pipelineOptions(
      {"detector", "min-face", "mtcnn-thresholds", "yunet-thresholds", "threads"});
  const Args a = pipelineOptions.parse(argv, {"help", "verbose"}, {"photos", "out", "pad", "model"});
  if (a.flag("help")) {
    std::fputs(kCropsHelp, stdout);
    std::fputs(("\nPipeline options:\n" + pipelineOptions.help()).c_str(), stdout);
    return 0;
  }
  if (!a.has("photos") || !a.has("out")) throw UsageError("crops needs --photos DIR and --out DIR");
  const PipelineConfig pc = pipelineConfigFromArgs(a);
  configureRuntime(pc.classifier.threads);
  PhotoCropOptions o;
  o.detector = pc.detector;
  const std::string model = pc.classifier.modelPath.empty() ? defaultModelPath() : pc.classifier.modelPath;
  if (model.empty()) throw std::runtime_error("no model file found for the crop geometry");
  o.geometry = readModelInfo(model).crop;
  o.pad = static_cast<float>(a.getDouble("pad", 0.25));
  if (o.pad < 0 || o.pad > 2) throw UsageError("--pad must be 0..2");
  const PhotoCropReport r = cropPhotoFolder(a.get("photos"), a.get("out"), o);
  std::printf("%s: face found in %d of %d photos (%.2f%%)%s\n", a.get("out").c_str(), r.found,
              r.photos, 100 * r.foundShare(), r.fromCache ? " [cached]" : "");
  for (int c = 0; c < kNumEmotions; ++c)
    if (r.photosPerClass[c] > 0)
      std::printf("  %-9s %5d of %5d (%.1f%%)\n", emotionNames()[c].c_str(), r.foundPerClass[c],
                  r.photosPerClass[c], 100.0 * r.foundPerClass[c] / r.photosPerClass[c]);
  return 0;
}

}  // namespace microfer::cli
