// The micro-attention ResNet, the model file, and TTA.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <cstdio>
#include <random>
#include <filesystem>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <opencv2/imgproc.hpp>

#include "microfer/train/calibration.hpp"
#include "microfer/train/weight_transfer.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {

NetworkConfig smallNet(bool attention = true) {
  NetworkConfig c;
  c.width = 8;
  c.attention = attention;
  return c;
}

TEST(Network, OutputShapes) {
  torch::manual_seed(0);
  MicroAttentionResNet net(smallNet());
  net->eval();
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> maps;
  const auto logits = net->forwardWithAttention(torch::randn({3, 1, 48, 48}), maps);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 7}));
  ASSERT_EQ(maps.size(), 4u);  // one unit per block, ResNet-10
  const int sides[4] = {48, 24, 12, 6};
  for (size_t i = 0; i < maps.size(); ++i)
    EXPECT_EQ(maps[i].sizes(), (std::vector<int64_t>{3, 1, sides[i], sides[i]})) << "block " << i;
  MicroAttentionResNet plain(smallNet(false));
  plain->eval();
  EXPECT_TRUE(plain->forwardWithAttention(torch::randn({2, 1, 48, 48}), maps).defined());
  EXPECT_TRUE(maps.empty());
  EXPECT_LT(plain->parameterCount(), net->parameterCount());
}

TEST(Network, DeeperConfigBuilds) {
  NetworkConfig c = smallNet();
  c.blocksPerStage = {2, 2, 2, 2};  // ResNet-18 layout
  MicroAttentionResNet net(c);
  net->eval();
  torch::NoGradGuard ng;
  std::vector<torch::Tensor> maps;
  net->forwardWithAttention(torch::randn({1, 1, 48, 48}), maps);
  EXPECT_EQ(maps.size(), 8u);
}

// A trained network copied into a wider one (train --init with a larger --width): the same
// logits before any step, and the weights from the new channels into the old ones are trained
// from the first step on (their gradients are not zero).
TEST(Network, WideningKeepsTheLogitsAndTrainsTheNewChannels) {
  // Width 4 -> 8 (twice, as 32 -> 64) and 4 -> 10 (not a whole multiple), both wirings.
  for (const int width : {8, 10})
  for (const char* wiring : {"microfer", "prototxt"}) {
    torch::manual_seed(5);
    NetworkConfig nc = smallNet();
    nc.width = 4;
    nc.blocksPerStage = {1, 2, 1, 1};
    setAttentionWiring(nc, wiring);
    MicroAttentionResNet narrow(nc);
    {  // batch-norm statistics and biases that are not their defaults
      torch::NoGradGuard ng;
      for (auto& b : narrow->named_buffers())
        if (b.value().is_floating_point()) b.value().uniform_(0.5, 1.5);
      for (auto& p : narrow->named_parameters())
        if (p.value().dim() == 1) p.value().uniform_(-0.3, 0.3);
    }
    NetworkConfig wc = nc;
    wc.width = width;
    MicroAttentionResNet wide(wc);
    widenInto(*narrow, *wide);
    narrow->eval();
    wide->eval();
    const torch::Tensor x = torch::randn({3, 1, 48, 48});
    torch::Tensor expected;
    {
      torch::NoGradGuard ng;
      expected = narrow->forward(x);
    }
    const torch::Tensor got = wide->forward(x);
    EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5))
        << wiring << ": " << (got - expected).abs().max().item<float>();
    // The wide network is really wider, and what is new reaches the logits after a step.
    EXPECT_GT(wide->parameterCount(), 3 * narrow->parameterCount());
    got.sum().backward();
    auto params = wide->named_parameters();
    const torch::Tensor fcGrad = params["fc.weight"].grad();
    ASSERT_TRUE(fcGrad.defined());
    const int64_t oldFeatures = 4 * 8, newFeatures = width * 8 - oldFeatures;
    EXPECT_GT(fcGrad.narrow(1, oldFeatures, newFeatures).abs().sum().item<float>(), 0.0f)
        << wiring;
    EXPECT_EQ(params["fc.weight"].narrow(1, oldFeatures, newFeatures).abs().sum().item<float>(),
              0.0f);
    const torch::Tensor conv = params["block0_0.conv1.weight"];
    EXPECT_GT(conv.grad().narrow(0, 0, 4).narrow(1, 4, width - 4).abs().sum().item<float>(),
              0.0f);
  }
  // Not a widening: narrower, another depth, another wiring.
  NetworkConfig a = smallNet(), b = smallNet();
  b.width = 4;
  MicroAttentionResNet na(a), nb(b);
  EXPECT_THROW(widenInto(*na, *nb), std::invalid_argument);
  b.width = 16;
  b.blocksPerStage = {2, 1, 1, 1};
  MicroAttentionResNet nd(b);
  EXPECT_THROW(widenInto(*na, *nd), std::invalid_argument);
  b.blocksPerStage = a.blocksPerStage;
  setAttentionWiring(a, "microfer");
  setAttentionWiring(b, "prototxt");
  MicroAttentionResNet ne(a), nf(b);
  EXPECT_THROW(widenInto(*ne, *nf), std::invalid_argument);
}

