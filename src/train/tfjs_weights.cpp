#include "microfer/train/tfjs_weights.hpp"

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

namespace microfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::uint8_t> readBytes(const fs::path& file, const std::string& manifest) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw TfjsWeightsError("cannot read weights shard '" + file.string() + "' (listed in '" +
                           manifest + "')");
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Little-endian loads, independent of the host's byte order.
std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
std::uint16_t le16(const std::uint8_t* p) {
  return std::uint16_t(p[0] | p[1] << 8);
}

struct Spec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;   // the tensor's dtype (float32, int32, bool)
  std::string stored;  // how it is stored: dtype, or the quantization dtype
  double scale = 1, min = 0;
  int64_t count = 1;
  int64_t bytes = 0;
};

Spec parseSpec(const json& w, const std::string& manifest) {
  Spec s;
  const std::string where = "'" + manifest + "'";
  if (!w.is_object() || !w.contains("name") || !w["name"].is_string()) {
    throw TfjsWeightsError(where + ": a weights entry without a name");
  }
  s.name = w["name"].get<std::string>();
  const std::string what = where + ": tensor '" + s.name + "'";
  if (!w.contains("shape") || !w["shape"].is_array()) {
    throw TfjsWeightsError(what + " has no shape");
  }
  for (const auto& d : w["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      throw TfjsWeightsError(what + ": shape entries must be integers >= 0");
    }
    s.shape.push_back(d.get<int64_t>());
    s.count *= s.shape.back();
  }
  s.dtype = w.value("dtype", std::string("float32"));
  if (s.dtype != "float32" && s.dtype != "int32" && s.dtype != "bool") {
    throw TfjsWeightsError(what + ": unsupported dtype '" + s.dtype +
                           "' (supported: float32, int32, bool)");
  }
  s.stored = s.dtype;
  if (w.contains("quantization") && !w["quantization"].is_null()) {
    const json& q = w["quantization"];
    if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string()) {
      throw TfjsWeightsError(what + ": quantization without a dtype");
    }
    s.stored = q["dtype"].get<std::string>();
    if (s.stored == "uint8" || s.stored == "uint16") {
      if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") ||
          !q["min"].is_number()) {
        throw TfjsWeightsError(what + ": " + s.stored + " quantization needs scale and min");
      }
      s.scale = q["scale"].get<double>();
      s.min = q["min"].get<double>();
    } else if (s.stored != "float16") {
      throw TfjsWeightsError(what + ": unsupported quantization dtype '" + s.stored +
                             "' (supported: uint8, uint16, float16)");
    }
  }
  const int64_t width = s.stored == "float32" || s.stored == "int32"    ? 4
                        : s.stored == "uint16" || s.stored == "float16" ? 2
                                                                        : 1;
  s.bytes = s.count * width;
  return s;
}

torch::Tensor decode(const Spec& s, const std::uint8_t* p) {
  torch::Tensor t = torch::empty(s.shape, torch::kFloat32);
  float* out = t.data_ptr<float>();
  if (s.stored == "float32") {
    for (int64_t i = 0; i < s.count; ++i) {
      const std::uint32_t bits = le32(p + 4 * i);
      std::memcpy(out + i, &bits, 4);
    }
  } else if (s.stored == "int32") {
    for (int64_t i = 0; i < s.count; ++i) {
      out[i] = float(std::int32_t(le32(p + 4 * i)));
    }
  } else if (s.stored == "bool") {
    for (int64_t i = 0; i < s.count; ++i) out[i] = p[i] != 0 ? 1.f : 0.f;
  } else if (s.stored == "float16") {
    std::vector<std::uint16_t> half(size_t(s.count));
    for (int64_t i = 0; i < s.count; ++i) half[size_t(i)] = le16(p + 2 * i);
    if (s.count > 0) {
      t.copy_(torch::from_blob(half.data(), s.shape, torch::kFloat16).to(torch::kFloat32));
    }
  } else {  // uint8 / uint16 affine quantization
    const bool wide = s.stored == "uint16";
    const bool integer = s.dtype == "int32";
    for (int64_t i = 0; i < s.count; ++i) {
      const double q = wide ? le16(p + 2 * i) : p[i];
      const double v = q * s.scale + s.min;
      out[i] = float(integer ? std::round(v) : v);
    }
  }
  return t;
}

}  // namespace

std::map<std::string, at::Tensor> readTfjsWeights(const std::string& manifestPath) {
  json doc;
  {
    std::ifstream in(manifestPath);
    if (!in) throw TfjsWeightsError("cannot read weights manifest '" + manifestPath + "'");
    try {
      in >> doc;
    } catch (const json::exception& e) {
      throw TfjsWeightsError("weights manifest '" + manifestPath +
                             "' is not valid JSON: " + e.what());
    }
  }
  if (doc.is_object() && doc.contains("weightsManifest")) doc = doc["weightsManifest"];
  if (!doc.is_array()) {
    throw TfjsWeightsError("weights manifest '" + manifestPath +
                           "' is not a list of weight groups");
  }
  const fs::path folder = fs::path(manifestPath).parent_path();
  std::map<std::string, at::Tensor> tensors;
  for (size_t g = 0; g < doc.size(); ++g) {
    const json& group = doc[g];
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() ||
        !group.contains("weights") || !group["weights"].is_array()) {
      throw TfjsWeightsError("'" + manifestPath + "': weight group " + std::to_string(g) +
                             " needs 'paths' and 'weights' lists");
    }
    std::vector<std::uint8_t> bytes;
    std::string shards;
    for (const auto& path : group["paths"]) {
      if (!path.is_string()) {
        throw TfjsWeightsError("'" + manifestPath + "': a shard path is not a string");
      }
      const fs::path file = folder / path.get<std::string>();
      const auto part = readBytes(file, manifestPath);
      bytes.insert(bytes.end(), part.begin(), part.end());
      shards += (shards.empty() ? "'" : ", '") + file.string() + "'";
    }
    const std::string groupName = "weight group " + std::to_string(g) + " of '" + manifestPath +
                                  "' (shards " + shards + ", " + std::to_string(bytes.size()) +
                                  " bytes)";
    size_t offset = 0;
    for (const auto& w : group["weights"]) {
      const Spec s = parseSpec(w, manifestPath);
      if (offset + size_t(s.bytes) > bytes.size()) {
        throw TfjsWeightsError(groupName + " ends before tensor '" + s.name + "' (needs " +
                               std::to_string(s.bytes) + " bytes at offset " +
                               std::to_string(offset) + "): truncated shard?");
      }
      if (tensors.count(s.name) != 0) {
        throw TfjsWeightsError("'" + manifestPath + "': tensor '" + s.name + "' named twice");
      }
      tensors.emplace(s.name, decode(s, bytes.data() + offset));
      offset += size_t(s.bytes);
    }
    if (offset != bytes.size()) {
      throw TfjsWeightsError(groupName + " has " + std::to_string(bytes.size() - offset) +
                             " bytes more than its weights describe (" + std::to_string(offset) +
                             ")");
    }
  }
  return tensors;
}

}  // namespace microfer
