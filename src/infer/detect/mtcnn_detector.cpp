#include "mtcnn_detector.hpp"

#include "microfer/align/face_aligner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace microfer {

namespace {

using Candidate = MtcnnDetector::Candidate;

// Input normalisation of the original release: (v - 127.5) * 0.0078125, RGB channel order.
constexpr double kPixelScale = 0.0078125;
const cv::Scalar kPixelMean(127.5, 127.5, 127.5);

// P-Net sees 12x12 windows with a stride of 2 pixels of the scaled image.
constexpr int kPNetCell = 12;
constexpr int kPNetStride = 2;

// IoU thresholds of the reference implementation between and within stages, except after
// R-Net: the reference keeps boxes up to IoU 0.7 there, which left 4 to 5 candidates a face
// for O-Net, the costliest net per crop (about 0.4 ms); at 0.6 fewer (five-face frames: detect
// 31 -> 27 ms) and the same faces are found (dlib photos 43 of 43, Detectors tests); at 0.5 one
// face of the dlib photos was lost.
constexpr float kPNetScaleNms = 0.5f;
constexpr float kPNetAllNms = 0.7f;
constexpr float kRNetNms = 0.6f;
// The reference suppresses O-Net boxes by intersection over the *smaller* box ("Min", 0.7) so
// that a small box nested inside a larger face is dropped; cv::dnn::NMSBoxes only offers IoU,
// and for a nested box IoU is just the area ratio. At 0.7 a second box on one face in
// bald_guys.jpg survived (IoU 0.67); 0.5 removes it and changes nothing else on the dlib
// photos, while neighbouring faces in a crowd overlap far less than that.
constexpr float kONetNms = 0.5f;

std::vector<char> readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Indices of the boxes kept by non-maximum suppression at `iouThreshold`, best score first.
std::vector<int> nms(const std::vector<Candidate>& boxes, float iouThreshold) {
  std::vector<cv::Rect2d> rects;
  std::vector<float> scores;
  rects.reserve(boxes.size());
  scores.reserve(boxes.size());
  for (const auto& b : boxes) {
    rects.emplace_back(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    scores.push_back(b.score);
  }
  std::vector<int> keep;
  // Every candidate already passed its stage's score threshold, so none is dropped here.
  cv::dnn::NMSBoxes(rects, scores, 0.f, iouThreshold, keep);
  return keep;
}

std::vector<Candidate> select(const std::vector<Candidate>& boxes, const std::vector<int>& idx) {
  std::vector<Candidate> out;
  out.reserve(idx.size());
  for (int i : idx) out.push_back(boxes[i]);
  return out;
}

/// Moves the corners by the regression offsets, which are fractions of the box size.
void applyRegression(Candidate& b, const float* reg) {
  const float w = b.x2 - b.x1, h = b.y2 - b.y1;
  b.x1 += reg[0] * w;
  b.y1 += reg[1] * h;
  b.x2 += reg[2] * w;
  b.y2 += reg[3] * h;
}

/// Makes the box square around its centre (side = the longer side), then snaps it to whole
/// pixels because the next stage crops exactly that pixel window and its regression and
/// landmark outputs refer to it.
void squareAndSnap(Candidate& b) {
  const float w = b.x2 - b.x1, h = b.y2 - b.y1;
  const float side = std::max(w, h);
  const float cx = b.x1 + 0.5f * w, cy = b.y1 + 0.5f * h;
  b.x1 = std::round(cx - 0.5f * side);
  b.y1 = std::round(cy - 0.5f * side);
  b.x2 = b.x1 + std::max(1.f, std::round(side));
  b.y2 = b.y1 + std::max(1.f, std::round(side));
}

/// The box's pixels resized to size x size and *transposed*, because the original nets were
/// trained through MATLAB's column-major Caffe interface and so see every image with x and
/// y swapped. Parts of the box outside the image are zero, as in the reference.
cv::Mat transposedCrop(const cv::Mat& bgr, const Candidate& b, int size) {
  const cv::Rect box(static_cast<int>(b.x1), static_cast<int>(b.y1), static_cast<int>(b.x2 - b.x1),
                     static_cast<int>(b.y2 - b.y1));
  const cv::Rect inside = box & cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat patch = cv::Mat::zeros(box.size(), CV_8UC3);
  if (!inside.empty())
    bgr(inside).copyTo(
        patch(cv::Rect(inside.x - box.x, inside.y - box.y, inside.width, inside.height)));
  cv::Mat resized;
  // Area averaging when shrinking avoids aliasing on large faces; bilinear when enlarging.
  cv::resize(patch, resized, cv::Size(size, size), 0, 0,
             box.width > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  return resized.t();
}

bool overlapsImage(const Candidate& b, const cv::Size& size) {
  return b.x2 > 0 && b.y2 > 0 && b.x1 < size.width && b.y1 < size.height && b.x2 - b.x1 >= 1 &&
         b.y2 - b.y1 >= 1;
}

/// Runs R- or O-Net over `crops` (size x size, BGR) in batches of at most `chunk`, the last
/// one padded up to a multiple of `pad` with blank crops whose outputs are dropped. So only a
/// few batch shapes are ever planned (see ShapedNets) however many candidates a frame has.
/// Returns each of `outNames` as one matrix, a row per crop.
std::vector<cv::Mat> forwardCrops(ShapedNets& nets, const std::vector<cv::Mat>& crops, int size,
                                  int chunk, int pad, const std::vector<cv::String>& outNames) {
  const int n = static_cast<int>(crops.size());
  std::vector<cv::Mat> rows(outNames.size());
  for (int start = 0; start < n; start += chunk) {
    const int count = std::min(chunk, n - start);
    const int batch = std::min(chunk, (count + pad - 1) / pad * pad);
    std::vector<cv::Mat> part(crops.begin() + start, crops.begin() + start + count);
    part.resize(batch, cv::Mat::zeros(size, size, CV_8UC3));
    cv::dnn::Net& net = nets.forShape(batch, size, size);
    net.setInput(cv::dnn::blobFromImages(part, kPixelScale, cv::Size(), kPixelMean,
                                         /*swapRB=*/true, /*crop=*/false));
    std::vector<cv::Mat> out;
    net.forward(out, outNames);
    for (size_t k = 0; k < out.size(); ++k) {
      const cv::Mat mine = out[k].reshape(1, batch).rowRange(0, count);
      if (rows[k].empty())
        rows[k] = mine.clone();
      else
        cv::vconcat(rows[k], mine, rows[k]);
    }
  }
  return rows;
}

}  // namespace

ShapedNets::ShapedNets(const std::string& dir, const std::string& name, size_t capacity)
    : name_(name), dir_(dir), capacity_(std::max<size_t>(1, capacity)) {
  namespace fs = std::filesystem;
  proto_ = readAll((fs::path(dir) / (name + ".prototxt")).string());
  weights_ = readAll((fs::path(dir) / (name + ".caffemodel")).string());
  if (proto_.empty() || weights_.empty())
    throw DetectorSetupError("cannot load MTCNN net '" + name + "' from '" + dir +
                             "': " + name + ".prototxt or " + name +
                             ".caffemodel is missing or empty");
  // Parse once now, so that a damaged file is reported at start-up, not at the first frame.
  nets_.push_back({0, 0, 0, build()});
}

cv::dnn::Net ShapedNets::build() const {
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromCaffe(proto_.data(), proto_.size(), weights_.data(),
                                    weights_.size());
  } catch (const cv::Exception& e) {
    throw DetectorSetupError("cannot load MTCNN net '" + name_ + "' from '" + dir_ +
                             "': " + e.what());
  }
  if (net.empty())
    throw DetectorSetupError("cannot load MTCNN net '" + name_ + "' from '" + dir_ +
                             "': the files are not Caffe models");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

cv::dnn::Net& ShapedNets::forShape(int n, int rows, int cols) {
  for (auto it = nets_.begin(); it != nets_.end(); ++it) {
    if (it->n == 0) {  // the net parsed at start-up, not planned for any shape yet
      it->n = n, it->rows = rows, it->cols = cols;
    } else if (it->n != n || it->rows != rows || it->cols != cols) {
      continue;
    }
    nets_.splice(nets_.begin(), nets_, it);
    return nets_.front().net;
  }
  if (nets_.size() < capacity_) {
    nets_.push_front({n, rows, cols, build()});
  } else {
    // Full: the least recently used net is planned again for this shape (as one shared net
    // would be), not parsed anew. The windows searched around tracked faces come in ever new
    // sizes; they must not cost more than before this cache.
    nets_.splice(nets_.begin(), nets_, std::prev(nets_.end()));
    nets_.front().n = n, nets_.front().rows = rows, nets_.front().cols = cols;
  }
  return nets_.front().net;
}

MtcnnDetector::MtcnnDetector(const std::string& modelDir, const DetectorConfig& config)
    : config_(config),
      // A frame size's pyramid has about 8 levels; a few frame sizes fit. R-Net runs batches
      // of 8, 16, 24 or 32 crops, O-Net of 1 to 4 (forwardCrops).
      pnet_(modelDir, "det1", 32),
      rnet_(modelDir, "det2", 4),
      onet_(modelDir, "det3", 4) {
  spdlog::debug("MTCNN nets loaded from '{}'", modelDir);
}

std::vector<Candidate> MtcnnDetector::runPNet(const cv::Mat& bgr) {
  const int minFace = std::max(config_.minFaceSize, kPNetCell);
  const float factor = std::clamp(config_.mtcnnPyramidFactor, 0.1f, 0.95f);
  const float threshold = config_.mtcnnThresholds[0];

  // Scale s maps a face of minFace pixels onto the 12-pixel P-Net window; each further level
  // shrinks by `factor` until the shorter image side no longer holds one window.
  std::vector<float> scales;
  const float base = static_cast<float>(kPNetCell) / minFace;
  for (float s = base; std::min(bgr.cols, bgr.rows) * s >= kPNetCell; s *= factor)
    scales.push_back(s);

  std::vector<Candidate> all;
  std::vector<cv::Vec4f> allReg;
  const std::vector<cv::String> outNames = {"conv4-2", "prob1"};
  // The first level is shrunk from the image, every further one from the first level.
  // OpenCV's area resampling is slow at large ratios: all 8 levels of a 640x480 frame straight
  // from the image took 8.7 ms, this way 1.4 ms (pixels differ by 2 gray levels on average).
  cv::Mat first, scaled;
  for (float s : scales) {
    const int ws = static_cast<int>(std::ceil(bgr.cols * s));
    const int hs = static_cast<int>(std::ceil(bgr.rows * s));
    const cv::Mat& source = first.empty() ? bgr : first;
    cv::resize(source, scaled, cv::Size(ws, hs), 0, 0,
               ws < source.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (first.empty()) first = scaled.clone();
    // The net sees the transposed image: ws rows, hs columns.
    cv::dnn::Net& pnet = pnet_.forShape(1, ws, hs);
    pnet.setInput(cv::dnn::blobFromImage(scaled.t(), kPixelScale, cv::Size(), kPixelMean,
                                         /*swapRB=*/true, /*crop=*/false));
    std::vector<cv::Mat> out;
    pnet.forward(out, outNames);
    const cv::Mat& reg = out[0];   // 1 x 4 x H' x W'
    const cv::Mat& prob = out[1];  // 1 x 2 x H' x W'
    // Output rows follow the transposed input's rows, i.e. the image's x axis.
    const int mapRows = prob.size[2], mapCols = prob.size[3];
    const float* face = prob.ptr<float>(0, 1);
    const float* r[4] = {reg.ptr<float>(0, 0), reg.ptr<float>(0, 1), reg.ptr<float>(0, 2),
                         reg.ptr<float>(0, 3)};

    std::vector<Candidate> level;
    std::vector<cv::Vec4f> levelReg;
    for (int i = 0; i < mapRows; ++i)
      for (int j = 0; j < mapCols; ++j) {
        const int k = i * mapCols + j;
        if (face[k] < threshold) continue;
        Candidate c;
        c.x1 = kPNetStride * i / s;
        c.y1 = kPNetStride * j / s;
        c.x2 = (kPNetStride * i + kPNetCell) / s;
        c.y2 = (kPNetStride * j + kPNetCell) / s;
        c.score = face[k];
        level.push_back(c);
        // The regression channels are already in image order (x1, y1, x2, y2): the net
        // learned them on transposed images with image-frame targets.
        levelReg.emplace_back(r[0][k], r[1][k], r[2][k], r[3][k]);
      }
    for (int idx : nms(level, kPNetScaleNms)) {
      all.push_back(level[idx]);
      allReg.push_back(levelReg[idx]);
    }
  }

  std::vector<Candidate> out;
  for (int idx : nms(all, kPNetAllNms)) {
    Candidate c = all[idx];
    applyRegression(c, allReg[idx].val);
    squareAndSnap(c);
    if (overlapsImage(c, bgr.size())) out.push_back(c);
  }
  return out;
}

std::vector<Candidate> MtcnnDetector::runRNet(const cv::Mat& bgr,
                                              const std::vector<Candidate>& boxes) {
  if (boxes.empty()) return {};
  std::vector<cv::Mat> crops;
  crops.reserve(boxes.size());
  for (const auto& b : boxes) crops.push_back(transposedCrop(bgr, b, 24));
  // Batches of 32 (R-Net costs about 65 us a crop here; a padded last batch little).
  const auto out = forwardCrops(rnet_, crops, 24, 32, 8, {"conv5-2", "prob1"});
  const cv::Mat& reg = out[0];   // N x 4
  const cv::Mat& prob = out[1];  // N x 2

  std::vector<Candidate> passed;
  std::vector<cv::Vec4f> passedReg;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const float score = prob.at<float>(static_cast<int>(i), 1);
    if (score <= config_.mtcnnThresholds[1]) continue;
    Candidate c = boxes[i];
    c.score = score;
    passed.push_back(c);
    passedReg.emplace_back(reg.ptr<float>(static_cast<int>(i)));
  }
  std::vector<Candidate> result;
  for (int idx : nms(passed, kRNetNms)) {
    Candidate c = passed[idx];
    applyRegression(c, passedReg[idx].val);
    squareAndSnap(c);
    if (overlapsImage(c, bgr.size())) result.push_back(c);
  }
  return result;
}

std::vector<Candidate> MtcnnDetector::runONet(const cv::Mat& bgr,
                                              const std::vector<Candidate>& boxes) {
  if (boxes.empty()) return {};
  std::vector<cv::Mat> crops;
  crops.reserve(boxes.size());
  for (const auto& b : boxes) crops.push_back(transposedCrop(bgr, b, 48));
  const int n = static_cast<int>(boxes.size());
  // Batches of 4, unpadded: an O-Net crop costs about 0.4 ms, and 4 at once already run at
  // the per-crop cost of larger batches.
  const auto out = forwardCrops(onet_, crops, 48, 4, 1, {"conv6-2", "conv6-3", "prob1"});
  const cv::Mat& reg = out[0];     // N x 4
  const cv::Mat& points = out[1];  // N x 10: five x, then five y
  const cv::Mat& prob = out[2];    // N x 2

  std::vector<Candidate> passed;
  for (int i = 0; i < n; ++i) {
    const float score = prob.at<float>(i, 1);
    if (score <= config_.mtcnnThresholds[2]) continue;
    Candidate c = boxes[i];
    c.score = score;
    // Landmarks are fractions of the box the net saw, so map them before regression moves it.
    const float w = c.x2 - c.x1, h = c.y2 - c.y1;
    const float* p = points.ptr<float>(i);
    for (int k = 0; k < 5; ++k) c.landmarks[k] = cv::Point2f(c.x1 + p[k] * w, c.y1 + p[k + 5] * h);
    applyRegression(c, reg.ptr<float>(i));
    passed.push_back(c);
  }
  return select(passed, nms(passed, kONetNms));
}

std::vector<FaceDetection> MtcnnDetector::detect(const cv::Mat& image) {
  stages_.clear();
  if (image.empty()) return {};
  const cv::Mat bgr = toBgr(image);

  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
  };
  const auto t0 = Clock::now();
  const auto proposed = runPNet(bgr);
  const auto t1 = Clock::now();
  const auto refined = runRNet(bgr, proposed);
  const auto t2 = Clock::now();
  const auto finalBoxes = runONet(bgr, refined);
  stages_ = {{"p-net", ms(t0, t1), static_cast<int>(proposed.size())},
             {"r-net", ms(t1, t2), static_cast<int>(refined.size())},
             {"o-net", ms(t2, Clock::now()), static_cast<int>(finalBoxes.size())}};

  std::vector<FaceDetection> faces;
  faces.reserve(finalBoxes.size());
  const float w = static_cast<float>(bgr.cols), h = static_cast<float>(bgr.rows);
  for (const auto& c : finalBoxes) {
    const float x1 = std::clamp(c.x1, 0.f, w), y1 = std::clamp(c.y1, 0.f, h);
    const float x2 = std::clamp(c.x2, 0.f, w), y2 = std::clamp(c.y2, 0.f, h);
    if (x2 - x1 < 1.f || y2 - y1 < 1.f) continue;
    FaceDetection f;
    f.box = cv::Rect2f(x1, y1, x2 - x1, y2 - y1);
    f.score = c.score;
    f.landmarks = c.landmarks;
    f.measuredLandmarks = 5;
    faces.push_back(f);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
    return a.box.area() > b.box.area();
  });
  return faces;
}

}  // namespace microfer
