#include "microfer/classify/network.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace microfer {
namespace nn = torch::nn;

namespace {
nn::Conv2d conv(int in, int out, int k, int stride, bool bias) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(bias));
}
std::vector<int64_t> pairOf(const torch::ExpandingArray<2>& a) {
  return {a->at(0), a->at(1)};
}

std::vector<int64_t> paddingOf(const nn::Conv2dImpl& c) {
  // Every convolution here pads by kernel/2 with an explicit size.
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&c.options.padding());
  if (pad == nullptr) throw std::logic_error("convolution without an explicit padding");
  return pairOf(*pad);
}

PackedConv pack(const nn::Conv2d& conv) {
  PackedConv p;
  p.weight = at::mkldnn_reorder_conv2d_weight(conv->weight.detach().to_mkldnn(), paddingOf(*conv),
                                              pairOf(conv->options.stride()),
                                              pairOf(conv->options.dilation()),
                                              conv->options.groups());
  return p;
}

/// The convolution, through its packed weight when there is one and no gradient is wanted.
torch::Tensor convolve(nn::Conv2d& conv, const PackedConv& packed, const torch::Tensor& x) {
  if (!packed.weight.defined() || torch::GradMode::is_enabled() || !x.device().is_cpu() ||
      x.scalar_type() != torch::kFloat)
    return conv->forward(x);
  c10::optional<torch::Tensor> bias;
  if (conv->bias.defined()) bias = conv->bias;
  return at::mkldnn_convolution(x.contiguous(), packed.weight, bias, paddingOf(*conv),
                                pairOf(conv->options.stride()), pairOf(conv->options.dilation()),
                                conv->options.groups());
}

}  // namespace

std::string describeAttention(const NetworkConfig& config) {
  if (!config.attention) return "off";
  std::string departures;
  if (!config.attentionRawFirst) departures = "A after BN-ReLU";
  if (!config.attentionBias)
    departures += std::string(departures.empty() ? "" : ", ") + "no 1x1 biases";
  return departures.empty() ? "on" : "on (" + departures + ")";
}

void setAttentionWiring(NetworkConfig& config, const std::string& name) {
  if (name != "prototxt" && name != "microfer")
    throw std::invalid_argument("the attention wiring is prototxt or microfer, not '" + name +
                                "'");
  config.attentionRawFirst = name == "microfer";
  config.attentionBias = name == "microfer";
}

std::string attentionWiringName(const NetworkConfig& config) {
  if (config.attentionRawFirst && config.attentionBias) return "microfer";
  if (!config.attentionRawFirst && !config.attentionBias) return "prototxt";
  return "";
}

MicroAttentionImpl::MicroAttentionImpl(int channels, bool bias) {
  embed = register_module("embed", conv(3 * channels, channels, 1, 1, bias));
  reduce = register_module("reduce", conv(channels, 1, 1, 1, bias));
  // Start as the mean over channels, as the paper prescribes.
  torch::NoGradGuard noGrad;
  reduce->weight.fill_(1.0 / channels);
  if (bias) reduce->bias.zero_();
}

torch::Tensor MicroAttentionImpl::map(const torch::Tensor& shortcut, const torch::Tensor& first,
                                      const torch::Tensor& second) {
  return torch::sigmoid(convolve(
      reduce, packedReduce,
      convolve(embed, packedEmbed, torch::cat({shortcut, first, second}, 1))));
}

ResidualBlockImpl::ResidualBlockImpl(int inChannels, int outChannels, int stride,
                                     const NetworkConfig& config)
    : attentionRawFirst(config.attentionRawFirst) {
  bn1 = register_module("bn1", nn::BatchNorm2d(inChannels));
  conv1 = register_module("conv1", conv(inChannels, outChannels, 3, stride, false));
  bn2 = register_module("bn2", nn::BatchNorm2d(outChannels));
  conv2 = register_module("conv2", conv(outChannels, outChannels, 3, 1, false));
  if (stride != 1 || inChannels != outChannels)
    projection = register_module("projection", conv(inChannels, outChannels, 1, stride, false));
  if (config.attention)
    attention = register_module("attention", MicroAttention(outChannels, config.attentionBias));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x, torch::Tensor* attentionOut) {
  torch::Tensor pre = torch::relu(bn1(x));
  // Pre-activation ResNet: a projection shortcut starts from the activated input.
  torch::Tensor shortcut = projection ? convolve(projection, packedProjection, pre) : x;
  torch::Tensor first = convolve(conv1, packed1, pre);
  torch::Tensor activated = torch::relu(bn2(first));
  torch::Tensor second = convolve(conv2, packed2, activated);
  torch::Tensor t = shortcut + second;
  if (!attention) return t;
  torch::Tensor m = attention->map(shortcut, attentionRawFirst ? first : activated, second);
  if (attentionOut) *attentionOut = m;
  return t * (1 + m);
}

