#include "microfer/train/baseline.hpp"

#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace microfer {

BaselineFeatures parseBaselineFeatures(const std::string& name) {
  if (name == "lbp") return BaselineFeatures::Lbp;
  if (name == "gabor") return BaselineFeatures::Gabor;
  throw std::invalid_argument("unknown features '" + name + "' (expected lbp or gabor)");
}

namespace {
constexpr int kGrid = 6;

// Maps each 8-bit LBP code to one of 59 bins: 58 uniform patterns (at most two 0/1
// transitions around the circle) and one bin for all others.
const std::array<uchar, 256>& uniformBins() {
  static const std::array<uchar, 256> bins = [] {
    std::array<uchar, 256> b{};
    int next = 0;
    for (int code = 0; code < 256; ++code) {
      int transitions = 0;
      for (int i = 0; i < 8; ++i) transitions += ((code >> i) & 1) != ((code >> ((i + 1) % 8)) & 1);
      b[code] = static_cast<uchar>(transitions <= 2 ? next++ : 58);
    }
    return b;
  }();
  return bins;
}

cv::Mat lbpFeatures(const cv::Mat& g) {
  const auto& bins = uniformBins();
  cv::Mat codes(g.rows - 2, g.cols - 2, CV_8U);
  static const int dy[8] = {-1, -1, -1, 0, 1, 1, 1, 0}, dx[8] = {-1, 0, 1, 1, 1, 0, -1, -1};
  for (int y = 1; y < g.rows - 1; ++y)
    for (int x = 1; x < g.cols - 1; ++x) {
      const uchar c = g.at<uchar>(y, x);
      int code = 0;
      for (int i = 0; i < 8; ++i) code |= (g.at<uchar>(y + dy[i], x + dx[i]) >= c) << i;
      codes.at<uchar>(y - 1, x - 1) = bins[code];
    }
  cv::Mat f(1, kGrid * kGrid * 59, CV_32F, cv::Scalar(0));
  for (int cy = 0; cy < kGrid; ++cy)
    for (int cx = 0; cx < kGrid; ++cx) {
      const int y0 = cy * codes.rows / kGrid, y1 = (cy + 1) * codes.rows / kGrid;
      const int x0 = cx * codes.cols / kGrid, x1 = (cx + 1) * codes.cols / kGrid;
      float* h = f.ptr<float>(0) + (cy * kGrid + cx) * 59;
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) h[codes.at<uchar>(y, x)] += 1.f;
      const float n = float((y1 - y0) * (x1 - x0));
      for (int i = 0; i < 59; ++i) h[i] = std::sqrt(h[i] / n);  // Hellinger-normalised
    }
  return f;
}

cv::Mat gaborFeatures(const cv::Mat& g) {
  static const std::vector<cv::Mat> bank = [] {
    std::vector<cv::Mat> b;
    for (double lambda : {4.0, 5.7, 8.0, 11.3, 16.0})
      for (int o = 0; o < 8; ++o) {
        const double theta = o * CV_PI / 8;
        const int k = int(std::ceil(lambda * 1.5)) | 1;
        cv::Mat re = cv::getGaborKernel({k, k}, 0.56 * lambda, theta, lambda, 1.0, 0, CV_32F);
        cv::Mat im =
            cv::getGaborKernel({k, k}, 0.56 * lambda, theta, lambda, 1.0, CV_PI / 2, CV_32F);
        re -= cv::mean(re)[0];  // no response to flat regions
        b.push_back(re);
        b.push_back(im);
      }
    return b;
  }();
  cv::Mat f32;
  g.convertTo(f32, CV_32F, 1.0 / 255);
  cv::Mat f(1, int(bank.size() / 2) * kGrid * kGrid, CV_32F);
  float* out = f.ptr<float>(0);
  cv::Mat re, im, mag, pooled;
  for (size_t i = 0; i < bank.size(); i += 2) {
    cv::filter2D(f32, re, CV_32F, bank[i]);
    cv::filter2D(f32, im, CV_32F, bank[i + 1]);
    cv::magnitude(re, im, mag);
    cv::resize(mag, pooled, {kGrid, kGrid}, 0, 0, cv::INTER_AREA);
    for (int j = 0; j < kGrid * kGrid; ++j) *out++ = pooled.ptr<float>(0)[j];
  }
  return f;
}
}  // namespace

cv::Mat baselineFeatures(const cv::Mat& gray, BaselineFeatures kind) {
  cv::Mat g = gray;
  if (g.rows != 48 || g.cols != 48) cv::resize(gray, g, {48, 48}, 0, 0, cv::INTER_AREA);
  return kind == BaselineFeatures::Lbp ? lbpFeatures(g) : gaborFeatures(g);
}

}  // namespace microfer
