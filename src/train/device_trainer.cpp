#include "microfer/train/device_trainer.hpp"

#include <torch/torch.h>  // optimisers, losses, checkpoints: the whole C++ API

#include <ATen/Context.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "microfer/runtime/checksum.hpp"
#include "microfer/runtime/file_io.hpp"
#include "microfer/classify/tensor_codec.hpp"

namespace microfer {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

// ---- little-endian byte buffers -------------------------------------------------------

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // x86-64 and aarch64 are little-endian
  out.append(b, sizeof(T));
}
void putString(std::string& out, const std::string& s) {
  put<uint32_t>(out, uint32_t(s.size()));
  out += s;
}

class Reader {
 public:
  Reader(std::string data, std::string path) : data_(std::move(data)), path_(std::move(path)) {}
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  const char* take(size_t n) {
    if (n > data_.size() - pos_) fail("truncated");
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string getString(size_t maxLen = 1 << 20) {
    const uint32_t n = get<uint32_t>();
    if (n > maxLen) fail("implausible string length " + std::to_string(n));
    return std::string(take(n), n);
  }
  size_t left() const { return data_.size() - pos_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("'" + path_ + "': " + why);
  }

 private:
  std::string data_, path_;
  size_t pos_ = 0;
};

// Reads a whole file, checks magic and trailing checksum; returns a reader after the magic.
Reader openChecked(const std::string& path, const char (&magic)[9], const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(std::string(what) + " '" + path + "': cannot open");
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (data.size() < 16 || data.compare(0, 8, magic) != 0)
    throw std::runtime_error(std::string(what) + " '" + path + "': not a MicroFER " + what +
                             " (wrong magic or too short)");
  uint64_t stored;
  std::memcpy(&stored, data.data() + data.size() - 8, 8);
  if (fnv1a64(data.data() + 8, data.size() - 16) != stored)
    throw std::runtime_error(std::string(what) + " '" + path +
                             "': checksum mismatch (damaged or truncated)");
  data.resize(data.size() - 8);
  Reader r(std::move(data), path);
  r.take(8);
  return r;
}

void writeChecked(const std::string& path, const char (&magic)[9], const std::string& body) {
  std::string out(magic, 8);
  out += body;
  put<uint64_t>(out, fnv1a64(body.data(), body.size()));
  writeFileAtomically(path, out);
}

const char kPackMagic[9] = "MFCROPS1";
const char kWeightsMagic[9] = "MFWEIGHT";

std::string joinInts(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

}  // namespace

// ---- crop packs ------------------------------------------------------------------------

std::vector<int> CropPack::classCounts() const {
  std::vector<int> c(classNames.size(), 0);
  for (uint8_t l : labels)
    if (l < c.size()) ++c[l];
  return c;
}

void writeCropPack(const std::string& path, const CropPack& p) {
  if (p.pixels.size() != p.count() * size_t(p.size) * p.size)
    throw std::runtime_error("crop pack '" + path + "': pixel count does not match");
  std::string body;
  put<uint32_t>(body, uint32_t(p.count()));
  put<uint32_t>(body, uint32_t(p.size));
  put<uint32_t>(body, uint32_t(p.classNames.size()));
  for (const auto& n : p.classNames) putString(body, n);
  body.append(reinterpret_cast<const char*>(p.labels.data()), p.labels.size());
  body.append(reinterpret_cast<const char*>(p.pixels.data()), p.pixels.size());
  writeChecked(path, kPackMagic, body);
}

CropPack readCropPack(const std::string& path) {
  Reader r = openChecked(path, kPackMagic, "crop pack");
  CropPack p;
  const uint32_t n = r.get<uint32_t>();
  p.size = int(r.get<uint32_t>());
  const uint32_t classes = r.get<uint32_t>();
  if (p.size < 8 || p.size > 1024 || classes == 0 || classes > 255)
    r.fail("implausible crop size or class count");
  for (uint32_t c = 0; c < classes; ++c) p.classNames.push_back(r.getString(256));
  if (r.left() != size_t(n) * (1 + size_t(p.size) * p.size))
    r.fail("size does not match " + std::to_string(n) + " crops of " + std::to_string(p.size) +
           " px");
  const char* l = r.take(n);
  p.labels.assign(l, l + n);
  for (uint8_t v : p.labels)
    if (v >= classes) r.fail("label " + std::to_string(v) + " out of range");
  const size_t px = size_t(n) * p.size * p.size;
  const char* d = r.take(px);
  p.pixels.assign(d, d + px);
  return p;
}

// ---- portable weights -----------------------------------------------------------------

void writeWeights(const std::string& path, MicroAttentionResNet& model,
                  const PortableWeights& info) {
  const NetworkConfig& n = model->config();
  std::ostringstream h;
  h.precision(9);
  h << "blocks=" << joinInts(n.blocksPerStage) << "\nwidth=" << n.width
    << "\ninput=" << n.inputSize << "\nin_channels=" << n.inChannels
    << "\nclasses=" << n.numClasses << "\nattention=" << (n.attention ? 1 : 0)
    << "\nattention_raw_first=" << (n.attentionRawFirst ? 1 : 0)
    << "\nattention_bias=" << (n.attentionBias ? 1 : 0)
    << "\ndropout=" << n.dropout << "\nmean=" << info.mean << "\nstd=" << info.stdDev
    << "\nclass_names=";
  for (size_t i = 0; i < info.classNames.size(); ++i) h << (i ? "," : "") << info.classNames[i];
  std::string notes = info.notes;
  for (char& c : notes)
    if (c == '\n') c = ' ';
  h << "\nnotes=" << notes << "\n";
  std::string body;
  put<uint64_t>(body, h.str().size());
  body += h.str();
  body += encodeTensors(model);
  writeChecked(path, kWeightsMagic, body);
}

MicroAttentionResNet readWeights(const std::string& path, PortableWeights& info) {
  Reader r = openChecked(path, kWeightsMagic, "weights file");
  const uint64_t hlen = r.get<uint64_t>();
  if (hlen > (1u << 20)) r.fail("implausible header length");
  std::map<std::string, std::string> kv;
  for (const auto& line : split(std::string(r.take(hlen), hlen), '\n')) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  const auto need = [&](const char* k) -> const std::string& {
    const auto it = kv.find(k);
    if (it == kv.end()) r.fail(std::string("header lacks '") + k + "'");
    return it->second;
  };
  info = PortableWeights{};
  try {
    info.network.blocksPerStage.clear();
    for (const auto& b : split(need("blocks"), ',')) info.network.blocksPerStage.push_back(std::stoi(b));
    info.network.width = std::stoi(need("width"));
    info.network.inputSize = std::stoi(need("input"));
    info.network.inChannels = std::stoi(need("in_channels"));
    info.network.numClasses = std::stoi(need("classes"));
    info.network.attention = need("attention") == "1";
    // Optional: files written before 2026-12-02 have MicroFER's wiring (raw A, biases).
    const auto flag = [&](const char* k) {
      const auto it = kv.find(k);
      if (it == kv.end()) return true;
      if (it->second != "0" && it->second != "1") r.fail(std::string("'") + k + "' is not 0 or 1");
      return it->second == "1";
    };
    info.network.attentionRawFirst = flag("attention_raw_first");
    info.network.attentionBias = flag("attention_bias");
    info.network.dropout = std::stod(need("dropout"));
    info.mean = std::stof(need("mean"));
    info.stdDev = std::stof(need("std"));
  } catch (const std::logic_error&) {
    r.fail("malformed number in the header");
  }
  info.classNames = split(need("class_names"), ',');
  info.notes = kv.count("notes") ? kv["notes"] : "";
  if (int(info.classNames.size()) != info.network.numClasses)
    r.fail("class names do not match the class count");
  MicroAttentionResNet model(info.network);
  const size_t size = r.left();
  try {
    decodeTensorsInto(model, r.take(size), size);
  } catch (const std::runtime_error& e) {
    r.fail(e.what());
  }
  model->eval();
  return model;
}

// ---- augmentation ---------------------------------------------------------------------

torch::Tensor warpBatch(const torch::Tensor& x, const torch::Tensor& angleDeg,
                        const torch::Tensor& scale, const torch::Tensor& shiftX,
                        const torch::Tensor& shiftY, const torch::Tensor& flip) {
  // Normalised coordinates (align_corners: -1 and 1 are the outer pixel centres, 0 the
  // centre used by augmentCrop). Forward map: out = F (M in + d), M = s R(angle) in
  // y-down image coordinates as cv::getRotationMatrix2D builds it, F the mirror.
  // grid_sample needs the inverse: in = M^-1 (F out - d).
  const int64_t s = x.size(3);
  const auto a = angleDeg * (M_PI / 180.0);
  const auto c = torch::cos(a) / scale, sn = torch::sin(a) / scale;
  const auto f = 1 - 2 * flip;  // -1 mirrors
  const auto dx = shiftX * (2.0 * s / (s - 1)), dy = shiftY * (2.0 * s / (s - 1));
  // M = s [[cos, sin], [-sin, cos]]  =>  M^-1 = (1/s) [[cos, -sin], [sin, cos]]
  const auto theta = torch::stack({torch::stack({c * f, -sn, -(c * dx - sn * dy)}, 1),
                                   torch::stack({sn * f, c, -(sn * dx + c * dy)}, 1)},
                                  1);
  const auto grid = F::affine_grid(theta.to(x.scalar_type()), x.sizes(), true);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kReflection)
                            .align_corners(true));
}

