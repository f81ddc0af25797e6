// Fuzz target: the model file loader (.mfm), as the classifier uses it.
//
// Contract checked: any file is either loaded into a classifier that then classifies a crop,
// or refused with a ModelFileError; no other exception, no crash.
//
// Built twice:
// - fuzz_model_file: the bytes are loaded as they are. Almost every mutation is caught by
//   the magic, length and checksum checks, which is what this target exercises.
// - fuzz_model_file_fixup (MICROFER_FUZZ_FIX_CHECKSUM): the payload length and the checksum
//   are recomputed before loading, and a custom mutator mutates the JSON header and the
//   weights (MicroFER's tensor encoding, tensor_codec.hpp) separately, so that mutations get
//   past the checksum into the header parser and the tensor decoder.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <opencv2/core.hpp>
#include <random>
#include <string>

#include "fuzz_util.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"

namespace {

using namespace microfer;

// The file layout of model_file.hpp: magic (8), version (4), header length (8), header,
// payload length (8), payload, checksum (8).
constexpr size_t kPrefix = 12, kFrame = kPrefix + 8 + 8 + 8;

uint64_t readLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void putLe64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// A model file taken apart leniently: the header by its length field, the payload is
/// whatever lies between the header and the last 8 bytes (its length field is ignored).
struct Parts {
  std::string prefix, header, payload;
};
bool split(const uint8_t* data, size_t size, Parts& parts) {
  if (size < kFrame) return false;
  const uint64_t headerLen = readLe64(data + kPrefix);
  if (headerLen > size - kFrame) return false;
  const char* p = reinterpret_cast<const char*>(data);
  parts.prefix.assign(p, kPrefix);
  parts.header.assign(p + kPrefix + 8, headerLen);
  parts.payload.assign(p + kPrefix + 8 + headerLen + 8, size - kFrame - headerLen);
  return true;
}
/// The parts as a file with correct lengths and checksum.
std::string join(const Parts& parts) {
  std::string out = parts.prefix;
  putLe64(out, parts.header.size());
  out += parts.header;
  putLe64(out, parts.payload.size());
  out += parts.payload;
  uint64_t h = fnv1a64(parts.header.data(), parts.header.size());
  h = fnv1a64(parts.payload.data(), parts.payload.size(), h);
  putLe64(out, h);
  return out;
}

}  // namespace

#ifdef MICROFER_FUZZ_FIX_CHECKSUM
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);

// Mutates the header or the payload on its own, then frames it again (lengths, checksum).
// Inputs that are not model files at all, and one mutation in eight, are mutated as raw bytes
// (the magic, the version and the length fields need mutating too).
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize,
                                          unsigned int seed) {
  std::minstd_rand rng(seed);
  Parts parts;
  if (rng() % 8 == 0 || !split(data, size, parts)) return LLVMFuzzerMutate(data, size, maxSize);
  std::string& part = rng() % 3 == 0 ? parts.header : parts.payload;
  const size_t others = size - part.size();
  if (others >= maxSize) return LLVMFuzzerMutate(data, size, maxSize);
  const size_t room = maxSize - others, used = std::min(part.size(), room);
  part.resize(room);
  part.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(part.data()), used, room));
  const std::string out = join(parts);
  if (out.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
#endif

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quietLogs();
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = (fuzz::scratchDir() / "model.mfm").string();
#ifdef MICROFER_FUZZ_FIX_CHECKSUM
  // Inputs from crossover or from another corpus: give them valid lengths and checksum too.
  Parts parts;
  if (split(data, size, parts)) {
    const std::string fixed = join(parts);
    fuzz::writeBytes(path, reinterpret_cast<const uint8_t*>(fixed.data()), fixed.size());
  } else {
    fuzz::writeBytes(path, data, size);
  }
#else
  fuzz::writeBytes(path, data, size);
#endif
  ClassifierConfig config;
  config.modelPath = path;
  config.tta.mode = TtaMode::Flip;
  std::unique_ptr<ExpressionClassifier> classifier;
  try {
    classifier = std::make_unique<ExpressionClassifier>(config);
  } catch (const ModelFileError&) {
    return 0;
  }
  // A model that loads must classify: a gray crop of the size its header promises.
  const int s = classifier->cropGeometry().size;
  cv::Mat crop(s, s, CV_8UC1, cv::Scalar(128));
  const Prediction p = classifier->classify(crop, true);
  if (p.label < 0 || p.label >= kNumEmotions) __builtin_trap();
  return 0;
}
