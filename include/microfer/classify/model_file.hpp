// The MicroFER model file (.mfm): weights plus everything needed to rebuild and feed the
// network, protected by a checksum that is verified before anything is parsed.
//
// Layout (little-endian), format 2:
//   8 bytes  magic "MICROFER"
//   u32      format version (2)
//   u64      header length H, then H bytes of UTF-8 JSON (ModelInfo)
//   u64      payload length P, then P bytes: the weights in MicroFER's tensor encoding
//            (tensor_codec.hpp), read without LibTorch's serialization
//   u64      FNV-1a 64 checksum over header bytes followed by payload bytes
// Format 1 (until 2026-12) had a LibTorch archive as its payload: loadModel() refuses it
// with the command that converts it (microfer-cli export, through loadFormat1Model()).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "microfer/runtime/checksum.hpp"
#include "microfer/align/face_aligner.hpp"
#include "microfer/classify/model_path.hpp"
#include "microfer/classify/network.hpp"

namespace microfer {

/// Thrown for any problem with a model file; the message names the file.
class ModelFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Everything stored next to the weights.
struct ModelInfo {
  std::string name = "microfer-resnet10";
  NetworkConfig network;
  float mean = 0.5f, stdDev = 0.25f;    ///< input = (pixel/255 - mean) / stdDev
  std::vector<std::string> classNames;  ///< in output order
  CropGeometry crop;
  std::string notes;  ///< free text: training data, protocol, measured accuracy
  /// Calibration (`microfer-cli calibrate`, fitted on validation parts): each view's
  /// probabilities are softmax(logits / temperature); 1 = as trained.
  float temperature = 1.f;
  /// A face whose top probability (after calibration) is below this is shown as
  /// "uncertain" (its label is kept); chosen on validation parts. 0 = never.
  float uncertainBelow = 0.f;
};

/// Writes `model` and `info` to `path` (via a temporary file renamed into place).
void saveModel(const std::string& path, MicroAttentionResNet& model, const ModelInfo& info);

/// Reads and verifies a model file, rebuilds the network, loads the weights and puts it in
/// eval mode. Throws ModelFileError with a clear message (missing, truncated, checksum
/// mismatch, foreign file, format 1, architecture mismatch).
MicroAttentionResNet loadModel(const std::string& path, ModelInfo& info);

/// Reads a format-1 file (weights in a LibTorch archive), for `microfer-cli export` to
/// convert it; a format-2 file is read as loadModel() does. LibTorch's archive reader parses
/// the payload: only for files the user trusts (their own old models), never on load.
MicroAttentionResNet loadFormat1Model(const std::string& path, ModelInfo& info);

/// Reads only the verified header.
ModelInfo readModelInfo(const std::string& path);


}  // namespace microfer
