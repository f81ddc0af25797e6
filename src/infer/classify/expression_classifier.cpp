#include "microfer/classify/expression_classifier.hpp"

#include <ATen/Parallel.h>
#include <omp.h>
#include <spdlog/spdlog.h>

#include <future>
#include <memory>
#include <numeric>
#include <optional>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "microfer/runtime/checksum.hpp"
#include "microfer/classify/model_file.hpp"

namespace microfer {

namespace {

/// Runs the enclosing scope's LibTorch work on one thread and restores the count on exit.
/// It is the OpenMP thread count of the calling thread (LibTorch's CPU kernels, oneDNN and
/// OpenBLAS all read it), so other threads are not affected; at::set_num_threads would also
/// clear oneDNN's primitive cache on every call. The count is read with at::get_num_threads,
/// which first gives a thread new to LibTorch its thread count: that first-use set-up would
/// otherwise undo the 1 set here.
class SingleThreadScope {
 public:
  SingleThreadScope() : previous_(at::get_num_threads()) {
    if (previous_ > 1) omp_set_num_threads(1);
  }
  ~SingleThreadScope() {
    if (previous_ > 1) omp_set_num_threads(previous_);
  }
  SingleThreadScope(const SingleThreadScope&) = delete;
  SingleThreadScope& operator=(const SingleThreadScope&) = delete;

