// An experiment of issue #17, kept so that its figures can be rerun: the classifier with every
// convolution in int8 through LibTorch 1.13's quantized operators (Debian's LibTorch offers
// the oneDNN and QNNPACK engines, not FBGEMM), against the shipped fp32 path.
//
//   int8_probe MODEL.mfm [SHARED_DATA_DIR] [--profile]    (default ../shared/data)
//
// Weights: int8, one symmetric scale per output channel. Activations: uint8, one scale and
// zero point per convolution input and output, from the ranges seen on 100 FER2013 train
// crops per class. Prints PublicTest_ accuracy (validation part; TTA off) of the fp32 and
// int8 networks and how often they agree, then the time of one view and of two on one
// thread, int8 against the packed fp32 network the classifier uses; --profile also prints,
// for one view, each convolution's time to quantize its input, convolve and dequantize,
// beside the same convolution in fp32 (oneDNN, weights reordered at each call). Built only with
// -DMICROFER_BUILD_BENCH=ON; not used by the product (docs/PERFORMANCE.md says why).
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/classify/network.hpp"
#include "microfer/train/dataset.hpp"

namespace {
using microfer::MicroAttentionResNet;
using Packed = c10::intrusive_ptr<ConvPackedParamsBase<2>>;
namespace nn = torch::nn;

struct Range {
  float lo = 0, hi = 0;  // always includes 0
  void add(const torch::Tensor& t) {
    lo = std::min(lo, t.min().item<float>());
    hi = std::max(hi, t.max().item<float>());
  }
  double scale() const { return std::max(1e-8, double(hi - lo) / 255.0); }
  int64_t zeroPoint() const {
    return std::clamp<int64_t>(std::llround(-lo / scale()), 0, 255);
  }
};

struct QuantConv {
  Packed packed;
  Range in, out;
};

enum class Mode { Float, Calibrate, Int8 };

/// The network's forward pass (MicroAttentionResNetImpl::forward) with each convolution run
/// in `mode`: as the module does, recording its ranges, or in int8.
class Probe {
 public:
  explicit Probe(MicroAttentionResNet net) : net_(std::move(net)) {}
  bool profile = false;

  torch::Tensor forward(const torch::Tensor& x, Mode mode) {
    mode_ = mode;
    torch::Tensor h;
    for (const auto& child : net_->named_children()) {
      const std::string& name = child.key();
      if (name == "stem") {
        h = conv(*child.value()->as<nn::Conv2dImpl>(), x);
      } else if (auto* b = child.value()->as<microfer::ResidualBlockImpl>()) {
        const torch::Tensor pre = torch::relu(b->bn1(h));
        const torch::Tensor shortcut = b->projection ? conv(*b->projection, pre) : h;
        const torch::Tensor first = conv(*b->conv1, pre);
        const torch::Tensor activated = torch::relu(b->bn2(first));
        const torch::Tensor second = conv(*b->conv2, activated);
        h = shortcut + second;
        if (b->attention) {
          const torch::Tensor a = b->attentionRawFirst ? first : activated;
          const torch::Tensor joined = torch::cat({shortcut, a, second}, 1);
          const torch::Tensor m = torch::sigmoid(
              conv(*b->attention->reduce, conv(*b->attention->embed, joined)));
          h = h * (1 + m);
        }
      } else if (auto* bn = child.value()->as<nn::BatchNorm2dImpl>()) {
        h = torch::adaptive_avg_pool2d(torch::relu(bn->forward(h)), {1, 1}).flatten(1);
      } else if (auto* fc = child.value()->as<nn::LinearImpl>()) {
        h = fc->forward(h);
      }
    }
    return h;
  }

  /// Quantizes every convolution's weight with the ranges recorded so far.
  void quantize() {
    static auto prepack =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("quantized::conv2d_prepack", "")
            .typed<Packed(at::Tensor, c10::optional<at::Tensor>, torch::List<int64_t>,
                          torch::List<int64_t>, torch::List<int64_t>, int64_t)>();
    for (auto& [module, q] : convs_) {
      const nn::Conv2dImpl& c = *module;
      const torch::Tensor w = c.weight.detach();
      const torch::Tensor scales = (w.abs().amax({1, 2, 3}) / 127.0).clamp_min(1e-8);
      const torch::Tensor qw =
          at::quantize_per_channel(w, scales.to(torch::kDouble),
                                   torch::zeros({w.size(0)}, torch::kLong), 0, torch::kQInt8);
      c10::optional<at::Tensor> bias;
      if (c.bias.defined()) bias = c.bias.detach();
      // Every convolution of this network pads by kernel/2, with dilation 1 and one group.
      const int64_t stride = c.options.stride()->at(0), pad = c.options.kernel_size()->at(0) / 2;
      q.packed = prepack.call(qw, bias, torch::List<int64_t>({stride, stride}),
                              torch::List<int64_t>({pad, pad}), torch::List<int64_t>({1, 1}), 1);
    }
  }

