#include "microfer/train/cross_validation.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "microfer/classify/model_file.hpp"

namespace microfer {

TrainConfig foldTrainDefaults(bool transfer) {
  TrainConfig cfg;
  cfg.epochs = 30;
  cfg.batchSize = 32;
  cfg.lr = transfer ? 0.003 : 0.01;
  cfg.warmupEpochs = transfer ? 0 : 1;
  cfg.quiet = true;
  return cfg;
}

std::vector<int> leaveOneSubjectOutFolds(const std::vector<Sample>& samples,
                                         std::vector<std::string>* subjects) {
  std::map<std::string, int> foldOf;
  for (const auto& s : samples) {
    if (s.subject.empty())
      throw DatasetError("leave-one-subject-out needs a subject for every sample; '" + s.path +
                         "' has none");
    foldOf.emplace(s.subject, 0);
  }
  if (foldOf.size() < 2)
    throw DatasetError("leave-one-subject-out needs at least 2 subjects, found " +
                       std::to_string(foldOf.size()));
  int next = 0;
  if (subjects) subjects->clear();
  for (auto& [subject, f] : foldOf) {
    f = next++;
    if (subjects) subjects->push_back(subject);
  }
  std::vector<int> fold;
  fold.reserve(samples.size());
  for (const auto& s : samples) fold.push_back(foldOf.at(s.subject));
  return fold;
}

std::vector<FoldResult> crossValidate(const Dataset& data, const std::vector<int>& fold,
                                      const std::function<TrainConfig(int)>& configFor,
                                      const std::function<void(const FoldResult&)>& onFold) {
  if (fold.size() != data.samples.size())
    throw std::invalid_argument("crossValidate: one fold per sample expected");
  const int numFolds = fold.empty() ? 0 : *std::max_element(fold.begin(), fold.end()) + 1;
  const int numClasses = static_cast<int>(data.classNames.size());
  std::vector<FoldResult> results;
  for (int f = 0; f < numFolds; ++f) {
    FoldResult r;
    r.fold = f;
    r.confusion = ConfusionMatrix(numClasses);
    Dataset train;
    train.classNames = data.classNames;
    std::vector<cv::Mat> crops;
    for (size_t i = 0; i < data.samples.size(); ++i) {
      if (fold[i] < 0) throw std::invalid_argument("crossValidate: negative fold");
      if (fold[i] == f) {
        r.testIndices.push_back(i);
        crops.push_back(data.samples[i].image);
      } else {
        r.trainIndices.push_back(i);
        train.samples.push_back(data.samples[i]);
      }
    }
    if (r.testIndices.empty())
      throw std::invalid_argument("crossValidate: fold " + std::to_string(f) + " is empty");
    const TrainConfig cfg = configFor(f);
    if (cfg.network.numClasses != numClasses)
      throw std::invalid_argument("crossValidate: the network has " +
                                  std::to_string(cfg.network.numClasses) + " outputs for " +
                                  std::to_string(numClasses) + " classes");
    const TrainResult trained = microfer::train(train, nullptr, cfg);
    ModelInfo info;
    MicroAttentionResNet model = loadModel(trained.lastModel, info);
    const auto probs = predictCrops(model, crops, info.mean, info.stdDev);
    for (size_t j = 0; j < probs.size(); ++j) {
      const int p = int(std::max_element(probs[j].begin(), probs[j].end()) - probs[j].begin());
      r.predicted.push_back(p);
      r.confusion.add(data.samples[r.testIndices[j]].label, p);
    }
    if (onFold) onFold(r);
    results.push_back(std::move(r));
  }
  return results;
}

ConfusionMatrix pooledConfusion(const std::vector<FoldResult>& folds, int numClasses) {
  ConfusionMatrix pooled(numClasses);
  for (const auto& f : folds) pooled += f.confusion;
  return pooled;
}

}  // namespace microfer
