#include "microfer/train/train_schedule.hpp"

#include <nlohmann/json.hpp>
#include <torch/optim/sgd.h>
#include <sstream>

#include <algorithm>
#include <cmath>

namespace microfer {

std::vector<float> balanceWeights(const std::vector<int>& counts, ClassBalance balance) {
  std::vector<float> w(counts.size(), 1.f);
  if (balance == ClassBalance::None) return w;
  double n = 0;
  int present = 0;
  for (int c : counts) {
    n += c;
    present += c > 0;
  }
  if (n <= 0) return w;
  double mean = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (!counts[c]) continue;
    const double r = n / (present * double(counts[c]));
    w[c] = float(balance == ClassBalance::Sqrt ? std::sqrt(r) : r);
    mean += w[c] * counts[c] / n;
  }
  for (auto& v : w) v = float(v / mean);  // average weight per sample = 1
  return w;
}

double scheduledLr(long step, long totalSteps, double warmupSteps, double peak) {
  if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
  const double t = (step - warmupSteps) / std::max(1.0, totalSteps - warmupSteps);
  return 0.5 * peak * (1 + std::cos(M_PI * std::min(1.0, t)));
}

int epochsWithinBudget(int planned, int done, double secondsPerEpoch, double usedSeconds,
                       double budgetSeconds) {
  const double left = std::max(0.0, budgetSeconds - usedSeconds);
  const double more = secondsPerEpoch > 0 ? 0.9 * left / secondsPerEpoch : 0.0;
  return std::clamp(done + int(std::min(more, 1e6)), done, std::max(done, planned));
}

std::string metricsCsv(const std::vector<EpochMetrics>& history) {
  std::ostringstream f;
  f << "epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_flip_accuracy,lr,seconds,"
       "images_per_second\n";
  for (const auto& m : history)
    f << m.epoch << ',' << m.trainLoss << ',' << m.trainAccuracy << ',' << m.valLoss << ','
      << m.valAccuracy << ',' << m.valFlipAccuracy << ',' << m.lr << ',' << m.seconds << ','
      << m.imagesPerSecond << '\n';
  return f.str();
}

nlohmann::json epochMetricsJson(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"train_loss", m.trainLoss},
          {"train_accuracy", m.trainAccuracy},
          {"val_loss", m.valLoss},
          {"val_accuracy", m.valAccuracy},
          {"lr", m.lr},
          {"seconds", m.seconds},
          {"images_per_second", m.imagesPerSecond}};
}
EpochMetrics epochMetricsFromJson(const nlohmann::json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch");
  m.trainLoss = j.at("train_loss");
  m.trainAccuracy = j.at("train_accuracy");
  m.valLoss = j.at("val_loss");
  m.valAccuracy = j.at("val_accuracy");
  m.lr = j.at("lr");
  m.seconds = j.at("seconds");
  m.imagesPerSecond = j.at("images_per_second");
  return m;
}

void setLearningRate(torch::optim::SGD& optimiser, double lr) {
  for (auto& g : optimiser.param_groups())
    static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
}

}  // namespace microfer
