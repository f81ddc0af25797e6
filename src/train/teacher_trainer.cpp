#include "microfer/train/teacher_trainer.hpp"

#include <torch/torch.h>  // optimisers, checkpoints

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <sstream>
#include <stdexcept>

#include "microfer/runtime/file_io.hpp"

namespace microfer {
namespace fs = std::filesystem;

namespace {

/// The layout of teacher-checkpoint.json; a run refuses a newer one.
constexpr int kTeacherCheckpointFormat = 1;

template <typename Saveable>
void saveAtomically(const fs::path& path, Saveable& what) {
  std::ostringstream bytes;
  torch::save(what, bytes);
  writeFileAtomically(path.string(), bytes.str());
}

}  // namespace

std::vector<std::vector<float>> predictFaceApi(FaceApiExpressionNet& net,
                                               const std::vector<cv::Mat>& crops, bool flip,
                                               int batchSize) {
  c10::InferenceMode guard;
  const bool wasTraining = net->is_training();
  net->eval();
  const auto device = net->parameters().front().device();
  std::vector<std::vector<float>> out;
  out.reserve(crops.size());
  for (size_t start = 0; start < crops.size(); start += size_t(batchSize)) {
    const size_t n = std::min(crops.size() - start, size_t(batchSize));
    const int rows = crops[start].rows, cols = crops[start].cols;
    torch::Tensor batch = torch::empty({int64_t(n), 1, rows, cols});
    for (size_t i = 0; i < n; ++i) {
      const cv::Mat& crop = crops[start + i];
      if (crop.type() != CV_8UC1 || crop.rows != rows || crop.cols != cols)
        throw std::invalid_argument("predictFaceApi: crops must be 8-bit gray of one size");
      cv::Mat dst(rows, cols, CV_32F, batch[int64_t(i)].data_ptr<float>());
      crop.convertTo(dst, CV_32F, 1.0 / 255.0);
    }
    // Pixels / 255 are crops normalised with mean 0 and standard deviation 1.
    const torch::Tensor x = faceApiInputFromBatch(batch.to(device), 0.f, 1.f);
    torch::Tensor p = torch::softmax(net->forward(x), 1);
    if (flip) p = (p + torch::softmax(net->forward(x.flip({3})), 1)) / 2;
    p = p.to(torch::kCPU).contiguous();
    for (size_t i = 0; i < n; ++i) {
      const float* row = p[int64_t(i)].data_ptr<float>();
      out.emplace_back(row, row + p.size(1));
    }
  }
  if (wasTraining) net->train();
  return out;
}

TrainResult fineTuneFaceApiTeacher(const Dataset& trainSet, const Dataset* val,
                                   const TrainConfig& cfg, const std::string& start) {
  if (trainSet.samples.empty()) throw std::invalid_argument("empty training set");
  if (cfg.network.numClasses != 7)
    throw std::invalid_argument("the face teacher has 7 classes, the run asks for " +
                                std::to_string(cfg.network.numClasses));
  fs::create_directories(cfg.outDir);
  const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  torch::manual_seed(cfg.seed);
  FaceApiExpressionNet net = loadFaceApiTeacher(start);
  net->to(device);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(cfg.lr)
                                               .momentum(cfg.momentum)
                                               .nesterov(true)
                                               .weight_decay(cfg.weightDecay));
  const auto weightTable = classWeightTable(trainSet.samples, cfg.sourceWeights, cfg.balance,
                                            cfg.balancePerSource, cfg.network.numClasses);

  const fs::path out(cfg.outDir);
  const auto ckModel = out / "teacher-checkpoint-model.pt",
             ckOpt = out / "teacher-checkpoint-optim.pt", ckState = out / "teacher-checkpoint.json";
  TrainResult result;
  result.bestModel = (out / "teacher-best.pt").string();
  result.lastModel = (out / "teacher-last.pt").string();
  double bestVal = -1;
  int startEpoch = 0;
  if (cfg.resume && fs::exists(ckState)) {
    std::ifstream f(ckState);
    const auto j = nlohmann::json::parse(f);
    if (j.value("format", 0) > kTeacherCheckpointFormat)
      throw std::invalid_argument("the teacher checkpoint in " + cfg.outDir +
                                  " was written by a newer MicroFER");
    if (j.value("start", std::string()) != start)
      throw std::invalid_argument("the teacher checkpoint in " + cfg.outDir + " started from '" +
                                  j.value("start", std::string()) + "', this run from '" + start +
                                  "'");
    startEpoch = j.at("epochs_done");
    bestVal = j.at("best_val");
    result.bestEpoch = j.at("best_epoch");
    for (const auto& e : j.at("history")) result.history.push_back(epochMetricsFromJson(e));
    torch::load(net, ckModel.string(), device);
    torch::load(opt, ckOpt.string(), device);
    if (!cfg.quiet) spdlog::info("resumed the teacher from {} after epoch {}", cfg.outDir, startEpoch);
  }

