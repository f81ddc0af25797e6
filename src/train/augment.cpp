#include "microfer/train/augment.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace microfer {

namespace {

/// The domain-gap changes on the warped 8-bit crop; returns it as float in [0, 1].
/// `m` maps the input crop to the warped one (for the eye positions of the glasses).
cv::Mat domainGap(cv::Mat warped, const cv::Mat& m, const cv::Size& inSize, std::mt19937& rng,
                  const AugmentConfig& c) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const auto range = [&](float lo, float hi) { return lo + (hi - lo) * u(rng); };
  const cv::Size size = warped.size();
  if (u(rng) < c.blurProbability) {
    const double sigma = range(0.3f, std::max(0.3f, c.maxBlurSigma)) * size.width / 48.0;
    cv::GaussianBlur(warped, warped, cv::Size(), sigma);
  }
  if (u(rng) < c.jpegProbability) {
    std::vector<uchar> buf;
    const int q = std::uniform_int_distribution<int>(std::min(c.minJpegQuality, 95), 95)(rng);
    cv::imencode(".jpg", warped, buf, {cv::IMWRITE_JPEG_QUALITY, q});
    warped = cv::imdecode(buf, cv::IMREAD_GRAYSCALE);
  }
  cv::Mat f;
  warped.convertTo(f, CV_32F, 1.0 / 255.0);
  if (u(rng) < c.gammaProbability) {
    const float lg = std::log(std::max(1.f, c.maxGamma));
    cv::pow(f, std::exp(range(-lg, lg)), f);
  }
  if (u(rng) < c.shadeProbability) {
    // Gain 1 + s * t, t running from -1 to 1 along a random direction through the centre.
    const float s = range(0.f, c.maxShade), th = range(0.f, 2.f * float(CV_PI));
    const float cx = std::cos(th), cy = std::sin(th);
    const float half = 0.5f * std::max(size.width, size.height);
    for (int r = 0; r < size.height; ++r) {
      float* row = f.ptr<float>(r);
      for (int q = 0; q < size.width; ++q) {
        const float t = ((q - size.width * 0.5f) * cx + (r - size.height * 0.5f) * cy) / half;
        row[q] = std::min(1.f, row[q] * (1.f + s * std::clamp(t, -1.f, 1.f)));
      }
    }
  }
  if (u(rng) < c.occlusionProbability) {
    const double k = size.width / 48.0;
    if (u(rng) < 0.5f) {
      // Glasses: two rims around the eyes (nominal eye positions of the aligned crop, moved
      // by the same warp) and a bridge.
      const auto eye = [&](float x, float y) {
        const double ix = x * inSize.width, iy = y * inSize.height;
        return cv::Point2d(m.at<double>(0, 0) * ix + m.at<double>(0, 1) * iy + m.at<double>(0, 2),
                           m.at<double>(1, 0) * ix + m.at<double>(1, 1) * iy + m.at<double>(1, 2));
      };
      const cv::Point2d a = eye(0.315f, 0.375f), b = eye(0.685f, 0.375f);
      const double d = std::hypot(b.x - a.x, b.y - a.y);
      const double angle = std::atan2(b.y - a.y, b.x - a.x) * 180.0 / CV_PI;
      const float shade = range(0.f, 0.25f);
      const int thick = std::max(1, int(std::lround(range(1.f, 2.5f) * k)));
      const cv::Size axes(int(0.32 * d), int(0.22 * d));
      cv::ellipse(f, a, axes, angle, 0, 360, cv::Scalar(shade), thick, cv::LINE_AA);
      cv::ellipse(f, b, axes, angle, 0, 360, cv::Scalar(shade), thick, cv::LINE_AA);
      const cv::Point2d dir((b.x - a.x) / d, (b.y - a.y) / d);
      cv::line(f, a + dir * (0.32 * d), b - dir * (0.32 * d), cv::Scalar(shade), thick,
               cv::LINE_AA);
    } else {
      // A hand: a smooth blob of one skin tone with a little texture, entering from an edge
      // and covering up to about a quarter of the crop.
      cv::Mat mask = cv::Mat::zeros(size, CV_32F);
      const int edge = std::uniform_int_distribution<int>(0, 3)(rng);
      const float along = range(0.2f, 0.8f);
      cv::Point2f centre = edge == 0   ? cv::Point2f(along * size.width, size.height)
                           : edge == 1 ? cv::Point2f(0, along * size.height)
                           : edge == 2 ? cv::Point2f(size.width, along * size.height)
                                       : cv::Point2f(along * size.width, size.height * 0.95f);
      const cv::Size axes(int(range(0.2f, 0.4f) * size.width), int(range(0.15f, 0.35f) * size.height));
      cv::ellipse(mask, centre, axes, range(-40.f, 40.f), 0, 360, cv::Scalar(1.0), cv::FILLED,
                  cv::LINE_AA);
      cv::GaussianBlur(mask, mask, cv::Size(), 1.0 * k);
      cv::Mat tone(size, CV_32F);
      cv::randn(tone, range(0.3f, 0.85f), 0.03);
      f = f.mul(1.f - mask) + tone.mul(mask);
    }
  }
  return f;
}

bool anyDomainGap(const AugmentConfig& c) {
  return c.blurProbability > 0 || c.jpegProbability > 0 || c.gammaProbability > 0 ||
         c.shadeProbability > 0 || c.occlusionProbability > 0;
}

}  // namespace

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
  if (c.maxAspect > 0) {  // x and y scaled apart about the centre
    const double ax = 1.0 + range(-c.maxAspect, c.maxAspect);
    const double cx = (in.cols - 1) * 0.5;
    m.row(0) *= ax;
    m.at<double>(0, 2) += cx * (1.0 - ax);
  }
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
  if (anyDomainGap(c))
    domainGap(warped, m, in.size(), rng, c).convertTo(out, CV_32F, a * 255.0, b);
  else
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