// `microfer-train average`: every tensor of the result is the weighted mean of the members'
// (parameters and batch-norm statistics; batch counters from the first member), weights
// divided by their sum; a weight 1,0 gives the first network's logits exactly; other
// architectures, counts and weights are refused.
TEST(Network, AverageIsTheWeightedMeanOfEveryTensor) {
  torch::manual_seed(11);
  NetworkConfig c = smallNet();
  c.width = 4;
  MicroAttentionResNet a(c), b(c), out(c);
  {
    torch::NoGradGuard ng;
    for (auto* n : {&a, &b})
      for (auto& t : (*n)->named_buffers())
        if (t.value().is_floating_point()) t.value().uniform_(0.5, 1.5);
    (*a).named_buffers()["final_bn.num_batches_tracked"].fill_(7);
    (*b).named_buffers()["final_bn.num_batches_tracked"].fill_(9);
  }
  std::map<std::string, torch::Tensor> before;
  for (const auto& p : a->named_parameters()) before[p.key()] = p.value().clone();
  averageInto({a.get(), b.get()}, {1.0, 3.0}, *out);  // 0.25 a + 0.75 b
  for (const auto& p : a->named_parameters())
    EXPECT_TRUE(p.value().equal(before[p.key()])) << "member changed: " << p.key();
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& p : out->named_parameters())
    EXPECT_TRUE(torch::allclose(p.value(), 0.25 * pa[p.key()] + 0.75 * pb[p.key()], 1e-6, 1e-7))
        << p.key();
  auto ba = a->named_buffers(), bb = b->named_buffers();
  for (const auto& t : out->named_buffers()) {
    if (t.value().is_floating_point())
      EXPECT_TRUE(torch::allclose(t.value(), 0.25 * ba[t.key()] + 0.75 * bb[t.key()], 1e-6, 1e-7))
          << t.key();
    else
      EXPECT_TRUE(t.value().equal(ba[t.key()])) << t.key();
  }
  // A weight of 0 leaves the other network exactly.
  MicroAttentionResNet onlyA(c);
  averageInto({a.get(), b.get()}, {2.0, 0.0}, *onlyA);
  a->eval();
  onlyA->eval();
  const torch::Tensor x = torch::randn({2, 1, 48, 48});
  torch::NoGradGuard ng;
  EXPECT_TRUE(onlyA->forward(x).equal(a->forward(x)));
  EXPECT_THROW(averageInto({a.get(), b.get()}, {1.0}, *out), std::invalid_argument);
  EXPECT_THROW(averageInto({a.get(), b.get()}, {1.0, -1.0}, *out), std::invalid_argument);
  EXPECT_THROW(averageInto({a.get(), b.get()}, {0.0, 0.0}, *out), std::invalid_argument);
  EXPECT_THROW(averageInto({a.get(), b.get()}, {1.0, std::numeric_limits<double>::infinity()}, *out),
               std::invalid_argument);
  NetworkConfig other = c;
  other.width = 8;
  MicroAttentionResNet wide(other);
  EXPECT_THROW(averageInto({a.get(), wide.get()}, {1.0, 1.0}, *out), std::invalid_argument);
  setAttentionWiring(other, attentionWiringName(c) == "prototxt" ? "microfer" : "prototxt");
  other.width = c.width;
  MicroAttentionResNet rewired(other);
  EXPECT_THROW(averageInto({a.get(), rewired.get()}, {1.0, 1.0}, *out), std::invalid_argument);
  out->packForInference();
  if (out->packedForInference())
    EXPECT_THROW(averageInto({a.get(), b.get()}, {1.0, 1.0}, *out), std::logic_error);
}

