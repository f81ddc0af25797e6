#include <cstdio>
#include <cstring>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/train/dataset.hpp"
#include "microfer/train/device_trainer.hpp"

namespace microfer::cli {

// Packs labelled crops into one file for microfer-train-device (which reads no images:
// it runs where only LibTorch is installed).
int runPack(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose"}, {"data", "csv", "split", "out", "size"});
  if (a.flag("help") || (!a.has("data") && !a.has("csv")) || !a.has("out")) {
    std::puts(
        "microfer-train pack (--data DIR | --csv fer2013.csv) --out FILE.mfc\n"
        "  [--split train|public|private|all] (all) [--size PIXELS] (48)\n"
        "Writes the crops (gray, size x size) and labels as a crop pack for\n"
        "microfer-train-device. --split keeps FER2013's Training_/PublicTest_/PrivateTest_\n"
        "files of a folder, or the rows of that Usage in fer2013.csv.");
    return a.flag("help") ? 0 : 2;
  }
  const std::string split = a.get("split", "all");
  if (split != "train" && split != "public" && split != "private" && split != "all")
    throw UsageError("--split must be train, public, private or all");
  Dataset ds;
  if (a.has("data")) {
    FolderOptions fo;
    fo.size = a.getInt("size", 48);
    fo.filePrefix = split == "train"    ? "Training_"
                    : split == "public"  ? "PublicTest_"
                    : split == "private" ? "PrivateTest_"
                                         : "";
    ds = loadImageFolder(a.get("data"), fo);
  } else {
    if (a.has("size") && a.getInt("size", 48) != 48)
      throw UsageError("fer2013.csv holds 48x48 crops; --size must be 48");
    ds = loadFer2013Csv(a.get("csv"), split == "train"     ? CsvUsage::Training
                                      : split == "public"  ? CsvUsage::PublicTest
                                      : split == "private" ? CsvUsage::PrivateTest
                                                           : CsvUsage::All);
  }
  CropPack p;
  p.size = ds.samples.front().image.cols;
  p.classNames = ds.classNames;
  p.labels.reserve(ds.samples.size());
  p.pixels.resize(ds.samples.size() * size_t(p.size) * p.size);
  uint8_t* dst = p.pixels.data();
  for (const auto& s : ds.samples) {
    CV_Assert(s.image.type() == CV_8UC1 && s.image.cols == p.size && s.image.rows == p.size);
    p.labels.push_back(uint8_t(s.label));
    for (int r = 0; r < p.size; ++r, dst += p.size) std::memcpy(dst, s.image.ptr(r), p.size);
  }
  writeCropPack(a.get("out"), p);
  const auto counts = p.classCounts();
  std::printf("wrote %s: %zu crops of %d px;", a.get("out").c_str(), p.count(), p.size);
  for (size_t c = 0; c < counts.size(); ++c)
    std::printf(" %s %d", p.classNames[c].c_str(), counts[c]);
  std::printf("\n");
  return 0;
}

}  // namespace microfer::cli
