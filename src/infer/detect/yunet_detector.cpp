#include "yunet_detector.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "microfer/align/face_aligner.hpp"

namespace microfer {

namespace {

constexpr int kStrides[] = {8, 16, 32};

cv::dnn::Net loadNet(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw DetectorSetupError("YuNet model '" + file.string() + "' not found");
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(file.string());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    throw DetectorSetupError("YuNet model '" + file.string() + "' cannot be read: " + e.what());
  }
}

/// The output names in the order cls_8, cls_16, cls_32, obj_*, bbox_*, kps_* (each stride's
/// four maps at 4k + {0, 1, 2, 3} for stride index k).
std::vector<std::string> outputOrder(const cv::dnn::Net& net, const std::string& file) {
  const std::vector<std::string> have = net.getUnconnectedOutLayersNames();
  std::vector<std::string> order;
  for (int s : kStrides)
    for (const char* map : {"cls_", "obj_", "bbox_", "kps_"}) {
      const std::string name = map + std::to_string(s);
      if (std::find(have.begin(), have.end(), name) == have.end())
        throw DetectorSetupError("YuNet model '" + file + "' has no output '" + name +
                                 "' (expected the 2023 release: cls/obj/bbox/kps per stride)");
      order.push_back(name);
    }
  return order;
}

}  // namespace

YunetDetector::YunetDetector(const std::string& modelDir, const DetectorConfig& config)
    : config_(config) {
  const std::filesystem::path file = std::filesystem::path(modelDir) / "yunet_n_320_320.onnx";
  net_ = loadNet(file);
  outputs_ = outputOrder(net_, file.string());
}

int YunetDetector::inputSideFor(const cv::Size& frame) const {
  const double scale320 = 320.0 / std::max(frame.width, frame.height);
  return config_.minFaceSize * scale320 >= kSmallestInputFace ? 320 : 640;
}

std::vector<FaceDetection> YunetDetector::detect(const cv::Mat& image) {
  stages_.clear();
  if (image.empty()) return {};
  const cv::Mat bgr = toBgr(image);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();

  const int side = inputSideFor(bgr.size());
  const double scale = double(side) / std::max(bgr.cols, bgr.rows);
  const int w = std::clamp(int(std::lround(bgr.cols * scale)), 1, side);
  const int h = std::clamp(int(std::lround(bgr.rows * scale)), 1, side);
  const auto up32 = [](int v) { return (v + 31) / 32 * 32; };
  const int inW = up32(w), inH = up32(h);
  cv::Mat input(inH, inW, CV_8UC3, cv::Scalar::all(0));
  cv::resize(bgr, input(cv::Rect(0, 0, w, h)), cv::Size(w, h), 0, 0,
             scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  // The network takes BGR values as they are (no mean, no scaling).
  const cv::Mat blob = cv::dnn::blobFromImage(input, 1.0, cv::Size(), cv::Scalar(), false, false,
                                              CV_32F);
  net_.setInput(blob);
  std::vector<cv::Mat> out;
  net_.forward(out, outputs_);
  const auto t1 = Clock::now();

  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  std::vector<FiveLandmarks> marks;
  const float inv = float(1.0 / scale);
  for (int k = 0; k < 3; ++k) {
    const int stride = kStrides[k], cols = inW / stride, rows = inH / stride;
    const float* cls = out[4 * k].ptr<float>();
    const float* obj = out[4 * k + 1].ptr<float>();
    const float* box = out[4 * k + 2].ptr<float>();
    const float* kps = out[4 * k + 3].ptr<float>();
    if (out[4 * k].total() != size_t(rows) * cols || out[4 * k + 3].total() != size_t(rows) * cols * 10)
      throw std::runtime_error("YuNet: unexpected output size for stride " + std::to_string(stride));
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int i = r * cols + c;
        const float score = std::sqrt(std::clamp(cls[i], 0.f, 1.f) * std::clamp(obj[i], 0.f, 1.f));
        if (score < config_.yunetScoreThreshold) continue;
        const float cx = (c + box[4 * i]) * stride, cy = (r + box[4 * i + 1]) * stride;
        const float bw = std::exp(box[4 * i + 2]) * stride, bh = std::exp(box[4 * i + 3]) * stride;
        boxes.emplace_back((cx - bw / 2) * inv, (cy - bh / 2) * inv, bw * inv, bh * inv);
        scores.push_back(score);
        FiveLandmarks m;
        for (int n = 0; n < 5; ++n)
          m[n] = cv::Point2f((c + kps[10 * i + 2 * n]) * stride * inv,
                             (r + kps[10 * i + 2 * n + 1]) * stride * inv);
        marks.push_back(m);
      }
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, 0.f, config_.yunetNmsThreshold, keep);

  std::vector<FaceDetection> faces;
  const float fw = float(bgr.cols), fh = float(bgr.rows);
  for (int i : keep) {
    const cv::Rect2d& b = boxes[i];
    // A face's size is its box's longer side (YuNet's boxes are taller than wide, about 3:4,
    // as MTCNN's are): the shorter side would drop a 47 x 61 face at a minimum of 60.
    if (std::max(b.width, b.height) < config_.minFaceSize) continue;
    const float x1 = std::clamp(float(b.x), 0.f, fw), y1 = std::clamp(float(b.y), 0.f, fh);
    const float x2 = std::clamp(float(b.x + b.width), 0.f, fw);
    const float y2 = std::clamp(float(b.y + b.height), 0.f, fh);
    if (x2 - x1 < 1.f || y2 - y1 < 1.f) continue;
    FaceDetection f;
    f.box = cv::Rect2f(x1, y1, x2 - x1, y2 - y1);
    f.score = scores[i];
    f.landmarks = marks[i];
    f.measuredLandmarks = 5;
    faces.push_back(f);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.box.area() > b.box.area();
  });
  const double netMs = std::chrono::duration<double, std::milli>(t1 - t0).count();
  stages_ = {{"yunet-" + std::to_string(side), netMs, int(boxes.size())},
             {"nms", std::chrono::duration<double, std::milli>(Clock::now() - t1).count(),
              int(faces.size())}};
  return faces;
}

}  // namespace microfer
