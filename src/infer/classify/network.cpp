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

void widenInto(MicroAttentionResNetImpl& narrow, MicroAttentionResNetImpl& wide) {
  const NetworkConfig& n = narrow.config();
  const NetworkConfig& w = wide.config();
  if (w.width < n.width || w.blocksPerStage != n.blocksPerStage || w.attention != n.attention ||
      describeAttention(w) != describeAttention(n) || w.numClasses != n.numClasses ||
      w.inChannels != n.inChannels)
    throw std::invalid_argument("the wide network is not a widening of the narrow one");
  // Packed copies would not follow the new weights.
  if (wide.packedForInference())
    throw std::logic_error("widenInto: the wide network is packed for inference");
  torch::NoGradGuard noGrad;
  auto dstParams = wide.named_parameters();
  auto dstBuffers = wide.named_buffers();
  const auto copyOne = [](const std::string& key, const torch::Tensor& src, torch::Tensor dst) {
    if (src.dim() != dst.dim())
      throw std::invalid_argument("tensor '" + key + "' differs in rank");
    if (src.dim() == 0) {
      dst.copy_(src);
      return;
    }
    // Channels (dims 0 and 1) may grow; kernels (dims 2, 3) must match.
    for (int64_t d = 0; d < src.dim(); ++d)
      if (d < 2 ? src.size(d) > dst.size(d) : src.size(d) != dst.size(d))
        throw std::invalid_argument("tensor '" + key + "' does not fit the wide network");
    if (src.dim() == 1) {  // per-channel: biases, batch norm; new channels keep their init
      dst.narrow(0, 0, src.size(0)).copy_(src);
      return;
    }
    // dim 0: outputs, dim 1: inputs. The old outputs take nothing from the new inputs.
    torch::Tensor rows = dst.narrow(0, 0, src.size(0));
    rows.zero_();
    const std::string embedWeight = "attention.embed.weight";
    const bool embed = key.size() >= embedWeight.size() &&
                       key.compare(key.size() - embedWeight.size(), embedWeight.size(),
                                   embedWeight) == 0;
    if (!embed) {
      rows.narrow(1, 0, src.size(1)).copy_(src);
      return;
    }
    // The embedding reads cat(shortcut, first, second): three groups of the block's channels.
    if (src.size(1) % 3 != 0 || dst.size(1) % 3 != 0)
      throw std::invalid_argument("tensor '" + key + "' is not three groups of channels");
    const int64_t oldGroup = src.size(1) / 3, newGroup = dst.size(1) / 3;
    for (int64_t g = 0; g < 3; ++g)
      rows.narrow(1, g * newGroup, oldGroup).copy_(src.narrow(1, g * oldGroup, oldGroup));
  };
  for (const auto& p : narrow.named_parameters()) {
    if (!dstParams.contains(p.key()))
      throw std::invalid_argument("the wide network has no tensor '" + p.key() + "'");
    copyOne(p.key(), p.value(), dstParams[p.key()]);
  }
  for (const auto& b : narrow.named_buffers()) {
    if (!dstBuffers.contains(b.key()))
      throw std::invalid_argument("the wide network has no buffer '" + b.key() + "'");
    copyOne(b.key(), b.value(), dstBuffers[b.key()]);
  }
}

void averageInto(const std::vector<MicroAttentionResNetImpl*>& members,
                 const std::vector<double>& weights, MicroAttentionResNetImpl& out) {
  if (members.empty() || members.size() != weights.size())
    throw std::invalid_argument("one weight per network is needed");
  double total = 0;
  for (const double w : weights) {
    if (!(w >= 0 && std::isfinite(w)))
      throw std::invalid_argument("a weight is negative or not finite");
    total += w;
  }
  if (!(total > 0 && std::isfinite(total)))
    throw std::invalid_argument("the weights are all 0 or too large");
  if (out.packedForInference())
    throw std::logic_error("averageInto: the output network is packed for inference");
  const NetworkConfig& c = out.config();
  for (const MicroAttentionResNetImpl* m : members) {
    const NetworkConfig& mc = m->config();
    // The two wirings have the same tensors: compare them as widenInto and --init do.
    if (mc.blocksPerStage != c.blocksPerStage || mc.width != c.width ||
        mc.inputSize != c.inputSize || mc.inChannels != c.inChannels ||
        mc.numClasses != c.numClasses || describeAttention(mc) != describeAttention(c))
      throw std::invalid_argument("the networks differ in architecture");
  }
  torch::NoGradGuard noGrad;
  // Parameters, then buffers (batch-norm statistics and counters), each by its name.
  const auto tensors = [](MicroAttentionResNetImpl& m, bool buffers) {
    return buffers ? m.named_buffers() : m.named_parameters();
  };
  for (const bool buffers : {false, true}) {
    std::vector<torch::OrderedDict<std::string, torch::Tensor>> from;
    for (MicroAttentionResNetImpl* m : members) from.push_back(tensors(*m, buffers));
    for (auto& t : tensors(out, buffers)) {
      torch::Tensor dst = t.value();
      for (const auto& f : from)
        if (!f.contains(t.key()) || !f[t.key()].sizes().equals(dst.sizes()))
          throw std::invalid_argument("tensor '" + t.key() +
                                      "' is missing or differs in shape");
      if (!dst.is_floating_point()) {  // batch counters: the first member's
        dst.copy_(from[0][t.key()]);
        continue;
      }
      torch::Tensor sum = torch::zeros_like(dst);
      for (size_t i = 0; i < from.size(); ++i) sum.add_(from[i][t.key()], weights[i] / total);
      dst.copy_(sum);
    }
  }
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