TEST(Network, MultiplyAddsCountEveryConvolutionAndTheClassifier) {
  // Worked out by hand: width 4, two stages of one block, 8x8 input (8x8, then 4x4).
  NetworkConfig c;
  c.width = 4;
  c.blocksPerStage = {1, 1};
  c.inputSize = 8;
  const int64_t stem = 64 * 4 * 1 * 9;
  const int64_t block0 = 64 * 4 * 4 * 9 * 2;                     // conv1, conv2
  const int64_t block1 = 16 * 8 * 4 * 9 + 16 * 8 * 8 * 9 + 16 * 8 * 4;  // + 1x1 projection
  const int64_t units = 64 * 4 * 12 + 64 * 4 + 16 * 8 * 24 + 16 * 8;   // embed, reduce
  const int64_t classifier = 8 * 7;
  EXPECT_EQ(MicroAttentionResNet(c)->multiplyAdds(), stem + block0 + block1 + units + classifier);
  c.attention = false;
  EXPECT_EQ(MicroAttentionResNet(c)->multiplyAdds(), stem + block0 + block1 + classifier);
  // The shipped architecture (ResNet-10, width 32, 48x48): 0.34 GFLOP a view, as
  // docs/PERFORMANCE.md says.
  EXPECT_EQ(MicroAttentionResNet(NetworkConfig{})->multiplyAdds(), 170672896);
}

TEST(Network, PackedForInferenceGivesTheSameLogitsAndMaps) {
  // ResNet-10, a deeper net, and the prototxt's wiring (no biases on the unit's 1x1 convs).
  for (const int variant : {0, 1, 2}) {
    SCOPED_TRACE(variant);
    torch::manual_seed(4);
    NetworkConfig c = smallNet();
    if (variant == 1) c.blocksPerStage = {2, 2, 2, 2};
    c.attentionRawFirst = c.attentionBias = variant != 2;
    MicroAttentionResNet net(c);
    net->eval();
    const auto x = torch::randn({5, 1, 48, 48});
    std::vector<torch::Tensor> mapsBefore, mapsAfter;
    torch::Tensor before, after;
    {
      torch::NoGradGuard ng;
      before = net->forwardWithAttention(x, mapsBefore);
    }
    net->packForInference();
    EXPECT_EQ(net->packedForInference(), at::hasMKLDNN());
    {
      c10::InferenceMode im;
      after = net->forwardWithAttention(x, mapsAfter);
      EXPECT_TRUE(torch::allclose(net->forward(x.slice(0, 0, 1)), before.slice(0, 0, 1), 1e-4,
                                  1e-5));
    }
    EXPECT_TRUE(torch::allclose(after, before, 1e-4, 1e-5))
        << (after - before).abs().max().item<float>();
    ASSERT_EQ(mapsAfter.size(), mapsBefore.size());
    for (size_t i = 0; i < mapsAfter.size(); ++i)
      EXPECT_TRUE(torch::allclose(mapsAfter[i], mapsBefore[i], 1e-4, 1e-5)) << "block " << i;
    // With autograd on, the module's own path runs: gradients reach every convolution.
    net->train();
    net->zero_grad();
    net->forward(x).sum().backward();
    for (const auto& p : net->named_parameters())
      EXPECT_TRUE(p.value().grad().defined()) << p.key();
  }
}

