// Training-time operations on trained networks' weights: widening a network into a wider one
// (`train --init` with a larger --width) and averaging networks of one lineage
// (`microfer-train average`). Inference never needs them: they live in microfer_train.
#pragma once

#include <vector>

#include "microfer/classify/network.hpp"

namespace microfer {

/// Copies a trained network into a wider one of the same depth, wiring and classes (`train
/// --init` with a larger --width): the wide network then computes the same logits, so a
/// larger teacher starts from what the narrow one learned. Every tensor of `narrow` goes to
/// the leading channels of the same tensor of `wide`; the weights that lead from the new
/// channels into the old ones (and into the classifier) are zero, the new channels' own
/// incoming weights keep their random initialisation, so the first step already trains them.
/// Throws std::invalid_argument when `wide` is not a widening of `narrow`.
void widenInto(MicroAttentionResNetImpl& narrow, MicroAttentionResNetImpl& wide);

/// Writes into `out` the weighted mean of trained networks of one architecture, tensor by
/// tensor: every parameter and every floating-point batch-norm statistic (the integer batch
/// counters are the first member's). `microfer-train average`: a model interpolated between one
/// network and another fine-tuned from it (weight-space ensembling, Wortsman et al., "Robust
/// fine-tuning of zero-shot models", CVPR 2022) costs one network per face, where an ensemble
/// costs one per member. Only members that share an ancestry make sense (fine-tuned from one
/// another or from one start); networks trained apart from scratch average into noise.
/// `weights` (one per member, finite, >= 0, not all 0) are divided by their sum. Throws
/// std::invalid_argument when the counts differ, a weight is negative, not finite or all are
/// 0, or a member's architecture (NetworkConfig other than dropout; the attention wiring as
/// describeAttention tells it) is not `out`'s; std::logic_error when `out` is packed for
/// inference.
void averageInto(const std::vector<MicroAttentionResNetImpl*>& members,
                 const std::vector<double>& weights, MicroAttentionResNetImpl& out);

}  // namespace microfer
