// The expression classifier network: a pre-activation ResNet in which every residual
// block carries one micro-attention unit (Wang et al., "Micro-Attention for
// Micro-Expression Recognition", Neurocomputing 2020).
//
// This header pulls in LibTorch; keep it out of Qt translation units.
#pragma once

// Only the module kinds the network is made of: <torch/torch.h> (optimisers, data loaders,
// serialization, ...) takes four times as long to parse, in every file that includes this.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "microfer/classify/network_config.hpp"

#include <string>
#include <vector>

namespace microfer {

/// A convolution's weight reordered once into oneDNN's own layout, for inference (see
/// MicroAttentionResNetImpl::packForInference). Undefined = not packed: the convolution runs
/// as LibTorch's module does.
struct PackedConv {
  torch::Tensor weight;
};

/// Micro-attention unit. Given the block's shortcut S, first-conv output A (raw or after
/// BN-ReLU, NetworkConfig::attentionRawFirst) and second-conv output B (all C x H x W) and
/// the residual sum T = S + B:
///   M = sigmoid(reduce(embed(concat(S, A, B))))   (N x 1 x H x W, values in (0,1))
///   out = T * (1 + M)
/// `embed` is a 1x1 conv 3C -> C, `reduce` a 1x1 conv C -> 1 initialised to the channel
/// mean (weights 1/C, bias 0), as in the paper; both carry a bias unless `bias` is false.
struct MicroAttentionImpl : torch::nn::Module {
  explicit MicroAttentionImpl(int channels, bool bias = true);
  /// Returns the map M (N x 1 x H x W).
  torch::Tensor map(const torch::Tensor& shortcut, const torch::Tensor& first,
                    const torch::Tensor& second);
  torch::nn::Conv2d embed{nullptr}, reduce{nullptr};
  PackedConv packedEmbed, packedReduce;
};
TORCH_MODULE(MicroAttention);

/// Pre-activation residual block (BN-ReLU-conv3x3-BN-ReLU-conv3x3) with an optional
/// micro-attention unit.
struct ResidualBlockImpl : torch::nn::Module {
  /// `config` gives the attention options (attention, attentionRawFirst, attentionBias).
  ResidualBlockImpl(int inChannels, int outChannels, int stride, const NetworkConfig& config);
  /// If `attentionOut` is non-null and the block has attention, *attentionOut receives M.
  torch::Tensor forward(const torch::Tensor& x, torch::Tensor* attentionOut = nullptr);
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, projection{nullptr};
  MicroAttention attention{nullptr};
  bool attentionRawFirst = true;
  PackedConv packed1, packed2, packedProjection;
};
TORCH_MODULE(ResidualBlock);

/// The whole classifier: stem conv3x3, the residual stages (stride 1, 2, 2, 2, ...),
/// BN-ReLU, global average pooling, dropout, linear layer -> logits.
struct MicroAttentionResNetImpl : torch::nn::Module {
  explicit MicroAttentionResNetImpl(const NetworkConfig& config);
  /// x: N x inChannels x inputSize x inputSize, normalised. Returns logits N x numClasses.
  torch::Tensor forward(const torch::Tensor& x);
  /// As forward(); also returns the attention map of every block (in block order;
  /// empty when the network has no attention).
  torch::Tensor forwardWithAttention(const torch::Tensor& x, std::vector<torch::Tensor>& maps);
  const NetworkConfig& config() const { return config_; }
  int64_t parameterCount() const;
  /// Multiply-adds of one forward pass of one inputSize x inputSize view: every convolution
  /// (output pixels x output channels x input channels x kernel area) and the classifier
  /// layer; batch norm, ReLU, sigmoid, sums and products (a few per pixel) are left out.
  /// Twice this is the view's floating-point operations (microfer-bench roofline).
  int64_t multiplyAdds() const;
  /// For inference on the CPU only: reorders every convolution's weight once into oneDNN's
  /// layout, so that forward passes without autograd (InferenceMode / NoGradGuard) call
  /// oneDNN directly instead of LibTorch's dispatch, which picks slower kernels for the small
  /// late stages and reorders the weights at every call: one 48x48 view 4.0 -> 3.1 ms on one
  /// thread, the same logits (within 1e-6). The packed copies do not follow later changes of
  /// the parameters: never call it on a network that is still trained. No effect where
  /// LibTorch has no oneDNN.
  void packForInference();
  bool packedForInference() const { return packed_; }

 private:
  NetworkConfig config_;
  torch::nn::Conv2d stem{nullptr};
  std::vector<ResidualBlock> blocks_;
  torch::nn::BatchNorm2d finalBn{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear fc{nullptr};
  PackedConv packedStem;
  bool packed_ = false;
};
TORCH_MODULE(MicroAttentionResNet);

}  // namespace microfer
