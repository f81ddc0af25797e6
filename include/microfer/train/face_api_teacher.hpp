// A pretrained face teacher: face-api's faceExpressionNet (@vladmandic/face-api 1.7.15, MIT;
// fetched at training time by scripts/teacher/fetch-face-api.sh, never shipped), rebuilt in
// LibTorch and loaded from its tfjs weights. For fine-tuning and distillation into the shipped
// network; see docs/TRAINING.md, "Pretrained teacher (face-api)".
//
// This header pulls in LibTorch's module headers; keep it out of Qt translation units.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <opencv2/core/mat.hpp>
#include <string>

namespace microfer {

/// face-api's own class order (FACE_EXPRESSION_LABELS) ...
constexpr std::array<const char*, 7> kFaceApiExpressions = {
    "neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"};
/// ... and, for each of our classes (emotionNames(): angry, disgust, fear, happy, sad,
/// surprise, neutral), its index among face-api's.
constexpr std::array<int, 7> kFaceApiIndexOfOurs = {3, 5, 4, 1, 2, 6, 0};

/// The face teacher's folder: $MICROFER_TEACHER_DIR where set and not empty, else
/// /var/tmp/microfer-runs/teacher (scripts/teacher/fetch-face-api.sh's default).
std::string faceApiTeacherDir();

/// The weights manifest of faceExpressionNet inside a teacher folder.
std::string faceApiExpressionManifest(const std::string& teacherDir);

/// A depthwise-separable convolution as tf.separableConv2d + bias: a 3x3 depthwise
/// convolution (no bias), a 1x1 pointwise one, the bias added after it. Padding is
/// TensorFlow's "same" (for stride 2 on an even size: none before, one after).
struct FaceApiSeparableConvImpl : torch::nn::Module {
  FaceApiSeparableConvImpl(int in, int out, int stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d depthwise{nullptr}, pointwise{nullptr};
  int stride;
};
TORCH_MODULE(FaceApiSeparableConv);

/// face-api's faceExpressionNet: four dense blocks of four convolutions each (channels 32, 64,
/// 128, 256; each block halves the size with its first convolution, and the input of its k-th
/// convolution is the ReLU of the sum of all earlier outputs of the block), a 7x7 average
/// pool and a fully connected layer to 7 logits.
///
/// Input: N x 3 x 112 x 112, RGB, values 0..255 (toFaceApiInput); the network subtracts
/// face-api's mean RGB and divides by 255 itself. Output: N x 7 logits in OUR class order
/// (emotionNames()): the rows of the last layer are reordered at load time, so fine-tuning
/// and distillation need no mapping. softmax(logits) equals face-api's probabilities,
/// reordered by kFaceApiIndexOfOurs.
struct FaceApiExpressionNetImpl : torch::nn::Module {
  FaceApiExpressionNetImpl();
  torch::Tensor forward(const torch::Tensor& rgb255);
  /// The 256 features before the last layer (N x 256), e.g. for a new head.
  torch::Tensor features(const torch::Tensor& rgb255);

  torch::nn::Conv2d stem{nullptr};  ///< dense0/conv0: a full 3x3 convolution, stride 2
  torch::nn::ModuleList separable;  ///< dense0/conv1..3, dense1/conv0..3, ... (15 layers)
  torch::nn::Linear fc{nullptr};
  torch::Tensor meanRgb;  ///< buffer 1 x 3 x 1 x 1
};
TORCH_MODULE(FaceApiExpressionNet);

/// Builds the network and loads face-api's weights from `manifestPath`
/// (faceApiExpressionManifest()). Throws TfjsWeightsError where the file cannot be read, or
/// a tensor is missing, has another shape or is not used. The result is in eval() mode.
FaceApiExpressionNet loadFaceApiExpressionNet(const std::string& manifestPath);

/// A face crop as the teacher's input: 8-bit gray (replicated to RGB), BGR or BGRA, any size;
/// resized to 112 x 112 (bilinear; INTER_AREA when shrinking) as is: a crop that is not square
/// is stretched, where face-api pads it to a square first. Returns 1 x 3 x 112 x 112 float
/// RGB 0..255.
torch::Tensor toFaceApiInput(const cv::Mat& face);

/// A batch of the shipped network's input as the teacher's: N x 1 x S x S crops normalised as
/// (pixel / 255 - mean) / stdDev (ModelInfo::mean, ::stdDev; augmentCrop, normaliseCrop) back to
/// 0..255, replicated to RGB and resized bilinearly to N x 3 x 112 x 112. Differentiable; on
/// the device of `x`. The same crops, one at a time, through toFaceApiInput differ by the
/// interpolation only (OpenCV's and LibTorch's bilinear kernels round differently).
torch::Tensor faceApiInputFromBatch(const torch::Tensor& x, float mean, float stdDev);

/// Writes a (fine-tuned) teacher's weights to `path` (LibTorch's archive of the module; written
/// atomically). Training time only, like the teacher.
void saveFaceApiTeacher(const std::string& path, FaceApiExpressionNet& net);

/// A teacher from `path`: face-api's own weights manifest (`*.json`,
/// faceApiExpressionManifest()) or a file saveFaceApiTeacher() wrote (a fine-tuned teacher).
/// In eval() mode. Throws TfjsWeightsError (manifest) or c10::Error (archive) on a bad file.
FaceApiExpressionNet loadFaceApiTeacher(const std::string& path);

/// Whether `path` names a face teacher for loadFaceApiTeacher() rather than a MicroFER model
/// file: a `.json` manifest or a `.pt` archive.
bool isFaceApiTeacherFile(const std::string& path);

}  // namespace microfer
