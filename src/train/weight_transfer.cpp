#include "microfer/train/weight_transfer.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace microfer {

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

}  // namespace microfer
