// A reader for TensorFlow.js weights (the format of tfjs-converter and of face-api's models):
// a JSON manifest plus binary shard files. Training time only: the pretrained teachers
// (docs/TRAINING.md, "Pretrained teacher (face-api)") are read with it; nothing that ships
// depends on it.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <stdexcept>
#include <string>

namespace microfer {

class TfjsWeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads every tensor a tfjs weights manifest describes.
///
/// Requires: `manifestPath` names either a weights manifest (a JSON array of groups
/// {"paths": [shard files], "weights": [{name, shape, dtype, quantization?}, ...]}) or a
/// model.json holding one under "weightsManifest". Shard paths are relative to the manifest's
/// folder. A group's shards are read in order and concatenated; its weights are laid out one
/// after another in that byte stream, little-endian.
/// Supported: dtype float32, int32 and bool without quantization; quantization dtype uint8 or
/// uint16 (value = q * scale + min, computed in double and rounded to float, as tfjs does;
/// rounded to the nearest integer where dtype is int32) and float16.
/// Guarantees: name -> a contiguous float32 CPU tensor in the manifest's shape (TensorFlow's
/// layout, e.g. conv filters as H x W x in x out).
/// Throws TfjsWeightsError naming the manifest or shard for: an unreadable file, malformed
/// JSON, an unknown dtype, a missing scale/min, a tensor named twice, and a group whose shards
/// are shorter or longer than its weights.
std::map<std::string, at::Tensor> readTfjsWeights(const std::string& manifestPath);

}  // namespace microfer
