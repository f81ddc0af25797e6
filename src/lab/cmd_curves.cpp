#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "args.hpp"
#include "commands.hpp"
#include "microfer/train/plot.hpp"

namespace microfer::cli {

// Draws the training curves of a metrics.csv: the one microfer-train train writes (it also
// draws them itself) or the one of microfer-train-device, which runs where there is no
// OpenCV to draw with.
int runCurves(const std::vector<std::string>& argv) {
  const Args a(argv, {"help", "verbose"}, {"metrics", "out", "title"});
  if (a.flag("help") || !a.has("metrics") || !a.has("out")) {
    std::puts(
        "microfer-train curves --metrics RUN/metrics.csv --out curves.png [--title TEXT]\n"
        "Plots train accuracy, validation accuracy (and flip-TTA validation accuracy where the\n"
        "file has it) and train loss per epoch.");
    return a.flag("help") ? 0 : 2;
  }
  const std::string path = a.get("metrics");
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read '" + path + "'");
  std::string line;
  std::getline(f, line);
  std::map<std::string, size_t> col;
  {
    std::istringstream h(line);
    std::string name;
    for (size_t i = 0; std::getline(h, name, ','); ++i) col[name] = i;
  }
  for (const char* need : {"epoch", "train_loss", "train_accuracy", "val_accuracy"})
    if (!col.count(need))
      throw std::runtime_error("'" + path + "': header lacks column '" + need + "'");
  const bool hasFlip = col.count("val_flip_accuracy") > 0;
  std::vector<double> trainAcc, valAcc, valFlip, trainLoss;
  for (int lineNo = 2; std::getline(f, line); ++lineNo) {
    if (line.empty()) continue;
    std::vector<double> v;
    std::istringstream in(line);
    std::string cell;
    try {
      while (std::getline(in, cell, ',')) v.push_back(std::stod(cell));
    } catch (const std::logic_error&) {
      throw std::runtime_error("'" + path + "':" + std::to_string(lineNo) + ": not a number: '" +
                               cell + "'");
    }
    if (v.size() < col.size())
      throw std::runtime_error("'" + path + "':" + std::to_string(lineNo) + ": too few columns");
    trainAcc.push_back(v[col["train_accuracy"]]);
    if (v[col["val_accuracy"]] >= 0) valAcc.push_back(v[col["val_accuracy"]]);
    if (hasFlip && v[col["val_flip_accuracy"]] >= 0) valFlip.push_back(v[col["val_flip_accuracy"]]);
    trainLoss.push_back(v[col["train_loss"]]);
  }
  if (trainAcc.empty()) throw std::runtime_error("'" + path + "': no epochs");
  const size_t epochs = trainAcc.size();
  writeImageAtomically(a.get("out"), plotTrainingCurves(a.get("title", "training"), trainAcc,
                                                        valAcc, valFlip, trainLoss));
  std::printf("wrote %s (%zu epochs)\n", a.get("out").c_str(), epochs);
  return 0;
}

}  // namespace microfer::cli
