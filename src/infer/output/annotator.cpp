#include "microfer/output/annotator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace microfer {

cv::Scalar emotionColor(int label) {
  // BGR; distinct hues, readable with white text.
  static const cv::Scalar colors[kNumEmotions] = {
      {40, 40, 220},   // angry: red
      {40, 140, 60},   // disgust: green
      {150, 60, 150},  // fear: purple
      {0, 190, 255},   // happy: amber
      {200, 110, 30},  // sad: blue
      {0, 120, 240},   // surprise: orange
      {128, 128, 128}  // neutral: grey
  };
  return label >= 0 && label < kNumEmotions ? colors[label] : cv::Scalar(255, 255, 255);
}

namespace {
void blendAttention(cv::Mat& image, const FaceResult& face) {
  const auto& att = face.prediction.attention;
  if (att.empty() || face.aligned.transform.empty()) return;
  cv::Mat a8, heat;
  cv::Mat norm;
  cv::normalize(att, norm, 0, 255, cv::NORM_MINMAX);
  norm.convertTo(a8, CV_8U);
  cv::applyColorMap(a8, heat, cv::COLORMAP_JET);
  // Map the crop back onto the face: only inside the face's bounding region.
  cv::Mat inv;
  cv::invertAffineTransform(face.aligned.transform, inv);
  const float s = float(att.cols);
  std::vector<cv::Point2f> corners = {{0, 0}, {s, 0}, {0, s}, {s, s}}, mapped;
  cv::transform(corners, mapped, inv);
  const cv::Rect roi = cv::boundingRect(mapped) & cv::Rect(0, 0, image.cols, image.rows);
  if (roi.area() <= 0) return;
  cv::Mat shifted = face.aligned.transform.clone();  // image(roi) -> crop
  shifted.at<double>(0, 2) += shifted.at<double>(0, 0) * roi.x + shifted.at<double>(0, 1) * roi.y;
  shifted.at<double>(1, 2) += shifted.at<double>(1, 0) * roi.x + shifted.at<double>(1, 1) * roi.y;
  cv::Mat heatRoi, mask;
  cv::warpAffine(heat, heatRoi, shifted, roi.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                 cv::BORDER_CONSTANT);
  cv::warpAffine(cv::Mat(att.size(), CV_8U, cv::Scalar(255)), mask, shifted, roi.size(),
                 cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT);
  cv::Mat target = image(roi), blended;
  cv::addWeighted(target, 0.55, heatRoi, 0.45, 0, blended);
  blended.copyTo(target, mask);
}
}  // namespace

void annotate(cv::Mat& image, const FrameResult& result, const AnnotateOptions& options) {
  if (image.empty()) return;
  CV_Assert(image.type() == CV_8UC3);
  const double base = std::max(image.cols, image.rows) / 640.0;
  const int thick = std::max(1, int(std::lround(2 * base)));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  const auto& names = emotionNames();
  if (options.attention)
    for (const auto& f : result.faces) blendAttention(image, f);
  for (const auto& f : result.faces) {
    const auto& p = f.prediction;
    // An uncertain face: grey, its label followed by "?" (the panel and the files name it).
    const cv::Scalar color = p.uncertain ? cv::Scalar(128, 128, 128) : emotionColor(p.label);
    const cv::Rect box = cv::Rect(f.detection.box) & cv::Rect(0, 0, image.cols, image.rows);
    cv::rectangle(image, box, color, thick, cv::LINE_AA);
    if (options.landmarks && f.detection.landmarks) {
      const int r = std::max(1, thick + 1);
      for (int i = 0; i < std::min(5, f.detection.measuredLandmarks); ++i)
        cv::circle(image, (*f.detection.landmarks)[i], r, cv::Scalar(0, 255, 0), -1, cv::LINE_AA);
    }
    if (p.label < 0) continue;
    char text[64];
    std::snprintf(text, sizeof text, "%s%s %d%%", names[p.label].c_str(), p.uncertain ? "?" : "",
                  int(std::lround(100 * p.confidence)));
    // Legible at any size: scale with the image, but never wider than ~1.6 face widths
    // nor smaller than a readable minimum.
    double scale = std::max(0.45, 0.6 * base);
    int baseline = 0;
    cv::Size ts = cv::getTextSize(text, font, scale, thick, &baseline);
    const double maxW = std::max(80.0, 1.6 * box.width);
    if (ts.width > maxW) {
      scale = std::max(0.4, scale * maxW / ts.width);
      ts = cv::getTextSize(text, font, scale, thick, &baseline);
    }
    const int pad = std::max(2, thick * 2);
    int y0 = box.y - ts.height - 2 * pad;
    if (y0 < 0) y0 = std::min(image.rows - ts.height - 2 * pad, box.y + box.height);
    const int x0 = std::clamp(box.x, 0, std::max(0, image.cols - ts.width - 2 * pad));
    cv::rectangle(image, cv::Rect(x0, std::max(0, y0), ts.width + 2 * pad, ts.height + 2 * pad),
                  color, cv::FILLED);
    cv::putText(image, text, {x0 + pad, std::max(0, y0) + pad + ts.height}, font, scale,
                cv::Scalar(255, 255, 255), thick, cv::LINE_AA);
    if (options.probabilities) {
      const int barH = std::max(3, int(4 * base)), w = std::max(40, box.width);
      int y = box.y + box.height + pad;
      for (int c = 0; c < kNumEmotions && y + barH < image.rows; ++c, y += barH + 1) {
        cv::rectangle(image, cv::Rect(box.x, y, int(w * p.probs[c]), barH), emotionColor(c),
                      cv::FILLED);
      }
    }
  }
}

}  // namespace microfer
