#include "microfer/augment.hpp"

#include <opencv2/imgproc.hpp>

namespace microfer {

void normaliseCrop(const cv::Mat& in, cv::Mat& out, float mean, float stdDev) {
  in.convertTo(out, CV_32F, 1.0 / (255.0 * stdDev), -mean / stdDev);
}

void augmentCrop(const cv::Mat& in, cv::Mat& out, std::mt19937& rng, const AugmentConfig& c,
                 float mean, float stdDev) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const auto range = [&](float lo, float hi) { return lo + (hi - lo) * u(rng); };
  const float angle = range(-c.maxRotationDeg, c.maxRotationDeg);
  const float scale = range(c.minScale, c.maxScale);
  const float dx = range(-c.maxShift, c.maxShift) * in.cols;
  const float dy = range(-c.maxShift, c.maxShift) * in.rows;
  const bool flip = c.flip && u(rng) < 0.5f;
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f((in.cols - 1) * 0.5f, (in.rows - 1) * 0.5f),
                                      angle, scale);
  m.at<double>(0, 2) += dx;
  m.at<double>(1, 2) += dy;
  if (flip) {  // x' = (w-1) - x, applied after the affine
    m.row(0) *= -1;
    m.at<double>(0, 2) += in.cols - 1;
  }
  // A smaller `out` (progressive resizing) gets the same view, resampled by the same warp:
  // pixel centres map as x_out + 0.5 = (x_in + 0.5) * out/in.
  const cv::Size size = out.empty() ? in.size() : out.size();
  if (size != in.size()) {
    const double sx = double(size.width) / in.cols, sy = double(size.height) / in.rows;
    m.row(0) *= sx;
    m.row(1) *= sy;
    m.at<double>(0, 2) += 0.5 * sx - 0.5;
    m.at<double>(1, 2) += 0.5 * sy - 0.5;
  }
  cv::Mat warped;
  cv::warpAffine(in, warped, m, size, cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  const float gain = range(1.f - c.contrast, 1.f + c.contrast);
  const float bias = range(-c.brightness, c.brightness);
  // v' = gain * (v/255 - 0.5) + 0.5 + bias, then normalised.
  const double a = gain / 255.0 / stdDev;
  const double b = (0.5 - 0.5 * gain + bias - mean) / stdDev;
  warped.convertTo(out, CV_32F, a, b);
  if (u(rng) < c.eraseProbability) {
    const float area = range(c.eraseMinArea, c.eraseMaxArea) * size.width * size.height;
    const float aspect = std::exp(range(std::log(0.3f), std::log(3.3f)));
    const int h = std::min(size.height, std::max(1, int(std::round(std::sqrt(area * aspect)))));
    const int w = std::min(size.width, std::max(1, int(std::round(std::sqrt(area / aspect)))));
    const int y = std::uniform_int_distribution<int>(0, size.height - h)(rng);
    const int x = std::uniform_int_distribution<int>(0, size.width - w)(rng);
    std::normal_distribution<float> noise(0.f, 1.f);
    for (int r = y; r < y + h; ++r) {
      float* row = out.ptr<float>(r);
      for (int q = x; q < x + w; ++q) row[q] = noise(rng);
    }
  }
}

}  // namespace microfer
