#include "microfer/classify/model_file.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "microfer/classify/tensor_codec.hpp"
#include "microfer/runtime/file_io.hpp"

namespace microfer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr char kMagic[8] = {'M', 'I', 'C', 'R', 'O', 'F', 'E', 'R'};
// Format 1 stored the weights as a LibTorch archive; format 2 in the tensor encoding of
// tensor_codec.hpp.
constexpr uint32_t kVersion = 2, kLibTorchArchiveVersion = 1;
// Sanity bounds checked before allocating anything a corrupt length field asks for.
constexpr uint64_t kMaxHeader = 1u << 20;
constexpr uint64_t kMaxPayload = 1ull << 32;

template <typename T>
void putLe(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
template <typename T>
T getLe(const std::string& in, size_t pos) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<T>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  return v;
}

json toJson(const ModelInfo& info) {
  const auto& n = info.network;
  return json{{"name", info.name},
              {"network",
               {{"arch", "preact-resnet-micro-attention"},
                {"blocks_per_stage", n.blocksPerStage},
                {"width", n.width},
                {"input_size", n.inputSize},
                {"in_channels", n.inChannels},
                {"num_classes", n.numClasses},
                {"attention", n.attention},
                {"attention_input", n.attentionRawFirst ? "raw" : "activated"},
                {"attention_bias", n.attentionBias},
                {"dropout", n.dropout}}},
              {"normalisation", {{"mean", info.mean}, {"std", info.stdDev}}},
              {"class_names", info.classNames},
              {"crop",
               {{"size", info.crop.size},
                {"left_eye_x", info.crop.leftEyeX},
                {"right_eye_x", info.crop.rightEyeX},
                {"eye_y", info.crop.eyeY},
                {"box_scale", info.crop.boxScale},
                {"box_shift_y", info.crop.boxShiftY}}},
              {"notes", info.notes},
              {"calibration",
               {{"temperature", info.temperature}, {"uncertain_below", info.uncertainBelow}}}};
}

