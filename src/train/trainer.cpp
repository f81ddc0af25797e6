#include "microfer/train/trainer.hpp"

#include <torch/torch.h>  // optimisers, losses, checkpoints: the whole C++ API

#include "microfer/runtime/file_io.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>
#include <opencv2/core.hpp>

#include "microfer/train/face_api_teacher.hpp"
#include "microfer/train/plot.hpp"
#include "microfer/train/weight_transfer.hpp"
#include "microfer/types.hpp"

namespace microfer {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// The layout of checkpoint.json: 1 (no "format" field) until 2026-12-07; 2 adds
/// "soft_targets". A run refuses a checkpoint of a newer format.
constexpr int kCheckpointFormat = 2;

double sourceWeight(const std::vector<double>& w, int source) {
  return source >= 0 && source < static_cast<int>(w.size()) ? w[source] : 1.0;
}

}  // namespace

std::vector<std::vector<float>> classWeightTable(const std::vector<Sample>& samples,
                                                 const std::vector<double>& sourceWeights,
                                                 ClassBalance balance, bool perSource,
                                                 int numClasses) {
  int sources = 1;
  for (const auto& s : samples) sources = std::max(sources, s.source + 1);
  // Class counts as an epoch draws them (source weights applied), pooled or per source.
  std::vector<std::vector<double>> drawn(perSource ? sources : 1,
                                         std::vector<double>(numClasses, 0.0));
  for (const auto& s : samples)
    if (s.label >= 0 && s.label < numClasses)
      drawn[perSource ? s.source : 0][s.label] += sourceWeight(sourceWeights, s.source);
  std::vector<std::vector<float>> table;
  for (const auto& d : drawn) {
    std::vector<int> counts(numClasses, 0);
    for (int c = 0; c < numClasses; ++c) counts[c] = static_cast<int>(std::lround(d[c]));
    table.push_back(balanceWeights(counts, balance));
  }
  while (static_cast<int>(table.size()) < sources) table.push_back(table.front());
  return table;
}

namespace {

std::string fmtTime(double s) {
  char buf[32];
  const int t = int(s);
  std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  return buf;
}


/// The teachers of a run: each distinct model file loaded once; `groups[g]` lists the teachers
/// whose softened probabilities are averaged for group g: one group per source, or a single
/// group that serves every source.
struct Teachers {
  /// Each teacher's logits for a batch of the student's input.
  std::vector<std::function<torch::Tensor(const torch::Tensor&)>> models;
  std::vector<std::vector<size_t>> groups;
  bool empty() const { return models.empty(); }
  size_t groupOf(int source) const { return groups.size() == 1 ? 0 : size_t(source); }
};

/// The averaged softened probabilities of one group's teachers on x.
torch::Tensor softTargets(Teachers& teachers, size_t group, const torch::Tensor& x, double t) {
  torch::Tensor soft;
  for (const size_t m : teachers.groups[group]) {
    const torch::Tensor p = torch::softmax(teachers.models[m](x) / t, 1);
    soft = soft.defined() ? soft + p : p;
  }
  return soft / double(teachers.groups[group].size());
}

/// (1 - w) * hard loss + w * T^2 * KL(teacher_T || student_T), each image's soft targets those
/// of its source's teachers (the teachers' softened probabilities averaged).
torch::Tensor distilled(const torch::Tensor& hard, const torch::Tensor& logits,
                        const torch::Tensor& x, const std::vector<size_t>& groupOfImage,
                        Teachers& teachers, const TrainConfig& cfg) {
  const double t = cfg.distillTemperature;
  torch::Tensor soft;
  {
    torch::NoGradGuard ng;
    std::vector<std::vector<int64_t>> rows(teachers.groups.size());
    for (size_t i = 0; i < groupOfImage.size(); ++i)
      rows[groupOfImage[i]].push_back(int64_t(i));
    for (size_t g = 0; g < rows.size(); ++g) {
      if (rows[g].size() == groupOfImage.size()) {  // the whole batch: no copy
        soft = softTargets(teachers, g, x, t);
        break;
      }
      if (rows[g].empty()) continue;
      if (!soft.defined()) soft = torch::empty_like(logits);
      const torch::Tensor index = torch::tensor(rows[g]).to(x.device());
      soft.index_copy_(0, index, softTargets(teachers, g, x.index_select(0, index), t));
    }
  }
  const torch::Tensor logStudent = torch::log_softmax(logits / t, 1);
  const torch::Tensor kl =
      (soft * (torch::log(soft.clamp_min(1e-8)) - logStudent)).sum(1).mean() * (t * t);
  return hard * (1.0 - cfg.distillWeight) + kl * cfg.distillWeight;
}

}  // namespace