torch::Tensor augmentBatch(const torch::Tensor& pixels, const AugmentConfig& c, float mean,
                           float stdDev) {
  const int64_t n = pixels.size(0), s = pixels.size(2);
  const auto opts = torch::TensorOptions().device(pixels.device()).dtype(torch::kFloat);
  const auto range = [&](double lo, double hi) { return torch::rand({n}, opts) * (hi - lo) + lo; };
  torch::Tensor x = pixels.to(torch::kFloat) / 255.0;
  const auto flip = c.flip ? (torch::rand({n}, opts) < 0.5).to(torch::kFloat)
                           : torch::zeros({n}, opts);
  x = warpBatch(x, range(-c.maxRotationDeg, c.maxRotationDeg), range(c.minScale, c.maxScale),
                range(-c.maxShift, c.maxShift), range(-c.maxShift, c.maxShift), flip);
  const auto gain = range(1 - c.contrast, 1 + c.contrast).view({n, 1, 1, 1});
  const auto bias = range(-c.brightness, c.brightness).view({n, 1, 1, 1});
  x = ((x - 0.5) * gain + 0.5 + bias - mean) / stdDev;
  if (c.eraseProbability > 0) {
    const auto apply = torch::rand({n}, opts) < c.eraseProbability;
    const auto area = range(c.eraseMinArea, c.eraseMaxArea) * double(s * s);
    const auto aspect = torch::exp(range(std::log(0.3), std::log(3.3)));
    const auto h = torch::round(torch::sqrt(area * aspect)).clamp(1, s);
    const auto w = torch::round(torch::sqrt(area / aspect)).clamp(1, s);
    const auto y0 = torch::floor(torch::rand({n}, opts) * (s - h + 1));
    const auto x0 = torch::floor(torch::rand({n}, opts) * (s - w + 1));
    const auto idx = torch::arange(s, opts);
    const auto rows = idx.view({1, s, 1}), cols = idx.view({1, 1, s});
    const auto v = [&](const torch::Tensor& t) { return t.view({n, 1, 1}); };
    const auto mask = v(apply) & (rows >= v(y0)) & (rows < v(y0 + h)) & (cols >= v(x0)) &
                      (cols < v(x0 + w));
    x = torch::where(mask.unsqueeze(1), torch::randn_like(x), x);
  }
  return x;
}

