// A model file's header (ModelInfo) and its reader, without LibTorch: for code that names,
// describes or checks a model but runs no network (the tools' info lines, the app, the Python
// module). The file format and the weights' reader and writer: model_file.hpp.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "microfer/align/face_aligner.hpp"
#include "microfer/classify/model_path.hpp"
#include "microfer/classify/network_config.hpp"
#include "microfer/runtime/checksum.hpp"

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
  /// Calibration (`microfer-train calibrate`, fitted on validation parts): each view's
  /// probabilities are softmax(logits / temperature); 1 = as trained.
  float temperature = 1.f;
  /// A face whose top probability (after calibration) is below this is shown as
  /// "uncertain" (its label is kept); chosen on validation parts. 0 = never.
  float uncertainBelow = 0.f;
};

/// Reads only the verified header.
ModelInfo readModelInfo(const std::string& path);

}  // namespace microfer