MicroAttentionResNetImpl::MicroAttentionResNetImpl(const NetworkConfig& config) : config_(config) {
  if (config.blocksPerStage.empty() || config.width <= 0 || config.numClasses <= 0 ||
      config.inputSize < 8 || config.inChannels <= 0)
    throw std::invalid_argument("invalid network configuration");
  stem = register_module("stem", conv(config.inChannels, config.width, 3, 1, false));
  int in = config.width;
  for (size_t s = 0; s < config.blocksPerStage.size(); ++s) {
    const int out = config.width << s;
    for (int b = 0; b < config.blocksPerStage[s]; ++b) {
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      blocks_.push_back(register_module("block" + std::to_string(s) + "_" + std::to_string(b),
                                        ResidualBlock(in, out, stride, config)));
      in = out;
    }
  }
  finalBn = register_module("final_bn", nn::BatchNorm2d(in));
  dropout = register_module("dropout", nn::Dropout(config.dropout));
  fc = register_module("fc", nn::Linear(in, config.numClasses));

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2dImpl>()) {
      if (c->options.kernel_size()->at(0) == 3 || c->options.out_channels() > 1)
        nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
  // Restore the mean initialisation of the attention reducers (kaiming skipped them:
  // out_channels == 1 and kernel 1), and zero the embed biases.
  for (auto& b : blocks_)
    if (b->attention && b->attention->embed->bias.defined()) {
      torch::NoGradGuard noGrad;
      b->attention->embed->bias.zero_();
    }
}

torch::Tensor MicroAttentionResNetImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = convolve(stem, packedStem, x);
  for (auto& b : blocks_) h = b->forward(h);
  h = torch::relu(finalBn(h));
  h = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
  return fc(dropout(h));
}

torch::Tensor MicroAttentionResNetImpl::forwardWithAttention(const torch::Tensor& x,
                                                             std::vector<torch::Tensor>& maps) {
  maps.clear();
  torch::Tensor h = convolve(stem, packedStem, x);
  for (auto& b : blocks_) {
    torch::Tensor m;
    h = b->forward(h, &m);
    if (m.defined()) maps.push_back(m);
  }
  h = torch::relu(finalBn(h));
  h = torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1);
  return fc(dropout(h));
}

void MicroAttentionResNetImpl::packForInference() {
  if (!at::hasMKLDNN()) return;
  torch::NoGradGuard noGrad;
  packedStem = pack(stem);
  for (auto& b : blocks_) {
    b->packed1 = pack(b->conv1);
    b->packed2 = pack(b->conv2);
    if (b->projection) b->packedProjection = pack(b->projection);
    if (b->attention) {
      b->attention->packedEmbed = pack(b->attention->embed);
      b->attention->packedReduce = pack(b->attention->reduce);
    }
  }
  packed_ = true;
}

int64_t MicroAttentionResNetImpl::multiplyAdds() const {
  int64_t total = 0;
  // Adds the convolution's multiply-adds on an input of side `in`; returns its output's side.
  const auto add = [&total](const nn::Conv2d& c, int64_t in) {
    const auto& o = c->options;
    const int64_t k = o.kernel_size()->at(0), stride = o.stride()->at(0);
    const int64_t out = (in + 2 * paddingOf(*c).at(0) - k) / stride + 1;
    total += out * out * o.out_channels() * (o.in_channels() / o.groups()) * k * k;
    return out;
  };
  int64_t side = add(stem, config_.inputSize);
  for (const auto& b : blocks_) {
    const int64_t out = add(b->conv1, side);
    add(b->conv2, out);
    if (b->projection) add(b->projection, side);
    if (b->attention) {
      add(b->attention->embed, out);
      add(b->attention->reduce, out);
    }
    side = out;
  }
  return total + fc->options.in_features() * fc->options.out_features();
}

int64_t MicroAttentionResNetImpl::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace microfer