TEST(MicroAttention, ComputesTTimesOnePlusM) {
  // MicroFER's wiring (raw A, biases) and the prototxt's (A after BN-ReLU, no biases).
  for (const bool prototxt : {false, true}) {
    SCOPED_TRACE(prototxt ? "prototxt wiring" : "MicroFER wiring");
    torch::manual_seed(1);
    NetworkConfig config;
    config.attentionRawFirst = !prototxt;
    config.attentionBias = !prototxt;
    EXPECT_EQ(describeAttention(config), prototxt ? "on (A after BN-ReLU, no 1x1 biases)" : "on");
    ResidualBlock block(8, 8, 1, config);
    block->eval();
    EXPECT_EQ(block->attention->embed->bias.defined(), !prototxt);
    EXPECT_EQ(block->attention->reduce->bias.defined(), !prototxt);
    torch::NoGradGuard ng;
    const auto x = torch::randn({2, 8, 12, 12});
    torch::Tensor m;
    const auto out = block->forward(x, &m);
    // Recompute by hand from the block's own layers.
    const auto pre = torch::relu(block->bn1(x));
    const auto first = block->conv1(pre);
    const auto activated = torch::relu(block->bn2(first));
    const auto second = block->conv2(activated);
    const auto t = x + second;
    const auto a = prototxt ? activated : first;
    const auto mm = torch::sigmoid(
        block->attention->reduce(block->attention->embed(torch::cat({x, a, second}, 1))));
    EXPECT_TRUE(torch::allclose(m, mm, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(out, t * (1 + mm), 1e-5, 1e-6));
    EXPECT_GT(m.min().item<float>(), 0.f);
    EXPECT_LT(m.max().item<float>(), 1.f);
  }
}

TEST(MicroAttention, ReducerStartsAsChannelMean) {
  MicroAttention unit(16);
  EXPECT_TRUE(torch::allclose(unit->reduce->weight, torch::full({1, 16, 1, 1}, 1.0 / 16)));
  EXPECT_EQ(unit->reduce->bias.abs().sum().item<float>(), 0.f);
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("model");
    torch::manual_seed(2);
    net = MicroAttentionResNet(smallNet());
    info.network = smallNet();
    info.classNames.assign(emotionNames().begin(), emotionNames().end());
    info.crop.size = 48;
    path = (dir / "m.mfm").string();
    saveModel(path, net, info);
  }
  std::string readAll() {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  void writeAll(const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << bytes;
  }
  void expectError(const std::string& fragment) {
    ModelInfo got;
    try {
      loadModel(path, got);
      FAIL() << "no error for a damaged file; expected '" << fragment << "'";
    } catch (const ModelFileError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "message names the file";
    }
  }
  std::filesystem::path dir;
  MicroAttentionResNet net{nullptr};
  ModelInfo info;
  std::string path;
};

TEST_F(ModelFileTest, SaveLoadGivesIdenticalOutputs) {
  ModelInfo got;
  MicroAttentionResNet loaded = loadModel(path, got);
  net->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({4, 1, 48, 48});
  EXPECT_TRUE(torch::equal(net->forward(x), loaded->forward(x)));
  EXPECT_EQ(got.classNames, info.classNames);
  EXPECT_EQ(got.network.width, 8);
  EXPECT_FLOAT_EQ(got.crop.eyeY, info.crop.eyeY);
}

TEST_F(ModelFileTest, KeepsTheAttentionUnitsWiring) {
  {
    ModelInfo got;
    loadModel(path, got);
    EXPECT_TRUE(got.network.attentionRawFirst);
    EXPECT_TRUE(got.network.attentionBias);
  }
  torch::manual_seed(3);
  info.network.attentionRawFirst = false;
  info.network.attentionBias = false;
  MicroAttentionResNet prototxt(info.network);
  saveModel(path, prototxt, info);
  ModelInfo got;
  MicroAttentionResNet loaded = loadModel(path, got);
  EXPECT_FALSE(got.network.attentionRawFirst);
  EXPECT_FALSE(got.network.attentionBias);
  prototxt->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({2, 1, 48, 48});
  EXPECT_TRUE(torch::equal(prototxt->forward(x), loaded->forward(x)));
}

TEST_F(ModelFileTest, MissingFileIsAClearError) {
  std::filesystem::remove(path);
  expectError("not found");
}

TEST_F(ModelFileTest, TruncatedFileIsAClearError) {
  const std::string bytes = readAll();
  for (size_t keep : {size_t(0), size_t(5), size_t(30), bytes.size() / 2, bytes.size() - 1}) {
    writeAll(bytes.substr(0, keep));
    ModelInfo got;
    EXPECT_THROW(loadModel(path, got), ModelFileError) << "kept " << keep << " bytes";
  }
}

TEST_F(ModelFileTest, FlippedByteIsDetectedByChecksum) {
  std::string bytes = readAll();
  bytes[bytes.size() / 2] ^= 0x40;
  writeAll(bytes);
  expectError("checksum");
}

TEST_F(ModelFileTest, ForeignFileIsRejected) {
  writeAll("PK\x03\x04 this is a zip, not a model");
  expectError("not a MicroFER model");
}

TEST_F(ModelFileTest, ClassCountMismatchIsRejected) {
  info.classNames.pop_back();  // 6 names for a 7-output network
  saveModel(path, net, info);
  expectError("class_names");
}

/// A model file taken apart by the documented layout (model_file.hpp): its version, JSON
/// header and payload; and put together again with correct lengths and checksum.
struct ModelFileParts {
  uint32_t version = 0;
  std::string header, payload;
  static uint64_t le(const std::string& b, size_t pos, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[pos + i]);
    return v;
  }
  static void put(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  explicit ModelFileParts(const std::string& b) {
    version = static_cast<uint32_t>(le(b, 8, 4));
    const size_t h = le(b, 12, 8);
    header = b.substr(20, h);
    const size_t p = le(b, 20 + h, 8);
    payload = b.substr(28 + h, p);
  }
  std::string bytes() const {
    std::string out = "MICROFER";
    put(out, version, 4);
    put(out, header.size(), 8);
    out += header;
    put(out, payload.size(), 8);
    out += payload;
    put(out, fnv1a64(payload.data(), payload.size(), fnv1a64(header.data(), header.size())), 8);
    return out;
  }
};

// Files written before the wiring was stored read as MicroFER's wiring; a wiring the code
// does not know, or one that does not fit the stored tensors, is refused.
TEST_F(ModelFileTest, OldFilesReadAsMicroFersWiringAndABadWiringIsRefused) {
  const ModelFileParts good(readAll());
  const auto withNetwork = [&](const std::function<void(nlohmann::json&)>& edit) {
    ModelFileParts parts = good;
    auto header = nlohmann::json::parse(parts.header);
    edit(header.at("network"));
    parts.header = header.dump(2);
    writeAll(parts.bytes());
  };
  withNetwork([](nlohmann::json& n) {
    ASSERT_EQ(n.erase("attention_input"), 1u);
    ASSERT_EQ(n.erase("attention_bias"), 1u);
  });
  ModelInfo got;
  MicroAttentionResNet loaded = loadModel(path, got);
  EXPECT_TRUE(got.network.attentionRawFirst);
  EXPECT_TRUE(got.network.attentionBias);
  EXPECT_EQ(loaded->parameterCount(), net->parameterCount());

  withNetwork([](nlohmann::json& n) { n["attention_input"] = "sideways"; });
  expectError("attention_input");
  withNetwork([](nlohmann::json& n) { n["attention_bias"] = false; });
  expectError("do not fit");
}

// The payload is the documented tensor encoding: every parameter and buffer of the network
// once, by name, with its shape, nothing else; readable without LibTorch.
TEST_F(ModelFileTest, PayloadIsTheDocumentedTensorEncoding) {
  const ModelFileParts parts(readAll());
  EXPECT_EQ(parts.version, 2u);
  EXPECT_EQ(parts.header.front(), '{');
  std::map<std::string, std::vector<int64_t>> expected;
  for (const auto& p : net->named_parameters()) expected[p.key()] = p.value().sizes().vec();
  for (const auto& b : net->named_buffers()) expected[b.key()] = b.value().sizes().vec();
  const std::string& e = parts.payload;
  size_t pos = 0;
  const auto take = [&](int bytes) {
    const uint64_t v = ModelFileParts::le(e, pos, bytes);
    pos += bytes;
    return v;
  };
  const size_t count = expected.size();
  ASSERT_EQ(take(4), count);
  for (size_t i = 0; i < count; ++i) {
    const size_t nameLength = take(4);
    const std::string name = e.substr(pos, nameLength);
    pos += nameLength;
    ASSERT_TRUE(expected.count(name)) << name;
    const uint64_t type = take(1);
    std::vector<int64_t> dims(take(4));
    int64_t elements = 1;
    for (auto& d : dims) elements *= (d = static_cast<int64_t>(take(8)));
    EXPECT_EQ(dims, expected[name]) << name;
    EXPECT_EQ(type, name.find("num_batches_tracked") != std::string::npos ? 1u : 0u) << name;
    pos += static_cast<size_t>(elements) * (type ? 8 : 4);
    expected.erase(name);
  }
  EXPECT_TRUE(expected.empty());
  EXPECT_EQ(pos, e.size());
}

// Behind a valid checksum, tensors that do not fit the network are refused by our decoder.
TEST_F(ModelFileTest, TensorsThatDoNotFitAreRefusedBehindAValidChecksum) {
  const ModelFileParts good(readAll());
  const auto withPayload = [&](const std::string& payload) {
    ModelFileParts parts = good;
    parts.payload = payload;
    writeAll(parts.bytes());
  };
  withPayload(good.payload + "x");
  expectError("trailing bytes");
  withPayload(good.payload.substr(0, good.payload.size() - 3));
  expectError("truncated");
  std::string nan = good.payload;
  const float value = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan[nan.size() - 4], &value, 4);  // the last tensor is a float one
  withPayload(nan);
  expectError("not finite");
  std::string count = good.payload;
  count[0] = static_cast<char>(count[0] + 1);
  withPayload(count);
  expectError("tensors, the network has");
  // Another architecture's tensors under this header.
  MicroAttentionResNet other(smallNet(false));
  ModelInfo plain = info;
  plain.network = smallNet(false);
  saveModel(path, other, plain);
  withPayload(ModelFileParts(readAll()).payload);
  expectError("weights do not fit the network");
}