  const int n = int(epochDraws(trainSet.samples, cfg.sourceWeights));
  int batchesPerEpoch = (n + cfg.batchSize - 1) / cfg.batchSize;
  if (cfg.maxBatchesPerEpoch > 0) batchesPerEpoch = std::min(batchesPerEpoch, cfg.maxBatchesPerEpoch);
  const long totalSteps = long(batchesPerEpoch) * cfg.epochs;
  const auto lrAt = [&](long step) {
    return scheduledLr(step, totalSteps, cfg.warmupEpochs * batchesPerEpoch, cfg.lr);
  };
  const int size = cfg.network.inputSize;
  const int endEpoch =
      cfg.stopAfterEpochs > 0 ? std::min(cfg.epochs, cfg.stopAfterEpochs) : cfg.epochs;
  for (int epoch = startEpoch; epoch < endEpoch; ++epoch) {
    std::mt19937 rng(cfg.seed * 1000003u + unsigned(epoch));
    torch::manual_seed(cfg.seed * 7919u + unsigned(epoch));
    const std::vector<int> order = epochOrder(trainSet.samples, cfg.sourceWeights, rng);
    net->train();
    const auto t0 = std::chrono::steady_clock::now();
    double lossSum = 0;
    long correct = 0, seen = 0;
    for (int b = 0; b < batchesPerEpoch; ++b) {
      const int first = b * cfg.batchSize;
      const int bs = std::min(cfg.batchSize, n - first);
      // Every image learns a distribution: its votes, or its label smoothed.
      const TrainingBatch batch =
          makeTrainingBatch(trainSet, order, first, bs, size, rng, cfg, weightTable, true);
      const double lr = lrAt(long(epoch) * batchesPerEpoch + b);
      setLearningRate(opt, lr);
      opt.zero_grad();
      const torch::Tensor logits =
          net->forward(faceApiInputFromBatch(batch.x.to(device), cfg.mean, cfg.stdDev));
      const torch::Tensor loss =
          softTargetLoss(logits, batch.target.to(device), batch.w.to(device));
      loss.backward();
      opt.step();
      lossSum += loss.item<double>() * bs;
      correct += logits.argmax(1).to(torch::kCPU).eq(batch.y).sum().item<long>();
      seen += bs;
      if (!cfg.quiet && ((b + 1) % 50 == 0 || b + 1 == batchesPerEpoch)) {
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        spdlog::info("teacher epoch {}/{} batch {}/{}: loss {:.4f} acc {:.4f} lr {:.4f} {:.0f} img/s",
                     epoch + 1, cfg.epochs, b + 1, batchesPerEpoch, lossSum / seen,
                     double(correct) / seen, lr, seen / std::max(el, 1e-9));
      }
    }
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.trainLoss = lossSum / double(seen);
    m.trainAccuracy = double(correct) / double(seen);
    m.imagesPerSecond = double(seen) / m.seconds;
    m.lr = lrAt(long(epoch + 1) * batchesPerEpoch - 1);
    if (val != nullptr && !val->samples.empty()) {
      std::vector<cv::Mat> crops;
      for (const auto& v : val->samples) crops.push_back(v.image);
      std::vector<double> perSource;
      m.valAccuracy = validationScore(val->samples, predictFaceApi(net, crops, false), &perSource);
      std::string text;
      for (double v : perSource) text += fmt::format(" {:.4f}", v);
      if (!cfg.quiet) spdlog::info("teacher validation accuracy per source:{}", text);
    }
    result.history.push_back(m);
    if (!cfg.quiet)
      spdlog::info("teacher epoch {}/{}: train loss {:.4f} acc {:.4f} | val acc {:.4f} | {:.0f} s",
                   m.epoch, cfg.epochs, m.trainLoss, m.trainAccuracy, m.valAccuracy, m.seconds);
    net->to(torch::kCPU);
    saveFaceApiTeacher(result.lastModel, net);
    const double score = m.valAccuracy >= 0 ? m.valAccuracy : m.epoch;
    if (score > bestVal) {
      bestVal = score;
      result.bestEpoch = m.epoch;
      saveFaceApiTeacher(result.bestModel, net);
    }
    net->to(device);
    saveAtomically(ckModel, net);
    saveAtomically(ckOpt, opt);
    nlohmann::json state = {{"format", kTeacherCheckpointFormat},
                            {"start", start},
                            {"epochs_done", epoch + 1},
                            {"best_val", bestVal},
                            {"best_epoch", result.bestEpoch},
                            {"history", nlohmann::json::array()}};
    for (const auto& h : result.history) state["history"].push_back(epochMetricsJson(h));
    writeFileAtomically(ckState.string(), state.dump(1));
    writeFileAtomically((out / "teacher-metrics.csv").string(), metricsCsv(result.history));
  }
  if (result.bestEpoch == 0 && !result.history.empty())
    result.bestEpoch = result.history.back().epoch;
  return result;
}

}  // namespace microfer
