// The network's architecture as data (NetworkConfig and its names), without LibTorch: what
// a model file's header describes, for code that reads headers but runs no network.
#pragma once

#include <string>
#include <vector>

namespace microfer {

/// Architecture of the network. Everything needed to rebuild it; stored in the model file.
struct NetworkConfig {
  std::vector<int> blocksPerStage = {1, 1, 1, 1};  ///< ResNet-10: one block in each of 4 stages
  int width = 32;      ///< channels of the first stage; stage s has width * 2^s
  int inputSize = 48;  ///< square gray input, pixels
  int inChannels = 1;
  int numClasses = 7;
  bool attention = true;  ///< false builds the same ResNet without micro-attention units
  /// The unit's middle input A: the block's first 3x3 convolution as it leaves the convolution
  /// (true: MicroFER's choice since its first model) or after the block's second BN-ReLU, the
  /// tensor the second convolution reads (false: as the authors' Caffe prototxt wires it).
  bool attentionRawFirst = true;
  /// Biases on the unit's two 1x1 convolutions (true: MicroFER's choice; the prototxt has none).
  bool attentionBias = true;
  double dropout = 0.2;   ///< before the classifier layer, training only
};

/// "off", "on", or "on" with the wiring where it is not MicroFER's usual one, e.g.
/// "on (A after BN-ReLU, no 1x1 biases)": for logs and `microfer-cli info`.
std::string describeAttention(const NetworkConfig& config);

/// The two wirings of the unit that training offers by name: "prototxt" (A after the block's
/// BN-ReLU, no 1x1 biases, as the authors' Caffe prototxt; the default of new training runs
/// since 2026-12-02, docs/model-decisions.txt rule i) and "microfer" (A raw, with biases: every
/// model trained before). Sets attentionRawFirst and attentionBias; throws
/// std::invalid_argument for another name.
void setAttentionWiring(NetworkConfig& config, const std::string& name);
/// The name of `config`'s wiring for setAttentionWiring, or "" for a mix of the two.
std::string attentionWiringName(const NetworkConfig& config);

}  // namespace microfer