// A file written before format 2 (weights in a LibTorch archive) is refused on load with the
// command that converts it; that conversion keeps the network's outputs.
TEST_F(ModelFileTest, Format1IsRefusedOnLoadAndConvertedByExport) {
  const std::string old = test::sourceDir() + "/tests/data/format1/tiny-attention-format1.mfm";
  ModelInfo got;
  try {
    loadModel(old, got);
    FAIL() << "a format-1 file loaded";
  } catch (const ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find("microfer-train export --model"), std::string::npos)
        << e.what();
  }
  ModelInfo oldInfo;
  MicroAttentionResNet fromOld = loadFormat1Model(old, oldInfo);
  const std::string converted = (dir / "converted.mfm").string();
  const std::string cmd = std::string(MICROFER_TRAIN) + " export --model " + old +
                          " --keep-crop --out " + converted + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ModelInfo newInfo;
  MicroAttentionResNet fromNew = loadModel(converted, newInfo);
  EXPECT_EQ(newInfo.name, oldInfo.name);
  EXPECT_EQ(newInfo.classNames, oldInfo.classNames);
  torch::NoGradGuard ng;
  const int s = newInfo.network.inputSize;
  const auto x = torch::randn({2, 1, s, s});
  EXPECT_TRUE(torch::equal(fromOld->forward(x), fromNew->forward(x)));
}