// ---- training -------------------------------------------------------------------------

namespace {

struct PackTensors {
  torch::Tensor pixels, labels;  // N x 1 x S x S uint8, N int64 (on the device)
};
PackTensors toDevice(const CropPack& p, const torch::Device& device) {
  const int64_t n = int64_t(p.count());
  PackTensors t;
  t.pixels = torch::from_blob(const_cast<uint8_t*>(p.pixels.data()), {n, 1, p.size, p.size},
                              torch::kUInt8)
                 .to(device);
  t.labels = torch::from_blob(const_cast<uint8_t*>(p.labels.data()), {n}, torch::kUInt8)
                 .to(torch::kLong)
                 .to(device);
  return t;
}

// Accuracy without TTA and with flip TTA (probabilities of crop and mirror averaged).
std::pair<double, double> evaluate(MicroAttentionResNet& model, const PackTensors& v, float mean,
                                   float stdDev) {
  torch::NoGradGuard noGrad;
  model->eval();
  const int64_t n = v.labels.size(0);
  torch::Tensor plain = torch::zeros({}, v.labels.options()), flip = plain.clone();
  for (int64_t b = 0; b < n; b += 1024) {
    const int64_t e = std::min(n, b + 1024);
    const auto x = (v.pixels.slice(0, b, e).to(torch::kFloat) / 255.0 - mean) / stdDev;
    const auto y = v.labels.slice(0, b, e);
    const auto p = torch::softmax(model->forward(x), 1);
    const auto pf = torch::softmax(model->forward(x.flip({3})), 1);
    plain += p.argmax(1).eq(y).sum();
    flip += (p + pf).argmax(1).eq(y).sum();
  }
  model->train();
  return {plain.item<double>() / n, flip.item<double>() / n};
}

}  // namespace