 private:
  torch::Tensor conv(nn::Conv2dImpl& c, const torch::Tensor& x) {
    QuantConv& q = convs_[&c];
    if (mode_ != Mode::Int8) {
      torch::Tensor y = c.forward(x);
      if (mode_ == Mode::Calibrate) q.in.add(x), q.out.add(y);
      return y;
    }
    static auto qconv = c10::Dispatcher::singleton()
                            .findSchemaOrThrow("quantized::conv2d", "new")
                            .typed<at::Tensor(at::Tensor, const Packed&, double, int64_t)>();
    // LibTorch's at::quantize_per_tensor took about 4x as long as these vectorised ops.
    const auto t0 = std::chrono::steady_clock::now();
    const double s = q.in.scale();
    const int64_t z = q.in.zeroPoint();
    const torch::Tensor bytes = x.mul(1.0 / s).add_(double(z)).round_().clamp_(0, 255).to(torch::kByte);
    const torch::Tensor qx = at::_make_per_tensor_quantized_tensor(bytes, s, z);
    const auto t1 = std::chrono::steady_clock::now();
    const torch::Tensor qy = qconv.call(qx, q.packed, q.out.scale(), q.out.zeroPoint());
    const auto t2 = std::chrono::steady_clock::now();
    torch::Tensor y = qy.dequantize();
    const auto t3 = std::chrono::steady_clock::now();
    if (profile) {
      const auto f0 = std::chrono::steady_clock::now();
      c.forward(x);
      const auto f1 = std::chrono::steady_clock::now();
      const auto us = [](auto a, auto b) {
        return std::chrono::duration<double, std::micro>(b - a).count();
      };
      std::cout << "  " << c.options.in_channels() << "->" << c.options.out_channels() << " "
                << c.options.kernel_size()->at(0) << "x" << c.options.kernel_size()->at(0)
                << " at " << x.size(2) << "x" << x.size(3) << ": quantize " << us(t0, t1)
                << " us, int8 conv " << us(t1, t2) << " us, dequantize " << us(t2, t3)
                << " us; fp32 conv " << us(f0, f1) << " us\n";
    }
    return y;
  }

  MicroAttentionResNet net_;
  std::map<nn::Conv2dImpl*, QuantConv> convs_;
  Mode mode_ = Mode::Float;
};

torch::Tensor batchOf(const std::vector<microfer::Sample>& samples, size_t from, size_t to,
                      const microfer::ModelInfo& info) {
  std::vector<torch::Tensor> views;
  for (size_t i = from; i < to; ++i) {
    cv::Mat crop;
    microfer::normaliseCrop(samples[i].image, crop, info.mean, info.stdDev);
    views.push_back(torch::from_blob(crop.data, {1, 1, crop.rows, crop.cols}, torch::kFloat).clone());
  }
  return torch::cat(views);
}

double msPerCall(const std::function<void()>& f, int calls) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool profile = std::find(args.begin(), args.end(), "--profile") != args.end();
  args.erase(std::remove(args.begin(), args.end(), "--profile"), args.end());
  if (args.empty()) {
    std::cerr << "usage: int8_probe MODEL.mfm [SHARED_DATA_DIR] [--profile]\n";
    return 2;
  }
  const std::string data = args.size() > 1 ? args[1] : "../shared/data";
  c10::InferenceMode inference;
  at::set_num_threads(1);
  microfer::ModelInfo info;
  MicroAttentionResNet net = microfer::loadModel(args.at(0), info);
  Probe probe(net);

  microfer::FolderOptions calibration;
  calibration.filePrefix = "Training_";
  calibration.maxPerClass = 100;
  const auto train = microfer::loadImageFolder(data + "/fer2013/train", calibration).samples;
  for (size_t i = 0; i < train.size(); i += 50)
    probe.forward(batchOf(train, i, std::min(train.size(), i + 50), info), Mode::Calibrate);
  probe.quantize();

  microfer::FolderOptions validation;
  validation.filePrefix = "PublicTest_";
  const auto val = microfer::loadImageFolder(data + "/fer2013/test", validation).samples;
  size_t rightFloat = 0, rightInt8 = 0, agree = 0;
  for (size_t i = 0; i < val.size(); i += 64) {
    const size_t end = std::min(val.size(), i + 64);
    const torch::Tensor x = batchOf(val, i, end, info);
    const torch::Tensor f = probe.forward(x, Mode::Float).argmax(1);
    const torch::Tensor q = probe.forward(x, Mode::Int8).argmax(1);
    for (size_t j = i; j < end; ++j) {
      const int64_t a = f[int64_t(j - i)].item<int64_t>(), b = q[int64_t(j - i)].item<int64_t>();
      rightFloat += a == val[j].label;
      rightInt8 += b == val[j].label;
      agree += a == b;
    }
  }
  const double n = double(val.size());
  std::cout << "PublicTest_ (" << val.size() << " crops, TTA off): fp32 " << 100.0 * rightFloat / n
            << " %, int8 " << 100.0 * rightInt8 / n << " %, same label " << 100.0 * agree / n
            << " %\n";

  if (profile) {
    std::cout << "one view, each convolution (the third of three passes):\n";
    const torch::Tensor x = batchOf(val, 0, 1, info);
    probe.forward(x, Mode::Int8);
    probe.forward(x, Mode::Int8);
    probe.profile = true;
    probe.forward(x, Mode::Int8);
    probe.profile = false;
  }
  net->packForInference();
  for (int views : {1, 2}) {
    const torch::Tensor x = batchOf(val, 0, size_t(views), info);
    for (int round = 0; round < 3; ++round) {
      const double int8 = msPerCall([&] { probe.forward(x, Mode::Int8); }, 200);
      const double fp32 = msPerCall([&] { net->forward(x); }, 200);
      std::cout << views << " view(s), one thread: int8 " << int8 << " ms, fp32 (packed) " << fp32
                << " ms\n";
    }
  }
  return 0;
}
