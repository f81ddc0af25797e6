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
// with the command that converts it (microfer-train export, through loadFormat1Model()).
#pragma once

#include <string>

#include "microfer/classify/model_info.hpp"
#include "microfer/classify/network.hpp"

namespace microfer {

/// Writes `model` and `info` to `path` (via a temporary file renamed into place).
void saveModel(const std::string& path, MicroAttentionResNet& model, const ModelInfo& info);

/// Reads and verifies a model file, rebuilds the network, loads the weights and puts it in
/// eval mode. Throws ModelFileError with a clear message (missing, truncated, checksum
/// mismatch, foreign file, format 1, architecture mismatch).
MicroAttentionResNet loadModel(const std::string& path, ModelInfo& info);

/// Reads a format-1 file (weights in a LibTorch archive), for `microfer-train export` to
/// convert it; a format-2 file is read as loadModel() does. LibTorch's archive reader parses
/// the payload: only for files the user trusts (their own old models), never on load.
MicroAttentionResNet loadFormat1Model(const std::string& path, ModelInfo& info);

}  // namespace microfer