TEST(Tta, ViewCounts) {
  TtaConfig t;
  t.mode = TtaMode::Off;
  EXPECT_EQ(makeTtaViews(t, 48).size(), 1u);
  t.mode = TtaMode::Flip;
  EXPECT_EQ(makeTtaViews(t, 48).size(), 2u);
  t.mode = TtaMode::Full;
  EXPECT_EQ(makeTtaViews(t, 48).size(), 8u) << "flip x (centre, 2 rotations, 1 shift)";
}

TEST(Calibration, TemperatureAndThresholdFromValidationLogits) {
  // 200 faces, 2 views, 3 classes; logits are over-confident: the true class wins only 60 %
  // of the time while the top probability is ~0.99.
  ViewLogits v;
  v.classes = 3;
  v.weights = {1.f, 1.f};
  std::mt19937 rng(3);
  for (int i = 0; i < 200; ++i) {
    const int label = i % 3, top = (i % 5 < 3) ? label : (label + 1) % 3;
    std::vector<float> l(6, 0.f);
    for (int view = 0; view < 2; ++view)
      l[view * 3 + top] = 6.f + std::uniform_real_distribution<float>(0, 1)(rng);
    v.logits.push_back(l);
    v.labels.push_back(label);
  }
  const double before = expectedCalibrationError(confidencesAt(v, 1.f));
  const float t = fitTemperature(v);
  EXPECT_GT(t, 1.5f) << "over-confident logits are softened";
  EXPECT_LT(negativeLogLikelihood(v, t), negativeLogLikelihood(v, 1.f));
  const Confidences after = confidencesAt(v, t);
  EXPECT_LT(expectedCalibrationError(after), before);
  EXPECT_NEAR(expectedCalibrationError(after), 0.0, 0.1);
  // Every face is right 60 % of the time at the same confidence: no band where faces are
  // right at most half of the time, so no threshold.
  EXPECT_EQ(chooseUncertainThreshold(after), 0.f);
  Confidences c;
  for (int i = 0; i < 200; ++i) {  // 40 at 0.40 (right 1 in 4), 60 at 0.515 (right 1 in 2),
    const int band = i < 40 ? 0 : i < 100 ? 1 : 2;  // 100 at 0.80 (always right)
    c.top.push_back(band == 0 ? 0.40f : band == 1 ? 0.515f : 0.80f);
    c.right.push_back(band == 0 ? i % 4 == 0 : band == 1 ? i % 2 == 0 : true);
  }
  // The largest t whose band [t - 0.05, t) is right at most half of the time: 0.515 lies in
  // the bands of t = 0.52 .. 0.56.
  EXPECT_FLOAT_EQ(chooseUncertainThreshold(c), 0.56f);
  c.right.assign(200, true);
  EXPECT_EQ(chooseUncertainThreshold(c), 0.f);
}