// Header values are checked before anything is built from them: nlohmann converts a number
// that does not fit (1e300 as an int or a float) with undefined behaviour, and a huge width
// or depth would have the network allocate gigabytes.
int intValue(const json& v, const std::string& what, int lo, int hi) {
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
    throw std::runtime_error(what + " is " + v.dump() + ", expected an integer in " +
                             std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(v.get<long long>());
}
int intIn(const json& j, const char* key, int lo, int hi) {
  return intValue(j.at(key), key, lo, hi);
}
float numberIn(const json& j, const char* key, double lo, double hi) {
  const json& v = j.at(key);
  if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
    throw std::runtime_error(std::string(key) + " is " + v.dump() + ", expected a number in [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<float>(v.get<double>());
}
float numberIn(const json& j, const char* key, double lo, double hi, float missing) {
  return j.contains(key) ? numberIn(j, key, lo, hi) : missing;
}

/// Learnable parameters of a network, roughly (convolutions, attention and the classifier),
/// in floating point so that no size overflows.
double parameterEstimate(const NetworkConfig& n) {
  double total = 9.0 * n.inChannels * n.width, in = n.width;
  for (size_t s = 0; s < n.blocksPerStage.size(); ++s) {
    const double out = n.width * std::pow(2.0, double(s));
    for (int b = 0; b < n.blocksPerStage[s]; ++b) {
      total += 9 * in * out + 9 * out * out + in * out + (n.attention ? 3 * out * out + out : 0);
      in = out;
    }
  }
  return total + in * n.numClasses;
}
constexpr double kMaxParameters = 50e6;  // the shipped model has 1.5 million

ModelInfo fromJson(const json& j) {
  ModelInfo info;
  info.name = j.at("name").get<std::string>();
  const auto& n = j.at("network");
  if (n.at("arch").get<std::string>() != "preact-resnet-micro-attention")
    throw std::runtime_error("unknown architecture '" + n.at("arch").get<std::string>() + "'");
  const json& blocks = n.at("blocks_per_stage");
  if (!blocks.is_array() || blocks.empty() || blocks.size() > 6)
    throw std::runtime_error("blocks_per_stage must list 1 to 6 stages");
  info.network.blocksPerStage.clear();
  for (size_t s = 0; s < blocks.size(); ++s)
    info.network.blocksPerStage.push_back(
        intValue(blocks[s], "blocks_per_stage[" + std::to_string(s) + "]", 1, 16));
  info.network.width = intIn(n, "width", 1, 1024);
  info.network.inputSize = intIn(n, "input_size", 8, 512);
  // The classifier feeds gray crops.
  info.network.inChannels = intIn(n, "in_channels", 1, 1);
  info.network.numClasses = intIn(n, "num_classes", 1, 1000);
  info.network.attention = n.at("attention").get<bool>();
  // Files written before 2026-12-02 lack the two attention options: they are MicroFER's wiring.
  if (n.contains("attention_input")) {
    const json& in = n.at("attention_input");
    if (in != "raw" && in != "activated")
      throw std::runtime_error("attention_input is " + in.dump() +
                               ", expected \"raw\" or \"activated\"");
    info.network.attentionRawFirst = in == "raw";
  }
  if (n.contains("attention_bias")) info.network.attentionBias = n.at("attention_bias").get<bool>();
  info.network.dropout = numberIn(n, "dropout", 0, 0.99);
  if (parameterEstimate(info.network) > kMaxParameters)
    throw std::runtime_error("the network it describes is too large (over " +
                             std::to_string(static_cast<long long>(kMaxParameters)) +
                             " parameters)");
  const auto& norm = j.at("normalisation");
  info.mean = numberIn(norm, "mean", -1e3, 1e3);
  info.stdDev = numberIn(norm, "std", 1e-6, 1e3);
  info.classNames = j.at("class_names").get<std::vector<std::string>>();
  const auto& c = j.at("crop");
  info.crop.size = intIn(c, "size", 8, 512);
  info.crop.leftEyeX = numberIn(c, "left_eye_x", 0, 1);
  info.crop.rightEyeX = numberIn(c, "right_eye_x", 0, 1);
  info.crop.eyeY = numberIn(c, "eye_y", 0, 1);
  info.crop.boxScale = numberIn(c, "box_scale", 0.1, 10, 1.0f);
  info.crop.boxShiftY = numberIn(c, "box_shift_y", -1, 1, 0.0f);
  info.notes = j.value("notes", std::string());
  if (j.contains("calibration")) {  // files written before calibration existed have none
    const auto& cal = j.at("calibration");
    info.temperature = numberIn(cal, "temperature", 0.05, 20, 1.0f);
    info.uncertainBelow = numberIn(cal, "uncertain_below", 0, 1, 0.0f);
  }
  if (static_cast<int>(info.classNames.size()) != info.network.numClasses)
    throw std::runtime_error("class_names has " + std::to_string(info.classNames.size()) +
                             " entries but the network has " +
                             std::to_string(info.network.numClasses) + " outputs");
  if (info.crop.size != info.network.inputSize)
    throw std::runtime_error("crop size differs from the network input size");
  return info;
}

struct RawModel {
  uint32_t version = 0;
  std::string header, payload;
};

RawModel readVerified(const std::string& path) {
  const auto fail = [&](const std::string& why) {
    return ModelFileError("model file '" + path + "': " + why);
  };
  std::error_code ec;
  if (!fs::exists(path, ec)) throw fail("not found");
  if (fs::is_directory(path, ec)) throw fail("is a directory, not a model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot be opened for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 8 + 4 + 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw fail("not a MicroFER model (bad magic bytes)");
  const uint32_t version = getLe<uint32_t>(bytes, 8);
  if (version != kVersion && version != kLibTorchArchiveVersion)
    throw fail("unsupported format version " + std::to_string(version) +
               " (this MicroFER reads version " + std::to_string(kVersion) + ")");
  size_t pos = 12;
  const uint64_t headerLen = getLe<uint64_t>(bytes, pos);
  pos += 8;
  if (headerLen > kMaxHeader || pos + headerLen + 8 > bytes.size())
    throw fail("truncated or corrupt (header length)");
  RawModel raw;
  raw.version = version;
  raw.header = bytes.substr(pos, headerLen);
  pos += headerLen;
  const uint64_t payloadLen = getLe<uint64_t>(bytes, pos);
  pos += 8;
  if (payloadLen > kMaxPayload || pos + payloadLen + 8 != bytes.size())
    throw fail("truncated or corrupt (expected " + std::to_string(pos + payloadLen + 8) +
               " bytes, found " + std::to_string(bytes.size()) + ")");
  raw.payload = bytes.substr(pos, payloadLen);
  pos += payloadLen;
  const uint64_t stored = getLe<uint64_t>(bytes, pos);
  uint64_t h = fnv1a64(raw.header.data(), raw.header.size());
  h = fnv1a64(raw.payload.data(), raw.payload.size(), h);
  if (h != stored) throw fail("corrupt (checksum mismatch)");
  return raw;
}

ModelInfo parseHeader(const std::string& path, const std::string& header) {
  try {
    return fromJson(json::parse(header));
  } catch (const std::exception& e) {
    throw ModelFileError("model file '" + path + "': invalid header: " + e.what());
  }
}

/// The network a verified header describes, untrained.
MicroAttentionResNet buildNetwork(const std::string& path, const ModelInfo& info) {
  try {
    return MicroAttentionResNet(info.network);
  } catch (const std::exception& e) {
    throw ModelFileError("model file '" + path +
                         "': cannot build the network its header describes: " + e.what());
  }
}
}  // namespace

void saveModel(const std::string& path, MicroAttentionResNet& model, const ModelInfo& info) {
  const std::string payload = encodeTensors(model);
  const std::string header = toJson(info).dump(2);

  std::string out(kMagic, kMagic + 8);
  putLe<uint32_t>(out, kVersion);
  putLe<uint64_t>(out, header.size());
  out += header;
  putLe<uint64_t>(out, payload.size());
  out += payload;
  uint64_t h = fnv1a64(header.data(), header.size());
  h = fnv1a64(payload.data(), payload.size(), h);
  putLe<uint64_t>(out, h);

  try {
    writeFileAtomically(path, out);
  } catch (const std::runtime_error& e) {
    throw ModelFileError(std::string("model file: ") + e.what());
  }
}

ModelInfo readModelInfo(const std::string& path) {
  return parseHeader(path, readVerified(path).header);
}

MicroAttentionResNet loadModel(const std::string& path, ModelInfo& info) {
  const RawModel raw = readVerified(path);
  if (raw.version == kLibTorchArchiveVersion)
    throw ModelFileError("model file '" + path +
                         "': format 1 (weights in a LibTorch archive), which this MicroFER no "
                         "longer reads; convert it once with: microfer-train export --model '" +
                         path + "' --keep-crop --out NEW.mfm");
  info = parseHeader(path, raw.header);
  MicroAttentionResNet model = buildNetwork(path, info);
  try {
    decodeTensorsInto(model, raw.payload.data(), raw.payload.size());
  } catch (const std::runtime_error& e) {
    // The checksum matched, so this file was written for another architecture.
    throw ModelFileError("model file '" + path + "': weights do not fit the network: " +
                         e.what());
  }
  model->eval();
  return model;
}

MicroAttentionResNet loadFormat1Model(const std::string& path, ModelInfo& info) {
  const RawModel raw = readVerified(path);
  if (raw.version != kLibTorchArchiveVersion) return loadModel(path, info);
  info = parseHeader(path, raw.header);
  MicroAttentionResNet model = buildNetwork(path, info);
  try {
    torch::serialize::InputArchive archive;
    std::istringstream payload(raw.payload);
    archive.load_from(payload);
    model->load(archive);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw ModelFileError("model file '" + path + "': weights do not fit the network: " + what);
  }
  model->eval();
  return model;
}

}  // namespace microfer
