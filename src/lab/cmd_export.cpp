#include <cstdio>
#include <fstream>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/train/device_trainer.hpp"
#include "microfer/classify/model_file.hpp"

namespace microfer::cli {

// Ships a trained model: re-saves it with the current crop geometry (the aligner contract)
// and notes, verified on reading back.
int runExport(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose", "keep-crop"}, {"model", "weights", "out", "notes", "name"});
  if (a.flag("help") || a.has("model") == a.has("weights") || !a.has("out")) {
    std::puts(
        "microfer-train export (--model TRAINED.mfm | --weights TRAINED.mfw) --out models/NAME.mfm\n"
        "  [--notes FILE] [--name NAME] [--keep-crop]\n"
        "Writes the model with the aligner's current crop geometry (unless --keep-crop) and\n"
        "the text of --notes stored in the file. --weights takes the portable weights that\n"
        "microfer-train-device writes (any LibTorch version, any machine). A model file of\n"
        "format 1 (weights in a LibTorch archive, written before 2026-12) is converted to the\n"
        "current format: convert only files you trust (LibTorch's archive reader parses it);\n"
        "--keep-crop keeps its crop geometry and calibration as they are.");
    return a.flag("help") ? 0 : 2;
  }
  ModelInfo info;
  MicroAttentionResNet net(nullptr);
  if (a.has("model")) {
    net = loadFormat1Model(a.get("model"), info);
  } else {
    PortableWeights w;
    net = readWeights(a.get("weights"), w);
    info.network = w.network;
    info.mean = w.mean;
    info.stdDev = w.stdDev;
    info.classNames = w.classNames;
    info.crop.size = w.network.inputSize;
    info.notes = w.notes;
  }
  if (!a.flag("keep-crop")) {
    CropGeometry g;
    g.size = info.crop.size;
    info.crop = g;
  }
  if (a.has("name")) info.name = a.get("name");
  if (a.has("notes")) {
    std::ifstream f(a.get("notes"));
    if (!f) throw std::runtime_error("cannot read notes file '" + a.get("notes") + "'");
    info.notes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  saveModel(a.get("out"), net, info);
  ModelInfo check;
  loadModel(a.get("out"), check);
  std::printf("wrote %s (%s, crop eyes %.3f/%.3f at y %.3f)\n", a.get("out").c_str(),
              check.name.c_str(), check.crop.leftEyeX, check.crop.rightEyeX, check.crop.eyeY);
  return 0;
}

}  // namespace microfer::cli