namespace {
constexpr int kBudgetEpoch = 2;  // the epoch (0-based) whose duration sizes the schedule
}  // namespace

DeviceTrainResult trainOnDevice(const CropPack& trainPack, const CropPack* valPack,
                                const DeviceTrainConfig& cfg) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (trainPack.count() == 0) throw std::invalid_argument("empty training pack");
  if (trainPack.size != cfg.network.inputSize)
    throw std::invalid_argument("crop pack size " + std::to_string(trainPack.size) +
                                " != network input " + std::to_string(cfg.network.inputSize));
  if (valPack && valPack->size != trainPack.size)
    throw std::invalid_argument("validation pack has another crop size");
  fs::create_directories(cfg.outDir);
  const bool cuda = !cfg.cpu && torch::cuda::is_available();
  const torch::Device device = cuda ? torch::kCUDA : torch::kCPU;
  if (cuda) at::globalContext().setBenchmarkCuDNN(true);
  torch::manual_seed(cfg.seed);

  DeviceTrainResult result;
  result.device = cuda ? "cuda" : "cpu";
  PortableWeights info;
  info.network = cfg.network;
  info.mean = cfg.mean;
  info.stdDev = cfg.stdDev;
  info.classNames = trainPack.classNames;
  info.classNames.resize(cfg.network.numClasses, "class");
  info.notes = cfg.notes;

  MicroAttentionResNet model(cfg.network);
  model->to(device);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(cfg.lr)
                                                 .momentum(cfg.momentum)
                                                 .nesterov(true)
                                                 .weight_decay(cfg.weightDecay));
  std::vector<int> counts = trainPack.classCounts();
  counts.resize(cfg.network.numClasses, 0);
  const torch::Tensor weights = torch::tensor(balanceWeights(counts, cfg.balance)).to(device);
  const PackTensors tr = toDevice(trainPack, device);
  PackTensors va;
  if (valPack && valPack->count()) va = toDevice(*valPack, device);

  const int64_t n = tr.labels.size(0);
  int batches = int((n + cfg.batchSize - 1) / cfg.batchSize);
  if (cfg.maxBatchesPerEpoch > 0) batches = std::min(batches, cfg.maxBatchesPerEpoch);
  int epochs = cfg.epochs;
  const fs::path out(cfg.outDir);
  double best = -1;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    const auto t0 = Clock::now();
    torch::manual_seed(cfg.seed * 7919u + epoch);  // a run repeats for its seed
    const auto order = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong)).to(device);
    model->train();
    torch::Tensor lossSum = torch::zeros({}, torch::TensorOptions().device(device));
    torch::Tensor correct = torch::zeros({}, tr.labels.options());
    int64_t seen = 0;
    const long totalSteps = long(batches) * epochs;
    double lr = 0;
    for (int b = 0; b < batches; ++b) {
      const int64_t first = int64_t(b) * cfg.batchSize, last = std::min(n, first + cfg.batchSize);
      const auto idx = order.slice(0, first, last);
      const auto x = augmentBatch(tr.pixels.index_select(0, idx), cfg.augment, cfg.mean,
                                  cfg.stdDev);
      const auto y = tr.labels.index_select(0, idx);
      lr = scheduledLr(long(epoch) * batches + b, totalSteps, cfg.warmupEpochs * batches, cfg.lr);
      setLearningRate(opt, lr);
      opt.zero_grad();
      const auto logits = model->forward(x);
      const auto loss = F::cross_entropy(
          logits, y, F::CrossEntropyFuncOptions().weight(weights).label_smoothing(cfg.labelSmoothing));
      loss.backward();
      opt.step();
      lossSum += loss.detach() * double(last - first);
      correct += logits.argmax(1).eq(y).sum();
      seen += last - first;
    }
    EpochMetrics m;
    m.epoch = epoch + 1;
    m.trainLoss = lossSum.item<double>() / seen;
    m.trainAccuracy = correct.item<double>() / seen;
    m.lr = lr;
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.imagesPerSecond = seen / m.seconds;
    if (va.labels.defined()) std::tie(m.valAccuracy, m.valFlipAccuracy) =
        evaluate(model, va, cfg.mean, cfg.stdDev);
    result.history.push_back(m);

    if (epoch == kBudgetEpoch && epochs > kBudgetEpoch + 1 && cfg.budgetSeconds > 0) {
      // Fit the whole cosine schedule into the budget, timed on this (third) epoch: the
      // first ones include the device's warm-up (cuDNN's algorithm search, other jobs
      // starting). The epochs so far ran with the longer schedule, at learning rates within
      // 0.3 % of the new one's (when the budget holds more than a few epochs).
      const double used = std::chrono::duration<double>(Clock::now() - start).count();
      const double per = std::chrono::duration<double>(Clock::now() - t0).count();
      const int fit = epochsWithinBudget(epochs, epoch + 1, per, used, cfg.budgetSeconds);
      if (fit < epochs) {
        epochs = fit;
        if (!cfg.quiet)
          std::fprintf(stderr, "budget %.0f s: schedule shortened to %d epochs (%.1f s each)\n",
                       cfg.budgetSeconds, epochs, per);
      }
    }
    const double score = m.valAccuracy >= 0 ? m.valAccuracy : m.epoch;
    writeWeights((out / "last.mfw").string(), model, info);  // copies to the CPU
    if (score > best) {
      best = score;
      result.bestEpoch = m.epoch;
      writeWeights((out / "best.mfw").string(), model, info);
    }
    writeFileAtomically((out / "metrics.csv").string(), metricsCsv(result.history));
    if (!cfg.quiet)
      std::fprintf(stderr,
                   "epoch %d/%d loss %.4f acc %.4f | val %.4f flip %.4f | lr %.4f %.1f s %.0f "
                   "img/s\n",
                   m.epoch, epochs, m.trainLoss, m.trainAccuracy, m.valAccuracy,
                   m.valFlipAccuracy, m.lr, m.seconds, m.imagesPerSecond);
  }
  result.epochs = epochs;
  if (result.bestEpoch == 0 && !result.history.empty())
    result.bestEpoch = result.history.back().epoch;
  return result;
}

}  // namespace microfer
