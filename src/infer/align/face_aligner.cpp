#include "microfer/align/face_aligner.hpp"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace microfer {

namespace {
/// `image` as is when it has `channels` channels, else converted with `fromGray`,
/// `fromBgr` or `fromBgra`.
cv::Mat to8Bit(const cv::Mat& image, int channels, int fromGray, int fromBgr, int fromBgra) {
  if (image.depth() != CV_8U)
    throw std::invalid_argument("expected an 8-bit image (got depth " +
                                std::to_string(image.depth()) + ")");
  if (image.channels() != 1 && image.channels() != 3 && image.channels() != 4)
    throw std::invalid_argument("expected a gray, BGR or BGRA image (got " +
                                std::to_string(image.channels()) + " channels)");
  if (image.channels() == channels) return image;
  cv::Mat out;
  cv::cvtColor(image, out,
               image.channels() == 1 ? fromGray : image.channels() == 3 ? fromBgr : fromBgra);
  return out;
}
}  // namespace

cv::Mat toGray(const cv::Mat& image) {
  return to8Bit(image, 1, -1, cv::COLOR_BGR2GRAY, cv::COLOR_BGRA2GRAY);
}

cv::Mat toBgr(const cv::Mat& image) {
  return to8Bit(image, 3, cv::COLOR_GRAY2BGR, -1, cv::COLOR_BGRA2BGR);
}

AlignedFace FaceAligner::align(const cv::Mat& image, const FaceDetection& face) const {
  return alignGray(toGray(image), face);
}

AlignedFace FaceAligner::alignGray(const cv::Mat& gray, const FaceDetection& face) const {
  CV_Assert(gray.type() == CV_8UC1);
  const float s = static_cast<float>(geometry_.size);
  AlignedFace out;
  cv::Mat m(2, 3, CV_64F);
  if (face.landmarks) {
    // Similarity transform taking the two eye centres onto their canonical positions.
    const cv::Point2f l = (*face.landmarks)[0], r = (*face.landmarks)[1];
    const cv::Point2f dl(geometry_.leftEyeX * s, geometry_.eyeY * s);
    const cv::Point2f dr(geometry_.rightEyeX * s, geometry_.eyeY * s);
    const double sx = r.x - l.x, sy = r.y - l.y;
    const double srcLen2 = sx * sx + sy * sy;
    const double dx = dr.x - dl.x;  // destination eyes are level: dy = 0
    // [a -b; b a] maps (sx, sy) to (dx, 0).
    const double a = srcLen2 > 0 ? dx * sx / srcLen2 : 1.0;
    const double b = srcLen2 > 0 ? -dx * sy / srcLen2 : 0.0;
    m.at<double>(0, 0) = a;
    m.at<double>(0, 1) = -b;
    m.at<double>(1, 0) = b;
    m.at<double>(1, 1) = a;
    m.at<double>(0, 2) = dl.x - (a * l.x - b * l.y);
    m.at<double>(1, 2) = dl.y - (b * l.x + a * l.y);
    out.fromLandmarks = true;
  } else {
    // Box only: a square around the (shifted, scaled) box centre, no rotation.
    const cv::Rect2f& bx = face.box;
    const float side = std::max(bx.width, bx.height) * geometry_.boxScale;
    const float cx = bx.x + bx.width * 0.5f;
    const float cy = bx.y + bx.height * (0.5f + geometry_.boxShiftY);
    const double k = side > 0 ? s / side : 1.0;
    m.at<double>(0, 0) = k;
    m.at<double>(0, 1) = 0;
    m.at<double>(1, 0) = 0;
    m.at<double>(1, 1) = k;
    m.at<double>(0, 2) = s * 0.5 - k * cx;
    m.at<double>(1, 2) = s * 0.5 - k * cy;
  }
  // Shrinking a large face with bilinear sampling aliases (warpAffine has no area
  // filter): first shrink only the region the crop covers with INTER_AREA, then warp.
  const double scale = std::sqrt(
      std::abs(m.at<double>(0, 0) * m.at<double>(1, 1) - m.at<double>(0, 1) * m.at<double>(1, 0)));
  cv::Mat src = gray;
  cv::Mat warp = m.clone();  // not shared: the product below is written into it
  if (scale < 0.5) {
    cv::Mat inv;
    cv::invertAffineTransform(m, inv);
    std::vector<cv::Point2f> corners = {{0, 0}, {s, 0}, {0, s}, {s, s}}, mapped;
    cv::transform(corners, mapped, inv);
    cv::Rect roi = cv::boundingRect(mapped);
    roi.x -= 2;
    roi.y -= 2;
    roi.width += 4;
    roi.height += 4;
    roi &= cv::Rect(0, 0, gray.cols, gray.rows);
    if (roi.area() > 0) {
      const double f = scale * 1.5;  // leaves a warp scale of 1/1.5
      cv::resize(gray(roi), src, cv::Size(), f, f, cv::INTER_AREA);
      const double fx = double(src.cols) / roi.width, fy = double(src.rows) / roi.height;
      // crop <- m <- image;  image = roi.tl + small / f
      cv::Mat back = (cv::Mat_<double>(3, 3) << 1 / fx, 0, roi.x, 0, 1 / fy, roi.y, 0, 0, 1);
      warp = m * back;
    }
  }
  cv::warpAffine(src, out.crop, warp, cv::Size(geometry_.size, geometry_.size), cv::INTER_LINEAR,
                 cv::BORDER_REPLICATE);
  out.transform = m;
  return out;
}

}  // namespace microfer
