// FNV-1a 64-bit hash: the checksum of MicroFER's model, weights and crop-pack files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace microfer {

uint64_t fnv1a64(const void* data, size_t size, uint64_t seed = 1469598103934665603ULL);

/// FNV-1a 64 of a whole file's bytes; throws std::runtime_error if it cannot be read.
uint64_t fnv1a64File(const std::string& path);

}  // namespace microfer
