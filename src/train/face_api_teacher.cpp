#include "microfer/train/face_api_teacher.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "microfer/runtime/file_io.hpp"
#include "microfer/train/tfjs_weights.hpp"

namespace microfer {
namespace {

namespace F = torch::nn::functional;

constexpr int kInputSize = 112;
// face-api's FaceFeatureExtractor: meanRgb = [122.782, 117.001, 104.298], then / 255.
constexpr float kMeanRgb[3] = {122.782f, 117.001f, 104.298f};
constexpr int kChannels[4] = {32, 64, 128, 256};

// TensorFlow's "same" padding for a 3x3 kernel: total = max((ceil(n/s) - 1) * s + 3 - n, 0),
// the smaller half before. PyTorch's symmetric padding differs where the total is odd.
torch::Tensor padSame(const torch::Tensor& x, int stride) {
  auto pads = [stride](int64_t n) {
    const int64_t out = (n + stride - 1) / stride;
    const int64_t total = std::max<int64_t>((out - 1) * stride + 3 - n, 0);
    return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
  };
  const auto [top, bottom] = pads(x.size(2));
  const auto [left, right] = pads(x.size(3));
  return F::pad(x, F::PadFuncOptions({left, right, top, bottom}));
}

}  // namespace

std::string faceApiTeacherDir() {
  const char* env = std::getenv("MICROFER_TEACHER_DIR");
  return env != nullptr && *env != '\0' ? std::string(env)
                                        : std::string("/var/tmp/microfer-runs/teacher");
}

std::string faceApiExpressionManifest(const std::string& teacherDir) {
  return teacherDir + "/face-api/model/face_expression_model-weights_manifest.json";
}

FaceApiSeparableConvImpl::FaceApiSeparableConvImpl(int in, int out, int stride_) : stride(stride_) {
  depthwise = register_module(
      "depthwise",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in, in, 3).stride(stride).groups(in).bias(false)));
  pointwise = register_module("pointwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)));
}

torch::Tensor FaceApiSeparableConvImpl::forward(const torch::Tensor& x) {
  return pointwise(depthwise(padSame(x, stride)));
}

FaceApiExpressionNetImpl::FaceApiExpressionNetImpl() {
  stem = register_module("stem",
                         torch::nn::Conv2d(torch::nn::Conv2dOptions(3, kChannels[0], 3).stride(2)));
  separable = register_module("separable", torch::nn::ModuleList());
  int in = kChannels[0];
  for (int block = 0; block < 4; ++block) {
    for (int conv = block == 0 ? 1 : 0; conv < 4; ++conv) {
      separable->push_back(FaceApiSeparableConv(in, kChannels[block], conv == 0 ? 2 : 1));
      in = kChannels[block];
    }
  }
  fc = register_module("fc", torch::nn::Linear(kChannels[3], 7));
  meanRgb = register_buffer(
      "meanRgb", torch::tensor({kMeanRgb[0], kMeanRgb[1], kMeanRgb[2]}).view({1, 3, 1, 1}));
}

torch::Tensor FaceApiExpressionNetImpl::features(const torch::Tensor& rgb255) {
  TORCH_CHECK(rgb255.dim() == 4 && rgb255.size(1) == 3,
              "the face teacher takes N x 3 x H x W RGB input, got ", rgb255.sizes());
  torch::Tensor x = (rgb255 - meanRgb) / 255.f;
  size_t layer = 0;
  for (int block = 0; block < 4; ++block) {
    // out_k = conv_k(relu(out_1 + ... + out_{k-1})); the block's output is relu of the sum
    // of all four (face-api's denseBlock4).
    torch::Tensor first =
        torch::relu(block == 0 ? stem(padSame(x, 2))
                               : separable[layer++]->as<FaceApiSeparableConv>()->forward(x));
    torch::Tensor sum = first;
    for (int conv = 1; conv < 4; ++conv) {
      const torch::Tensor input = conv == 1 ? first : torch::relu(sum);
      sum = sum + separable[layer++]->as<FaceApiSeparableConv>()->forward(input);
    }
    x = torch::relu(sum);
  }
  x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(7).stride(2));  // 7x7 -> 1x1 at 112 input
  return x.flatten(1);
}

torch::Tensor FaceApiExpressionNetImpl::forward(const torch::Tensor& rgb255) {
  return fc(features(rgb255));
}