 private:
  int previous_;
};

/// The network on `batch`, split into one chunk per LibTorch thread, each chunk run on a
/// single thread: the calling thread takes the first, LibTorch's inter-op pool the others.
/// On the 2-core machine this beats LibTorch's own splitting of each operator across threads
/// at every batch size, because OpenMP threads here wait passively and waking them for each
/// of the network's few dozen small operators costs milliseconds (`micro_bench
/// --benchmark_filter=Classify`, README Performance). Batches under `minViews` run whole on
/// the calling thread.
/// Joins the attention maps of consecutive parts of a batch: parts[p][b] is block b's map
/// for part p; out[b] gets all parts of block b, in order.
void catMaps(const std::vector<std::vector<torch::Tensor>>& parts,
             std::vector<torch::Tensor>& out) {
  if (parts.empty()) return;
  for (size_t b = 0; b < parts[0].size(); ++b) {
    std::vector<torch::Tensor> level;
    for (const auto& part : parts) level.push_back(part[b]);
    out.push_back(torch::cat(level, 0));
  }
}

torch::Tensor forwardChunked(MicroAttentionResNet& net, const torch::Tensor& batch,
                             bool withAttention, std::vector<torch::Tensor>& maps,
                             int minViews, int maxPiece) {
  const int64_t total = batch.size(0);
  const int64_t threads = at::get_num_threads();
  const int64_t chunks =
      (minViews > 0 && total >= minViews) ? std::min<int64_t>(threads, total) : 1;
  const SingleThreadScope oneThread;
  // One thread's chunk, in pieces of at most maxPiece views run one after the other.
  auto run = [&net, withAttention, maxPiece](const torch::Tensor& x,
                                             std::vector<torch::Tensor>& m) {
    if (maxPiece <= 0 || x.size(0) <= maxPiece)
      return withAttention ? net->forwardWithAttention(x, m) : net->forward(x);
    std::vector<torch::Tensor> logits;
    std::vector<std::vector<torch::Tensor>> pieceMaps;
    for (const auto& piece : x.split(maxPiece, 0)) {
      pieceMaps.emplace_back();
      logits.push_back(withAttention ? net->forwardWithAttention(piece, pieceMaps.back())
                                     : net->forward(piece));
    }
    if (withAttention) catMaps(pieceMaps, m);
    return torch::cat(logits, 0);
  };
  if (chunks <= 1) return run(batch, maps);

  const std::vector<torch::Tensor> parts = batch.chunk(chunks, 0);
  std::vector<torch::Tensor> logits(parts.size());
  std::vector<std::vector<torch::Tensor>> partMaps(parts.size());
  std::vector<std::future<void>> done;
  std::exception_ptr failure;
  try {
    for (size_t c = 1; c < parts.size(); ++c) {
      auto task = std::make_shared<std::packaged_task<void()>>([&, c] {
        c10::InferenceMode guard;  // thread-local, as is the thread count
        const SingleThreadScope poolThread;
        logits[c] = run(parts[c], partMaps[c]);
      });
      done.push_back(task->get_future());
      at::launch([task] { (*task)(); });
    }
    logits[0] = run(parts[0], partMaps[0]);
  } catch (...) {
    failure = std::current_exception();
  }
  for (auto& f : done) {  // wait for every task before the locals they use go away
    try {
      f.get();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (withAttention) catMaps(partMaps, maps);
  return torch::cat(logits, 0);
}

}  // namespace

TtaMode parseTtaMode(const std::string& name) {
  if (name == "off") return TtaMode::Off;
  if (name == "flip") return TtaMode::Flip;
  if (name == "full") return TtaMode::Full;
  throw std::invalid_argument("unknown TTA mode '" + name + "' (expected off, flip or full)");
}

std::string toString(TtaMode mode) {
  switch (mode) {
    case TtaMode::Off:
      return "off";
    case TtaMode::Flip:
      return "flip";
    case TtaMode::Full:
      return "full";
  }
  return "?";
}

std::vector<TtaView> makeTtaViews(const TtaConfig& tta, int size) {
  const double c = (size - 1) * 0.5;
  const cv::Mat identity = (cv::Mat_<double>(2, 3) << 1, 0, 0, 0, 1, 0);
  const auto mirrored = [&](const cv::Mat& a) {  // x' = (size-1) - x after `a`
    cv::Mat m = a.clone();
    m.row(0) *= -1;
    m.at<double>(0, 2) += size - 1;
    return m;
  };
  std::vector<TtaView> views;
  const float centre = tta.mode == TtaMode::Full ? tta.centreWeight : 1.f;
  views.push_back({identity, centre});
  if (tta.mode == TtaMode::Off) return views;
  views.push_back({mirrored(identity), centre});
  if (tta.mode == TtaMode::Flip) return views;
  for (float angle : tta.anglesDeg) {
    const cv::Mat r = cv::getRotationMatrix2D(cv::Point2f(float(c), float(c)), angle, 1.0);
    views.push_back({r, 1.f});
    views.push_back({mirrored(r), 1.f});
  }
  for (const auto& s : tta.shifts) {
    const cv::Mat t = (cv::Mat_<double>(2, 3) << 1, 0, s.x * size, 0, 1, s.y * size);
    views.push_back({t, 1.f});
    views.push_back({mirrored(t), 1.f});
  }
  return views;
}

struct ExpressionClassifier::Impl {
  ClassifierConfig config;
  ModelInfo info;
  std::string path;
  std::optional<uint64_t> fileChecksum;  ///< modelFileChecksum(), once asked
  MicroAttentionResNet net{nullptr};
  std::vector<TtaView> views;
};

ExpressionClassifier::ExpressionClassifier(const ClassifierConfig& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->path = config.modelPath.empty() ? defaultModelPath() : config.modelPath;
  if (impl_->path.empty())
    throw ModelFileError(
        "no trained model is installed: expected models/microfer-resnet10.mfm in the source "
        "tree or the install's share/microfer/models/ (or set MICROFER_MODEL / --model); "
        "train one with 'microfer-train train'");
  if (config.threads > 0) torch::set_num_threads(config.threads);
  impl_->net = loadModel(impl_->path, impl_->info);
  impl_->net->packForInference();  // this network is never trained
  impl_->views = makeTtaViews(config.tta, impl_->info.crop.size);
  spdlog::debug("loaded model '{}' from {} ({} parameters, TTA {} with {} views)", impl_->info.name,
                impl_->path, impl_->net->parameterCount(), toString(config.tta.mode),
                impl_->views.size());
}

ExpressionClassifier::~ExpressionClassifier() = default;

void ExpressionClassifier::setTta(const TtaConfig& tta) {
  impl_->config.tta = tta;
  impl_->views = makeTtaViews(tta, impl_->info.crop.size);
}
const TtaConfig& ExpressionClassifier::tta() const {
  return impl_->config.tta;
}
const CropGeometry& ExpressionClassifier::cropGeometry() const {
  return impl_->info.crop;
}
const std::vector<std::string>& ExpressionClassifier::classNames() const {
  return impl_->info.classNames;
}
const std::string& ExpressionClassifier::modelName() const {
  return impl_->info.name;
}
const std::string& ExpressionClassifier::modelPath() const {
  return impl_->path;
}
const std::string& ExpressionClassifier::modelNotes() const {
  return impl_->info.notes;
}
uint64_t ExpressionClassifier::modelFileChecksum() const {
  if (!impl_->fileChecksum) impl_->fileChecksum = fnv1a64File(impl_->path);
  return *impl_->fileChecksum;
}
int64_t ExpressionClassifier::parameterCount() const {
  return impl_->net->parameterCount();
}

Prediction ExpressionClassifier::classify(const cv::Mat& crop, bool withAttention) {
  return classify(std::vector<cv::Mat>{crop}, withAttention).front();
}

namespace {
/// The views of every crop, normalised, in one batch (crop-major, then view).
torch::Tensor viewBatch(const std::vector<cv::Mat>& crops, const std::vector<TtaView>& views,
                        const ModelInfo& info) {
  const int s = info.crop.size;
  const int64_t nv = static_cast<int64_t>(views.size());
  const int64_t n = static_cast<int64_t>(crops.size());
  torch::Tensor batch = torch::empty({n * nv, 1, s, s});
  cv::Mat resized, warped;
  for (int64_t i = 0; i < n; ++i) {
    const cv::Mat* src = &crops[i];
    if (src->empty()) throw std::invalid_argument("empty face crop");
    if (src->type() != CV_8UC1 || src->rows != s || src->cols != s) {
      cv::Mat g = src->channels() == 1 ? *src : toGray(*src);
      if (g.depth() != CV_8U) g.convertTo(g, CV_8U);
      cv::resize(g, resized, cv::Size(s, s), 0, 0, cv::INTER_AREA);
      src = &resized;
    }
    for (int64_t v = 0; v < nv; ++v) {
      cv::Mat dst(s, s, CV_32F, batch[i * nv + v].data_ptr<float>());
      if (v == 0 && views[0].affine.at<double>(0, 0) == 1.0 &&
          views[0].affine.at<double>(0, 2) == 0.0) {
        normaliseCrop(*src, dst, info.mean, info.stdDev);
      } else {
        cv::warpAffine(*src, warped, views[v].affine, cv::Size(s, s), cv::INTER_LINEAR,
                       cv::BORDER_REPLICATE);
        normaliseCrop(warped, dst, info.mean, info.stdDev);
      }
    }
  }
  return batch;
}
}  // namespace

void averageViews(const float* logits, int nViews, int k, const std::vector<float>& weights,
                  float temperature, float* probs) {
  std::fill(probs, probs + k, 0.f);
  float wsum = 0;
  for (int v = 0; v < nViews; ++v) {
    const float* l = logits + size_t(v) * k;
    const float top = *std::max_element(l, l + k);
    float z = 0;
    for (int c = 0; c < k; ++c) z += std::exp((l[c] - top) / temperature);
    const float w = v < static_cast<int>(weights.size()) ? weights[v] : 1.f;
    for (int c = 0; c < k; ++c) probs[c] += w * std::exp((l[c] - top) / temperature) / z;
    wsum += w;
  }
  for (int c = 0; c < k; ++c) probs[c] /= wsum;
}

std::vector<float> ExpressionClassifier::viewWeights() const {
  std::vector<float> w;
  for (const auto& v : impl_->views) w.push_back(v.weight);
  return w;
}
float ExpressionClassifier::temperature() const {
  return impl_->info.temperature;
}
float ExpressionClassifier::uncertainBelow() const {
  return impl_->config.minConfidence >= 0 ? impl_->config.minConfidence
                                          : impl_->info.uncertainBelow;
}

std::vector<std::vector<float>> ExpressionClassifier::viewLogits(const std::vector<cv::Mat>& crops) {
  std::vector<std::vector<float>> out(crops.size());
  if (crops.empty()) return out;
  c10::InferenceMode guard;
  const torch::Tensor batch = viewBatch(crops, impl_->views, impl_->info);
  std::vector<torch::Tensor> maps;
  const torch::Tensor logits =
      forwardChunked(impl_->net, batch, false, maps, impl_->config.parallelMinViews,
                     impl_->config.maxViewsPerPiece)
          .contiguous();
  const int64_t per = logits.size(1) * int64_t(impl_->views.size());
  const float* l = logits.data_ptr<float>();
  for (size_t i = 0; i < crops.size(); ++i) out[i].assign(l + i * per, l + (i + 1) * per);
  return out;
}

std::vector<Prediction> ExpressionClassifier::classify(const std::vector<cv::Mat>& crops,
                                                       bool withAttention) {
  std::vector<Prediction> out(crops.size());
  if (crops.empty()) return out;
  c10::InferenceMode guard;  // thread-local: must live in the calling thread's frame
  const int s = impl_->info.crop.size;
  const auto& views = impl_->views;
  const int64_t nv = static_cast<int64_t>(views.size());
  const int64_t n = static_cast<int64_t>(crops.size());
  const torch::Tensor batch = viewBatch(crops, views, impl_->info);
  std::vector<torch::Tensor> maps;
  const torch::Tensor logits = forwardChunked(impl_->net, batch, withAttention, maps,
                                              impl_->config.parallelMinViews,
                                              impl_->config.maxViewsPerPiece)
                                   .contiguous();
  const int64_t k = logits.size(1);
  const float* l = logits.data_ptr<float>();
  const std::vector<float> weights = viewWeights();
  const float threshold = uncertainBelow();
  std::vector<float> probs(k);
  for (int64_t i = 0; i < n; ++i) {
    Prediction& pred = out[i];
    averageViews(l + i * nv * k, int(nv), int(k), weights, impl_->info.temperature, probs.data());
    for (int64_t c = 0; c < k && c < kNumEmotions; ++c) pred.probs[c] = probs[c];
    pred.uncertainBelow = threshold;
    pred.settle();
    if (withAttention && !maps.empty()) {
      // Mean over all blocks of the unaugmented view's map, each upsampled to the crop.
      pred.attention = cv::Mat::zeros(s, s, CV_32F);
      cv::Mat up;
      for (const auto& all : maps) {
        const torch::Tensor m = all[i * nv][0].contiguous();
        const cv::Mat small(int(m.size(0)), int(m.size(1)), CV_32F,
                            const_cast<float*>(m.data_ptr<float>()));
        cv::resize(small, up, cv::Size(s, s), 0, 0, cv::INTER_LINEAR);
        pred.attention += up;
      }
      pred.attention /= double(maps.size());
    }
  }
  return out;
}

void normaliseCrop(const cv::Mat& in, cv::Mat& out, float mean, float stdDev) {
  in.convertTo(out, CV_32F, 1.0 / (255.0 * stdDev), -mean / stdDev);
}

}  // namespace microfer