namespace {
std::map<int, std::vector<int>> bySource(const std::vector<Sample>& samples) {
  std::map<int, std::vector<int>> groups;
  for (int i = 0; i < static_cast<int>(samples.size()); ++i) groups[samples[i].source].push_back(i);
  return groups;
}
}  // namespace

size_t epochDraws(const std::vector<Sample>& samples, const std::vector<double>& sourceWeights) {
  size_t n = 0;
  for (const auto& [source, idx] : bySource(samples)) {
    const double w = sourceWeight(sourceWeights, source);
    if (w < 0) throw std::invalid_argument("source weights must not be negative");
    n += static_cast<size_t>(std::floor(w)) * idx.size() +
         static_cast<size_t>(std::lround((w - std::floor(w)) * idx.size()));
  }
  return n;
}

std::vector<int> epochOrder(const std::vector<Sample>& samples,
                            const std::vector<double>& sourceWeights, std::mt19937& rng) {
  std::vector<int> order;
  order.reserve(epochDraws(samples, sourceWeights));
  for (auto& [source, idx] : bySource(samples)) {
    const double w = sourceWeight(sourceWeights, source);
    for (int r = 0; r < static_cast<int>(std::floor(w)); ++r)
      order.insert(order.end(), idx.begin(), idx.end());
    const size_t part = static_cast<size_t>(std::lround((w - std::floor(w)) * idx.size()));
    if (part > 0) {
      std::shuffle(idx.begin(), idx.end(), rng);
      order.insert(order.end(), idx.begin(), idx.begin() + part);
    }
  }
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

double validationScore(const std::vector<Sample>& samples,
                       const std::vector<std::vector<float>>& probs,
                       std::vector<double>* perSource) {
  if (perSource) perSource->clear();
  double sum = 0;
  const auto groups = bySource(samples);
  for (const auto& [source, idx] : groups) {
    long right = 0;
    for (int i : idx) {
      const auto& p = probs[i];
      right += int(std::max_element(p.begin(), p.end()) - p.begin()) == samples[i].label;
    }
    const double acc = double(right) / idx.size();
    if (perSource) perSource->push_back(acc);
    sum += acc;
  }
  return groups.empty() ? 0.0 : sum / groups.size();
}

std::vector<std::vector<float>> predictCrops(MicroAttentionResNet& model,
                                             const std::vector<cv::Mat>& crops, float mean,
                                             float stdDev, int batchSize) {
  c10::InferenceMode guard;
  const bool wasTraining = model->is_training();
  model->eval();
  const auto device = model->parameters().front().device();
  const int s = model->config().inputSize;
  std::vector<std::vector<float>> out;
  out.reserve(crops.size());
  for (size_t start = 0; start < crops.size(); start += batchSize) {
    const size_t n = std::min(crops.size() - start, size_t(batchSize));
    torch::Tensor batch = torch::empty({int64_t(n), 1, s, s});
    for (size_t i = 0; i < n; ++i) {
      cv::Mat dst(s, s, CV_32F, batch[i].data_ptr<float>());
      normaliseCrop(crops[start + i], dst, mean, stdDev);
    }
    torch::Tensor p = torch::softmax(model->forward(batch.to(device)), 1).to(torch::kCPU);
    for (size_t i = 0; i < n; ++i) {
      const float* row = p[i].data_ptr<float>();
      out.emplace_back(row, row + p.size(1));
    }
  }
  if (wasTraining) model->train();
  return out;
}

TrainingBatch makeTrainingBatch(const Dataset& trainSet, const std::vector<int>& order, int first,
                                int count, int size, std::mt19937& rng, const TrainConfig& cfg,
                                const std::vector<std::vector<float>>& weightTable,
                                bool softTargets) {
  const int classes = cfg.network.numClasses;
  TrainingBatch b;
  b.x = torch::empty({count, 1, size, size});
  b.y = torch::empty({count}, torch::kLong);
  b.w = torch::empty({count});
  if (softTargets) b.target = torch::empty({count, classes});
  for (int i = 0; i < count; ++i) {
    const Sample& smp = trainSet.samples[size_t(order[size_t(first + i)])];
    cv::Mat dst(size, size, CV_32F, b.x[i].data_ptr<float>());
    augmentCrop(smp.image, dst, rng, cfg.augment, cfg.mean, cfg.stdDev);
    b.y[i] = smp.label;
    b.w[i] = weightTable[size_t(cfg.balancePerSource ? smp.source : 0)][size_t(smp.label)];
    if (!softTargets) continue;
    float* row = b.target[i].data_ptr<float>();
    if (!smp.target.empty()) {
      std::copy(smp.target.begin(), smp.target.end(), row);
    } else {
      const float eps = float(cfg.labelSmoothing);
      std::fill(row, row + classes, eps / classes);
      row[smp.label] += 1.f - eps;
    }
  }
  return b;
}

torch::Tensor softTargetLoss(const torch::Tensor& logits, const torch::Tensor& target,
                             const torch::Tensor& weight) {
  return (-(target * torch::log_softmax(logits, 1)).sum(1) * weight).sum() / weight.sum();
}

TrainResult train(const Dataset& trainSet, const Dataset* val, const TrainConfig& cfg) {
  if (trainSet.samples.empty()) throw std::invalid_argument("empty training set");
  if (cfg.lowResEpochs > 0 && (cfg.lowResSize < 8 || cfg.lowResSize > cfg.network.inputSize))
    throw std::invalid_argument("low-resolution size must be 8.." +
                                std::to_string(cfg.network.inputSize));
  fs::create_directories(cfg.outDir);
  const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  torch::manual_seed(cfg.seed);

  ModelInfo info;
  info.name = cfg.modelName;
  info.network = cfg.network;
  info.mean = cfg.mean;
  info.stdDev = cfg.stdDev;
  info.classNames = trainSet.classNames;
  info.classNames.resize(cfg.network.numClasses, "class");
  info.crop.size = cfg.network.inputSize;
  info.notes = cfg.notes;

  MicroAttentionResNet model(cfg.network);
  if (!cfg.initModel.empty()) {
    ModelInfo initInfo;
    MicroAttentionResNet init = loadModel(cfg.initModel, initInfo);
    // A narrower --init model is widened (widenInto); a wider one cannot be narrowed.
    const bool widen = initInfo.network.width < cfg.network.width;
    if (initInfo.network.width > cfg.network.width)
      throw std::invalid_argument("--init model '" + cfg.initModel + "' has width " +
                                  std::to_string(initInfo.network.width) +
                                  ", wider than this run's " +
                                  std::to_string(cfg.network.width));
    if (widen && cfg.initNewClassifier)
      throw std::invalid_argument("--init model '" + cfg.initModel +
                                  "': a run cannot widen a model and replace its classifier "
                                  "at once");
    if ((initInfo.network.numClasses != cfg.network.numClasses && !cfg.initNewClassifier) ||
        initInfo.network.blocksPerStage != cfg.network.blocksPerStage ||
        initInfo.network.attention != cfg.network.attention)
      throw std::invalid_argument("--init model '" + cfg.initModel +
                                  "' has a different architecture");
    // The two wirings have the same tensors: copying one into the other would load silently.
    if (describeAttention(initInfo.network) != describeAttention(cfg.network))
      throw std::invalid_argument("--init model '" + cfg.initModel + "' has attention " +
                                  describeAttention(initInfo.network) + ", this run " +
                                  describeAttention(cfg.network));
    if (widen) {
      widenInto(*init, *model);
    } else {
      torch::NoGradGuard ng;
      auto dst = model->named_parameters();
      for (const auto& p : init->named_parameters())
        if (!cfg.initNewClassifier || p.key().rfind("fc.", 0) != 0) dst[p.key()].copy_(p.value());
      auto dstB = model->named_buffers();
      for (const auto& b : init->named_buffers()) dstB[b.key()].copy_(b.value());
    }
    info.crop = initInfo.crop;
  }
  model->to(device);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(cfg.lr)
                                                 .momentum(cfg.momentum)
                                                 .nesterov(true)
                                                 .weight_decay(cfg.weightDecay));
  const auto weightTable = classWeightTable(trainSet.samples, cfg.sourceWeights, cfg.balance,
                                            cfg.balancePerSource, cfg.network.numClasses);
  // Pooled balance: one class-weight vector (the loss every shipped model was trained with);
  // per source: a weight per image, looked up by its source and class.
  const torch::Tensor weights = torch::tensor(weightTable.front()).to(device);
  if (!cfg.teacherModels.empty() && !cfg.sourceTeacherModels.empty())
    throw std::invalid_argument("give teachers for all sources or per source, not both");
  // One list for every source, or one per source: what the checkpoint records.
  const std::vector<std::vector<std::string>> teacherLists =
      cfg.teacherModels.empty() ? cfg.sourceTeacherModels
                                : std::vector<std::vector<std::string>>{cfg.teacherModels};
  Teachers teachers;
  {
    if (!cfg.sourceTeacherModels.empty())
      for (const auto& smp : trainSet.samples)
        if (size_t(smp.source) >= teacherLists.size())
          throw std::invalid_argument("teacher lists are given for sources 0.." +
                                      std::to_string(teacherLists.size() - 1) +
                                      ", the training data has source " +
                                      std::to_string(smp.source) + " (one list per source)");
    std::map<std::string, size_t> loaded;
    for (const auto& list : teacherLists) {
      if (list.empty()) throw std::invalid_argument("a source's teacher list is empty");
      teachers.groups.emplace_back();
      for (const auto& path : list) {
        auto known = loaded.find(path);
        if (known == loaded.end()) {
          known = loaded.emplace(path, teachers.models.size()).first;
          if (isFaceApiTeacherFile(path)) {
            // The pretrained face teacher (face-api's network, or a fine-tuned copy): it takes
            // the same crops, back to pixels and resized to its 112 x 112 RGB input.
            FaceApiExpressionNet teacher = loadFaceApiTeacher(path);
            teacher->to(device);
            const float mean = cfg.mean, stdDev = cfg.stdDev;
            teachers.models.push_back([teacher, mean, stdDev](const torch::Tensor& x) mutable {
              return teacher->forward(faceApiInputFromBatch(x, mean, stdDev));
            });
          } else {
            ModelInfo ti;
            MicroAttentionResNet teacher = loadModel(path, ti);
            if (ti.network.numClasses != cfg.network.numClasses)
              throw std::invalid_argument("teacher '" + path + "' has " +
                                          std::to_string(ti.network.numClasses) +
                                          " classes, not " + std::to_string(cfg.network.numClasses));
            // The teacher sees the student's batch: same normalisation and input size.
            if (ti.mean != cfg.mean || ti.stdDev != cfg.stdDev ||
                ti.network.inputSize != cfg.network.inputSize ||
                ti.network.inChannels != cfg.network.inChannels)
              throw std::invalid_argument("teacher '" + path +
                                          "' expects another input (normalisation or size)");
            teacher->to(device);
            teacher->eval();
            // A teacher is never trained: on the CPU its convolutions run prepacked, as at
            // inference.
            if (device.is_cpu()) teacher->packForInference();
            teachers.models.push_back(
                [teacher](const torch::Tensor& x) mutable { return teacher->forward(x); });
          }
        }
        teachers.groups.back().push_back(known->second);
      }
    }
  }
  if (!teachers.empty() && !(cfg.distillWeight >= 0 && cfg.distillWeight <= 1 &&
                             cfg.distillTemperature > 0))
    throw std::invalid_argument("distillation weight must be 0..1 and its temperature > 0");

  // Soft targets (FER+ votes, Sample::target): those images learn the raters' distribution,
  // the others their hard label, smoothed; each image weighted by its class (of its source).
  const bool haveSoftTargets =
      std::any_of(trainSet.samples.begin(), trainSet.samples.end(),
                  [](const Sample& smp) { return !smp.target.empty(); });
  for (const auto& smp : trainSet.samples)
    if (!smp.target.empty() && int(smp.target.size()) != cfg.network.numClasses)
      throw std::invalid_argument("'" + smp.path + "' has a soft target over " +
                                  std::to_string(smp.target.size()) + " classes, the network " +
                                  std::to_string(cfg.network.numClasses));

  const fs::path out(cfg.outDir);
  const auto ckModel = out / "checkpoint-model.pt", ckOpt = out / "checkpoint-optim.pt",
             ckState = out / "checkpoint.json";
  TrainResult result;
  result.bestModel = (out / "best.mfm").string();
  result.lastModel = (out / "last.mfm").string();
  double bestVal = -1;
  int startEpoch = 0;
  if (cfg.resume && fs::exists(ckState)) {
    std::ifstream f(ckState);
    const auto j = nlohmann::json::parse(f);
    // Checkpoints since 2026-12-02 name the attention wiring (older ones: MicroFER's, the only
    // one then); both wirings have the same tensors, so torch::load alone would not notice.
    const std::string wiring = j.value("attention", describeAttention(NetworkConfig{}));
    if (cfg.network.attention && wiring != describeAttention(cfg.network))
      throw std::invalid_argument("the checkpoint in " + cfg.outDir + " was trained with attention " +
                                  wiring + ", this run asks for " + describeAttention(cfg.network) +
                                  " (resume it with the --attention-wiring it started with)");
    // Checkpoints since 2026-12-03 say whether each source's classes were balanced within it
    // (older ones: pooled, the only balance then); a resumed run keeps the loss it began with.
    const bool perSource = j.value("balance_per_source", false);
    if (perSource != cfg.balancePerSource)
      throw std::invalid_argument(
          "the checkpoint in " + cfg.outDir + " was trained " +
          (perSource ? "with" : "without") + " --balance-per-source, this run asks " +
          (cfg.balancePerSource ? "for it" : "without it") +
          " (resume it with the balance it started with)");
    // Checkpoints since 2026-12-03 (afternoon) name the teachers and the distillation loss
    // (older ones: unchecked); a resumed run keeps the soft targets it began with.
    if (j.contains("teachers")) {
      const auto was = j.at("teachers").get<std::vector<std::vector<std::string>>>();
      if (was != teacherLists ||
          (!was.empty() && (j.value("distill_weight", -1.0) != cfg.distillWeight ||
                            j.value("distill_temperature", -1.0) != cfg.distillTemperature)))
        throw std::invalid_argument("the checkpoint in " + cfg.outDir +
                                    " was trained with other teachers or distillation settings "
                                    "(resume it with the --teacher or --source-teachers, "
                                    "--distill and --distill-temp it started with)");
    }
    if (j.value("format", 1) > kCheckpointFormat)
      throw std::invalid_argument("the checkpoint in " + cfg.outDir +
                                  " was written by a newer MicroFER (format " +
                                  std::to_string(j.value("format", 1)) + ")");
    // Format 2 records whether images learnt soft targets (FER+ votes); format 1 had none.
    if (j.value("soft_targets", false) != haveSoftTargets)
      throw std::invalid_argument("the checkpoint in " + cfg.outDir + " was trained " +
                                  (haveSoftTargets ? "without" : "with") +
                                  " soft targets (FER+ votes), this run " +
                                  (haveSoftTargets ? "has them" : "has none") +
                                  " (resume it with the data it started with)");
    startEpoch = j.at("epochs_done");
    bestVal = j.at("best_val");
    result.bestEpoch = j.at("best_epoch");
    for (const auto& e : j.at("history")) result.history.push_back(epochMetricsFromJson(e));
    torch::load(model, ckModel.string(), device);
    torch::load(opt, ckOpt.string(), device);
    if (!cfg.quiet) spdlog::info("resumed from {} after epoch {}", cfg.outDir, startEpoch);
  }

  const int n = static_cast<int>(epochDraws(trainSet.samples, cfg.sourceWeights));
  if (n == 0) throw std::invalid_argument("the source weights leave no training image");
  const int s = cfg.network.inputSize;
  int batchesPerEpoch = (n + cfg.batchSize - 1) / cfg.batchSize;
  if (cfg.maxBatchesPerEpoch > 0)
    batchesPerEpoch = std::min(batchesPerEpoch, cfg.maxBatchesPerEpoch);
  const long totalSteps = long(batchesPerEpoch) * cfg.epochs;
  const bool tty = isatty(fileno(stderr));
  const auto lrAt = [&](long step) {
    return scheduledLr(step, totalSteps, cfg.warmupEpochs * batchesPerEpoch, cfg.lr);
  };

  const int endEpoch =
      cfg.stopAfterEpochs > 0 ? std::min(cfg.epochs, cfg.stopAfterEpochs) : cfg.epochs;
  for (int epoch = startEpoch; epoch < endEpoch; ++epoch) {
    // Every epoch reseeds from (seed, epoch): a resumed run repeats the same batches.
    std::mt19937 rng(cfg.seed * 1000003u + epoch);
    torch::manual_seed(cfg.seed * 7919u + epoch);
    const std::vector<int> order = epochOrder(trainSet.samples, cfg.sourceWeights, rng);
    model->train();
    const int size = epoch < cfg.lowResEpochs ? cfg.lowResSize : s;
    const auto t0 = Clock::now();
    double lossSum = 0, dataSeconds = 0;
    long correct = 0, seen = 0;
    for (int b = 0; b < batchesPerEpoch; ++b) {
      const auto tData = Clock::now();
      const int first = b * cfg.batchSize;
      const int bs = std::min(cfg.batchSize, n - first);
      TrainingBatch batch = makeTrainingBatch(trainSet, order, first, bs, size, rng, cfg,
                                              weightTable, haveSoftTargets);
      std::vector<size_t> groupOfImage(teachers.empty() ? 0 : size_t(bs));
      for (int i = 0; i < bs && !teachers.empty(); ++i)
        groupOfImage[size_t(i)] = teachers.groupOf(trainSet.samples[order[first + i]].source);
      torch::Tensor x = batch.x, y = batch.y, w = batch.w, target = batch.target;
      x = x.to(device);
      y = y.to(device);
      dataSeconds += std::chrono::duration<double>(Clock::now() - tData).count();
      const double lr = lrAt(long(epoch) * batchesPerEpoch + b);
      setLearningRate(opt, lr);
      opt.zero_grad();
      torch::Tensor logits = model->forward(x);
      namespace F = torch::nn::functional;
      torch::Tensor loss;
      if (haveSoftTargets) {
        // Cross-entropy against each image's target distribution, weighted mean by image.
        loss = softTargetLoss(logits, target.to(device), w.to(device));
      } else if (cfg.balancePerSource) {
        // A weight per image (its class's weight within its source), the weighted mean over the
        // batch. Without label smoothing this is cross_entropy's class-weighted mean; with it,
        // the smoothing term is weighted by the image's weight, where cross_entropy's class
        // weights weight each class's share of it by that class's weight.
        const torch::Tensor wd = w.to(device);
        loss = (F::cross_entropy(logits, y,
                                 F::CrossEntropyFuncOptions()
                                     .reduction(torch::kNone)
                                     .label_smoothing(cfg.labelSmoothing)) *
                wd)
                   .sum() /
               wd.sum();
      } else {
        loss = F::cross_entropy(
            logits, y, F::CrossEntropyFuncOptions().weight(weights).label_smoothing(cfg.labelSmoothing));
      }
      if (!teachers.empty()) loss = distilled(loss, logits, x, groupOfImage, teachers, cfg);
      loss.backward();
      opt.step();
      lossSum += loss.item<double>() * bs;
      correct += logits.argmax(1).eq(y).sum().item<long>();
      seen += bs;
      if (!cfg.quiet && (tty || (b + 1) % 50 == 0 || b + 1 == batchesPerEpoch)) {
        const double el = std::chrono::duration<double>(Clock::now() - t0).count();
        const double rate = seen / std::max(el, 1e-9);
        // Remaining work in images of this epoch's size; an image's cost grows with its
        // pixels, so low-resolution and full-size epochs convert by area.
        const auto cost = [&](int e) {
          const double side = e < cfg.lowResEpochs ? cfg.lowResSize : s;
          return side * side / (double(size) * size);
        };
        double later = 0;
        for (int e = epoch + 1; e < cfg.epochs; ++e) later += cost(e);
        const double eta = (double(batchesPerEpoch - b - 1) * cfg.batchSize +
                            later * batchesPerEpoch * cfg.batchSize) /
                           rate;
        const int barW = 30, filled = barW * (b + 1) / batchesPerEpoch;
        std::fprintf(stderr,
                     "%sepoch %d/%d [%s%s] %3d%% loss %.4f acc %.4f lr %.4f %.0f img/s ETA %s%s",
                     tty ? "\r" : "", epoch + 1, cfg.epochs, std::string(filled, '#').c_str(),
                     std::string(barW - filled, '.').c_str(), 100 * (b + 1) / batchesPerEpoch,
                     lossSum / seen, double(correct) / seen, lr, rate, fmtTime(eta).c_str(),
                     tty ? "" : "\n");
      }
    }
    if (!cfg.quiet && tty) std::fprintf(stderr, "\n");
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.trainLoss = lossSum / seen;
    m.trainAccuracy = double(correct) / seen;
    m.imagesPerSecond = seen / m.seconds;
    m.lr = lrAt(long(epoch + 1) * batchesPerEpoch - 1);
    if (val && !val->samples.empty()) {
      std::vector<cv::Mat> crops;
      for (const auto& v : val->samples) crops.push_back(v.image);
      const auto probs = predictCrops(model, crops, cfg.mean, cfg.stdDev);
      double vloss = 0;
      for (size_t i = 0; i < probs.size(); ++i)
        vloss -= std::log(std::max(1e-12f, probs[i][val->samples[i].label]));
      m.valLoss = vloss / probs.size();
      std::vector<double> perSource;
      m.valAccuracy = validationScore(val->samples, probs, &perSource);
      if (!cfg.quiet && perSource.size() > 1) {
        std::string text;
        for (double v : perSource) text += fmt::format(" {:.4f}", v);
        spdlog::info("validation accuracy per source:{} (mean {:.4f})", text, m.valAccuracy);
      }
    }
    result.history.push_back(m);
    if (!cfg.quiet)
      spdlog::info(
          "epoch {}/{}: train loss {:.4f} acc {:.4f} | val loss {:.4f} acc {:.4f} | "
          "{:.0f} s, {:.0f} img/s ({:.0f} % of the time preparing batches)",
          m.epoch, cfg.epochs, m.trainLoss, m.trainAccuracy, m.valLoss, m.valAccuracy, m.seconds,
          m.imagesPerSecond, 100 * dataSeconds / std::max(m.seconds, 1e-9));

    // Model files (CPU copies), then the checkpoint, each written atomically.
    const double score = m.valAccuracy >= 0 ? m.valAccuracy : m.epoch;
    model->to(torch::kCPU);
    saveModel(result.lastModel, model, info);
    if (score > bestVal) {
      bestVal = score;
      result.bestEpoch = m.epoch;
      saveModel(result.bestModel, model, info);
    }
    model->to(device);
    // The checkpoint: model, optimiser, then the state that names the epoch (written last, so
    // a crash between leaves the previous epoch's state pointing at a complete pair or at the
    // new one). Each goes through writeFileAtomically, the one temporary-then-rename.
    for (const auto& [path, save] :
         {std::pair<fs::path, std::function<void(std::ostream&)>>{
              ckModel, [&](std::ostream& s) { torch::save(model, s); }},
          {ckOpt, [&](std::ostream& s) { torch::save(opt, s); }}}) {
      std::ostringstream bytes;
      save(bytes);
      writeFileAtomically(path.string(), bytes.str());
    }
    nlohmann::json state = {{"format", kCheckpointFormat},
                            {"epochs_done", epoch + 1},
                            {"soft_targets", haveSoftTargets},
                            {"attention", describeAttention(cfg.network)},
                            {"balance_per_source", cfg.balancePerSource},
                            {"teachers", teacherLists},
                            {"distill_weight", cfg.distillWeight},
                            {"distill_temperature", cfg.distillTemperature},
                            {"best_val", bestVal},
                            {"best_epoch", result.bestEpoch},
                            {"history", nlohmann::json::array()}};
    for (const auto& h : result.history) state["history"].push_back(epochMetricsJson(h));
    writeFileAtomically(ckState.string(), state.dump(1));
    writeFileAtomically((out / "metrics.csv").string(), metricsCsv(result.history));
    std::vector<double> trainAcc, valAcc, trainLoss;
    for (const auto& h : result.history) {
      trainAcc.push_back(h.trainAccuracy);
      if (h.valAccuracy >= 0) valAcc.push_back(h.valAccuracy);
      trainLoss.push_back(h.trainLoss);
    }
    writeImageAtomically((out / "curves.png").string(),
                         plotTrainingCurves(cfg.modelName + " training", trainAcc, valAcc, {},
                                            trainLoss));
  }
  if (result.bestEpoch == 0 && !result.history.empty())
    result.bestEpoch = result.history.back().epoch;
  return result;
}

}  // namespace microfer
