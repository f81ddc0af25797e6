// MicroFER's own tensor encoding: the weights of a model file (.mfm, format 2) and of the
// portable weights file (.mfw) are stored with it, so that reading a model needs neither
// LibTorch's archive format nor its reader (which is not made for untrusted input and
// changes between LibTorch versions).
//
// Encoding (little-endian):
//   u32 tensor count
//   per tensor: u32 name length, name (UTF-8, LibTorch's dotted parameter or buffer name,
//               e.g. "stages.0.0.conv1.weight"), u8 type (0 float32, 1 int64), u32 rank,
//               rank x i64 dimensions, then the elements in row-major order
// A decoder fills an existing network: every parameter and buffer exactly once, with the
// network's own name, shape and type, every float finite, no bytes left over.
#pragma once

#include <cstddef>
#include <string>

#include "microfer/classify/network.hpp"

namespace microfer {

/// `model`'s parameters and buffers (copied to the CPU) in the encoding above.
std::string encodeTensors(MicroAttentionResNet& model);

/// Copies the tensors encoded in [data, data + size) into `model`'s parameters and buffers.
/// Throws std::runtime_error saying what does not fit (the caller adds the file name).
void decodeTensorsInto(MicroAttentionResNet& model, const char* data, size_t size);

}  // namespace microfer
