#include "microfer/model_file.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace microfer {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr char kMagic[8] = {'M', 'I', 'C', 'R', 'O', 'F', 'E', 'R'};
constexpr uint32_t kVersion = 1;
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
              {"notes", info.notes}};
}

ModelInfo fromJson(const json& j) {
  ModelInfo info;
  info.name = j.at("name").get<std::string>();
  const auto& n = j.at("network");
  if (n.at("arch").get<std::string>() != "preact-resnet-micro-attention")
    throw std::runtime_error("unknown architecture '" + n.at("arch").get<std::string>() + "'");
  info.network.blocksPerStage = n.at("blocks_per_stage").get<std::vector<int>>();
  info.network.width = n.at("width").get<int>();
  info.network.inputSize = n.at("input_size").get<int>();
  info.network.inChannels = n.at("in_channels").get<int>();
  info.network.numClasses = n.at("num_classes").get<int>();
  info.network.attention = n.at("attention").get<bool>();
  info.network.dropout = n.at("dropout").get<double>();
  info.mean = j.at("normalisation").at("mean").get<float>();
  info.stdDev = j.at("normalisation").at("std").get<float>();
  info.classNames = j.at("class_names").get<std::vector<std::string>>();
  const auto& c = j.at("crop");
  info.crop.size = c.at("size").get<int>();
  info.crop.leftEyeX = c.at("left_eye_x").get<float>();
  info.crop.rightEyeX = c.at("right_eye_x").get<float>();
  info.crop.eyeY = c.at("eye_y").get<float>();
  info.crop.boxScale = c.value("box_scale", 1.0f);
  info.crop.boxShiftY = c.value("box_shift_y", 0.0f);
  info.notes = j.value("notes", std::string());
  if (static_cast<int>(info.classNames.size()) != info.network.numClasses)
    throw std::runtime_error("class_names has " + std::to_string(info.classNames.size()) +
                             " entries but the network has " +
                             std::to_string(info.network.numClasses) + " outputs");
  if (info.crop.size != info.network.inputSize)
    throw std::runtime_error("crop size differs from the network input size");
  return info;
}

struct RawModel {
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
  if (version != kVersion) throw fail("unsupported format version " + std::to_string(version));
  size_t pos = 12;
  const uint64_t headerLen = getLe<uint64_t>(bytes, pos);
  pos += 8;
  if (headerLen > kMaxHeader || pos + headerLen + 8 > bytes.size())
    throw fail("truncated or corrupt (header length)");
  RawModel raw;
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
}  // namespace

uint64_t fnv1a64(const void* data, size_t size, uint64_t seed) {
  uint64_t h = seed;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

void saveModel(const std::string& path, MicroAttentionResNet& model, const ModelInfo& info) {
  torch::serialize::OutputArchive archive;
  model->save(archive);
  std::ostringstream payloadStream;
  archive.save_to(payloadStream);
  const std::string payload = payloadStream.str();
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

  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw ModelFileError("model file '" + path + "': cannot write '" + tmp + "'");
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw ModelFileError("model file '" + path + "': write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw ModelFileError("model file '" + path + "': cannot rename: " + ec.message());
}

ModelInfo readModelInfo(const std::string& path) {
  return parseHeader(path, readVerified(path).header);
}

MicroAttentionResNet loadModel(const std::string& path, ModelInfo& info) {
  const RawModel raw = readVerified(path);
  info = parseHeader(path, raw.header);
  MicroAttentionResNet model(nullptr);
  try {
    model = MicroAttentionResNet(info.network);
    torch::serialize::InputArchive archive;
    std::istringstream payload(raw.payload);
    archive.load_from(payload);
    model->load(archive);
  } catch (const std::exception& e) {
    // The checksum matched, so this is a file written for another architecture.
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw ModelFileError("model file '" + path + "': weights do not fit the architecture: " + what);
  }
  model->eval();
  return model;
}

std::string defaultModelPath() {
  const char* env = std::getenv("MICROFER_MODEL");
  if (env && *env) return env;
  const char* name = "microfer-resnet10.mfm";
  std::error_code ec;
  // Relative to the executable too, so a relocated install (e.g. the .deb in /usr) works.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path besideExe =
      ec ? fs::path() : exe.parent_path() / ".." / "share" / "microfer" / "models";
  for (const fs::path& dir : {fs::path(MICROFER_SOURCE_DIR) / "models",
                              fs::path(MICROFER_DATA_DIR) / "models", besideExe}) {
    if (dir.empty()) continue;
    if (fs::exists(dir / name, ec)) return (dir / name).string();
  }
  return "";
}

}  // namespace microfer