TEST_F(ModelFileTest, CalibrationIsStoredAndAppliedByTheClassifier) {
  ModelInfo got;
  loadModel(path, got);
  EXPECT_FLOAT_EQ(got.temperature, 1.f) << "a file without calibration keeps the raw scores";
  EXPECT_FLOAT_EQ(got.uncertainBelow, 0.f);
  cv::Mat crop(48, 48, CV_8U);
  cv::RNG rng(12345);  // not OpenCV's global generator: the crop is the same in any test order
  rng.fill(crop, cv::RNG::UNIFORM, 0, 255);
  ClassifierConfig cc;
  cc.modelPath = path;
  cc.tta.mode = TtaMode::Flip;
  const Prediction raw = ExpressionClassifier(cc).classify(crop);
  info.temperature = 3.f;
  info.uncertainBelow = 0.99f;
  saveModel(path, net, info);
  loadModel(path, got);
  EXPECT_FLOAT_EQ(got.temperature, 3.f);
  EXPECT_FLOAT_EQ(got.uncertainBelow, 0.99f);
  ExpressionClassifier calibrated(cc);
  const Prediction soft = calibrated.classify(crop);
  EXPECT_LT(soft.confidence, raw.confidence) << "a temperature above 1 softens";
  EXPECT_TRUE(soft.uncertain);
  // The classifier's probabilities are averageViews() of its own view logits.
  const auto logits = calibrated.viewLogits({crop});
  std::vector<float> p(7);
  averageViews(logits[0].data(), 2, 7, calibrated.viewWeights(), 3.f, p.data());
  for (int c = 0; c < 7; ++c) EXPECT_NEAR(p[c], soft.probs[c], 1e-5);
  cc.minConfidence = 0.f;  // --min-confidence 0: never uncertain
  EXPECT_FALSE(ExpressionClassifier(cc).classify(crop).uncertain);
}

TEST(Tta, FlippingTwiceIsIdentity) {
  TtaConfig t;
  t.mode = TtaMode::Flip;
  const auto views = makeTtaViews(t, 48);
  cv::Mat img(48, 48, CV_8U);
  cv::randu(img, 0, 255);
  cv::Mat once, twice;
  cv::warpAffine(img, once, views[1].affine, img.size(), cv::INTER_NEAREST);
  cv::warpAffine(once, twice, views[1].affine, img.size(), cv::INTER_NEAREST);
  EXPECT_EQ(cv::norm(img, twice, cv::NORM_INF), 0.0);
  EXPECT_GT(cv::norm(img, once, cv::NORM_INF), 0.0);
}

class ClassifierTest : public ModelFileTest {};