FaceApiExpressionNet loadFaceApiExpressionNet(const std::string& manifestPath) {
  auto weights = readTfjsWeights(manifestPath);
  std::set<std::string> used;
  auto take = [&](const std::string& name, torch::IntArrayRef shape) {
    const auto it = weights.find(name);
    if (it == weights.end()) {
      throw TfjsWeightsError("'" + manifestPath + "' has no tensor '" + name +
                             "' (not face-api's faceExpressionNet?)");
    }
    if (it->second.sizes() != shape) {
      std::ostringstream msg;
      msg << "'" << manifestPath << "': tensor '" << name << "' has shape " << it->second.sizes()
          << ", expected " << shape;
      throw TfjsWeightsError(msg.str());
    }
    used.insert(name);
    return it->second;
  };

  FaceApiExpressionNet net;
  torch::NoGradGuard noGrad;
  // TensorFlow filters: H x W x in x out (depthwise: H x W x in x 1); LibTorch: out x in x H x W.
  net->stem->weight.copy_(take("dense0/conv0/filters", {3, 3, 3, 32}).permute({3, 2, 0, 1}));
  net->stem->bias.copy_(take("dense0/conv0/bias", {32}));
  size_t layer = 0;
  int in = kChannels[0];
  for (int block = 0; block < 4; ++block) {
    const int out = kChannels[block];
    for (int conv = block == 0 ? 1 : 0; conv < 4; ++conv) {
      const std::string prefix =
          "dense" + std::to_string(block) + "/conv" + std::to_string(conv) + "/";
      auto sep = net->separable[layer++]->as<FaceApiSeparableConv>();
      sep->depthwise->weight.copy_(
          take(prefix + "depthwise_filter", {3, 3, in, 1}).permute({2, 3, 0, 1}));
      sep->pointwise->weight.copy_(
          take(prefix + "pointwise_filter", {1, 1, in, out}).permute({3, 2, 0, 1}));
      sep->pointwise->bias.copy_(take(prefix + "bias", {out}));
      in = out;
    }
  }
  // fc/weights is in x out (x @ W + b); our rows in emotionNames() order.
  const auto order =
      torch::tensor(std::vector<int64_t>(kFaceApiIndexOfOurs.begin(), kFaceApiIndexOfOurs.end()));
  net->fc->weight.copy_(take("fc/weights", {256, 7}).t().index_select(0, order));
  net->fc->bias.copy_(take("fc/bias", {7}).index_select(0, order));
  for (const auto& [name, tensor] : weights) {
    if (used.count(name) == 0) {
      throw TfjsWeightsError("'" + manifestPath + "': tensor '" + name +
                             "' is not part of faceExpressionNet");
    }
  }
  net->eval();
  return net;
}

torch::Tensor toFaceApiInput(const cv::Mat& face) {
  if (face.empty() || face.depth() != CV_8U ||
      (face.channels() != 1 && face.channels() != 3 && face.channels() != 4)) {
    throw std::invalid_argument("toFaceApiInput: needs an 8-bit gray, BGR or BGRA image");
  }
  cv::Mat rgb, sized;
  const int code = face.channels() == 1   ? cv::COLOR_GRAY2RGB
                   : face.channels() == 3 ? cv::COLOR_BGR2RGB
                                          : cv::COLOR_BGRA2RGB;
  cv::cvtColor(face, rgb, code);
  if (rgb.rows == kInputSize && rgb.cols == kInputSize) {
    sized = rgb;
  } else {
    const bool shrink = rgb.rows > kInputSize && rgb.cols > kInputSize;
    cv::resize(rgb, sized, {kInputSize, kInputSize}, 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  if (!sized.isContinuous()) sized = sized.clone();
  return torch::from_blob(sized.data, {1, kInputSize, kInputSize, 3}, torch::kUInt8)
      .permute({0, 3, 1, 2})
      .to(torch::kFloat32)
      .contiguous();
}

torch::Tensor faceApiInputFromBatch(const torch::Tensor& x, float mean, float stdDev) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 1, "faceApiInputFromBatch takes N x 1 x S x S, got ",
              x.sizes());
  const torch::Tensor pixels = ((x * stdDev + mean) * 255.f).clamp(0.f, 255.f);
  const torch::Tensor sized =
      x.size(2) == kInputSize && x.size(3) == kInputSize
          ? pixels
          : F::interpolate(pixels, F::InterpolateFuncOptions()
                                       .size(std::vector<int64_t>{kInputSize, kInputSize})
                                       .mode(torch::kBilinear)
                                       .align_corners(false));
  return sized.expand({-1, 3, -1, -1});
}

void saveFaceApiTeacher(const std::string& path, FaceApiExpressionNet& net) {
  std::ostringstream bytes;
  torch::save(net, bytes);
  writeFileAtomically(path, bytes.str());
}

bool isFaceApiTeacherFile(const std::string& path) {
  auto endsWith = [&path](const std::string& tail) {
    return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
  };
  return endsWith(".json") || endsWith(".pt");
}

FaceApiExpressionNet loadFaceApiTeacher(const std::string& path) {
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0)
    return loadFaceApiExpressionNet(path);
  FaceApiExpressionNet net;
  torch::load(net, path);
  net->eval();
  return net;
}

}  // namespace microfer
