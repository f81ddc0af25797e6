// FNV-1a 64-bit hash: the checksum of MicroFER's model, weights and crop-pack files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace microfer {

uint64_t fnv1a64(const void* data, size_t size, uint64_t seed = 1469598103934665603ULL);

}  // namespace microfer