TEST_F(ClassifierTest, OffEqualsOneForwardPassAndProbabilitiesSumToOne) {
  ClassifierConfig cc;
  cc.modelPath = path;
  cc.tta.mode = TtaMode::Off;
  ExpressionClassifier clf(cc);
  cv::Mat crop(48, 48, CV_8U);
  cv::randu(crop, 0, 255);
  const Prediction p = clf.classify(crop);
  // The same pass by hand.
  ModelInfo got;
  MicroAttentionResNet m = loadModel(path, got);
  torch::NoGradGuard ng;
  cv::Mat f;
  crop.convertTo(f, CV_32F, 1.0 / (255 * got.stdDev), -got.mean / got.stdDev);
  const auto x = torch::from_blob(f.data, {1, 1, 48, 48}).clone();
  const auto ref = torch::softmax(m->forward(x), 1);
  for (int c = 0; c < 7; ++c) EXPECT_NEAR(p.probs[c], ref[0][c].item<float>(), 1e-5) << c;
  for (TtaMode mode : {TtaMode::Off, TtaMode::Flip, TtaMode::Full}) {
    TtaConfig t;
    t.mode = mode;
    clf.setTta(t);
    const auto preds = clf.classify(std::vector<cv::Mat>{crop, 255 - crop}, true);
    ASSERT_EQ(preds.size(), 2u);
    for (const auto& q : preds) {
      float sum = 0;
      for (float v : q.probs) sum += v;
      EXPECT_NEAR(sum, 1.f, 1e-4) << toString(mode);
      EXPECT_EQ(q.attention.size(), cv::Size(48, 48));
      EXPECT_FLOAT_EQ(q.confidence, q.probs[q.label]);
    }
  }
}

TEST_F(ClassifierTest, BatchEqualsOneByOne) {
  ClassifierConfig cc;
  cc.modelPath = path;
  cc.tta.mode = TtaMode::Full;
  ExpressionClassifier clf(cc);
  std::vector<cv::Mat> crops(3, cv::Mat(48, 48, CV_8U));
  for (auto& c : crops) {
    c = cv::Mat(48, 48, CV_8U);
    cv::randu(c, 0, 255);
  }
  const auto batch = clf.classify(crops);
  for (size_t i = 0; i < crops.size(); ++i) {
    const auto one = clf.classify(crops[i]);
    for (int c = 0; c < 7; ++c) EXPECT_NEAR(batch[i].probs[c], one.probs[c], 1e-5);
  }
}

TEST_F(ClassifierTest, PassSplitAcrossThreadsEqualsOnePass) {
  const int threads = torch::get_num_threads();
  torch::set_num_threads(2);
  ClassifierConfig cc;
  cc.modelPath = path;
  cc.tta.mode = TtaMode::Flip;
  ExpressionClassifier split(cc);  // 3 faces x 2 views >= parallelMinViews: two chunks
  cc.parallelMinViews = 0;
  ExpressionClassifier whole(cc);
  std::vector<cv::Mat> crops(3);
  for (auto& c : crops) {
    c = cv::Mat(48, 48, CV_8U);
    cv::randu(c, 0, 255);
  }
  cc.parallelMinViews = 2;
  cc.maxViewsPerPiece = 2;  // each thread's 3 views in pieces of 2 and 1
  ExpressionClassifier pieces(cc);
  const auto a = split.classify(crops, true);
  EXPECT_EQ(torch::get_num_threads(), 2) << "the thread count must be restored";
  const auto b = whole.classify(crops, true);
  EXPECT_EQ(torch::get_num_threads(), 2);
  const auto p = pieces.classify(crops, true);
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 3u);
  ASSERT_EQ(p.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    for (int c = 0; c < 7; ++c) {
      EXPECT_NEAR(a[i].probs[c], b[i].probs[c], 1e-5) << i << " " << c;
      EXPECT_NEAR(p[i].probs[c], b[i].probs[c], 1e-5) << i << " " << c;
    }
    ASSERT_EQ(a[i].attention.size(), cv::Size(48, 48));
    ASSERT_EQ(p[i].attention.size(), cv::Size(48, 48));
    EXPECT_LT(cv::norm(a[i].attention, b[i].attention, cv::NORM_INF), 1e-5) << i;
    EXPECT_LT(cv::norm(p[i].attention, b[i].attention, cv::NORM_INF), 1e-5) << i;
  }
  torch::set_num_threads(threads);
}

TEST(Classifier, NoModelIsAClearError) {
  ClassifierConfig cc;
  cc.modelPath = "/nonexistent/model.mfm";
  try {
    ExpressionClassifier clf(cc);
    FAIL() << "expected ModelFileError";
  } catch (const ModelFileError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.mfm"), std::string::npos);
  }
}

}  // namespace
}  // namespace microfer
