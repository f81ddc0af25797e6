#include "microfer/train/plot.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "microfer/output/chart.hpp"

namespace microfer {

cv::Mat plotSeries(const std::string& title, const std::vector<Series>& series) {
  const int W = 800, H = 500, L = 60, R = 60, T = 40, B = 50;
  cv::Mat img(H, W, CV_8UC3, cv::Scalar(255, 255, 255));
  size_t n = 1;
  double rightMax = 1e-9;
  bool rightAxis = false;
  for (const auto& s : series) {
    n = std::max(n, s.values.size());
    rightAxis = rightAxis || s.rightAxis;
    if (s.rightAxis)
      for (double v : s.values) rightMax = std::max(rightMax, v);
  }
  const int pw = W - L - R, ph = H - T - B;
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  ChartArea area;
  area.rect = cv::Rect(L, T, pw, ph);
  drawHorizontalGrid(img, area, 10, "%.1f", rightAxis ? rightMax : 0, "%.2f");
  const auto xOf = [&](size_t i) { return L + (n > 1 ? int(pw * i / (n - 1)) : pw / 2); };
  // Label every epoch up to 25, else every 5th, 10th, 50th, ... so labels never overlap.
  size_t step = 1;
  for (size_t k = 0; n / step > 25; ++k) step = (k % 2 == 0 ? 5 : 2) * step;
  for (size_t i = 0; i < n; ++i)
    if (step == 1 || (i + 1) % step == 0 || i == 0)
      cv::putText(img, std::to_string(i + 1), {xOf(i) - 5, T + ph + 18}, font, 0.4,
                  cv::Scalar(0, 0, 0));
  drawLabel(img, "epoch", {L + pw / 2 - 20, H - 12}, 0.5);
  drawLabel(img, title, {L, 25}, 0.6);
  std::vector<LegendEntry> legend;
  for (const auto& s : series) {
    const double scale = s.rightAxis ? rightMax : 1.0;
    std::vector<cv::Point> pts;
    for (size_t i = 0; i < s.values.size(); ++i)
      pts.emplace_back(xOf(i), T + ph - int(ph * std::clamp(s.values[i] / scale, 0.0, 1.0)));
    if (pts.size() > 1) cv::polylines(img, pts, false, s.color, 2, cv::LINE_AA);
    for (const auto& p : pts) cv::circle(img, p, 3, s.color, -1, cv::LINE_AA);
    legend.push_back({s.name + (s.rightAxis ? " (right axis)" : ""), s.color});
  }
  drawLegend(img, {L + 10, T + 20}, legend);
  return img;
}

cv::Mat plotConfusion(const ConfusionMatrix& cm, const std::vector<std::string>& names,
                      const std::string& title) {
  const int k = static_cast<int>(cm.counts.size());
  const int cell = 70, L = 110, T = 70;
  cv::Mat img(T + k * cell + 60, L + k * cell + 20, CV_8UC3, cv::Scalar(255, 255, 255));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(img, title, {10, 22}, font, 0.55, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  for (int t = 0; t < k; ++t) {
    int rowSum = 0;
    for (int v : cm.counts[t]) rowSum += v;
    for (int p = 0; p < k; ++p) {
      const double f = rowSum ? double(cm.counts[t][p]) / rowSum : 0.0;
      const cv::Rect r(L + p * cell, T + t * cell, cell, cell);
      // White -> dark blue.
      cv::rectangle(img, r, cv::Scalar(255, 255 - 200 * f, 255 - 230 * f), -1);
      cv::rectangle(img, r, cv::Scalar(180, 180, 180));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%d", cm.counts[t][p]);
      const cv::Scalar ink = f > 0.5 ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0);
      cv::putText(img, buf, {r.x + 8, r.y + 30}, font, 0.5, ink, 1, cv::LINE_AA);
      std::snprintf(buf, sizeof buf, "%.0f%%", 100 * f);
      cv::putText(img, buf, {r.x + 8, r.y + 52}, font, 0.4, ink, 1, cv::LINE_AA);
    }
    cv::putText(img, t < (int)names.size() ? names[t] : "?", {8, T + t * cell + 40}, font, 0.5,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  for (int p = 0; p < k; ++p)
    cv::putText(img, (p < (int)names.size() ? names[p] : "?").substr(0, 8),
                {L + p * cell + 4, T - 10}, font, 0.42, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  cv::putText(img, "rows: true class, columns: predicted", {10, T + k * cell + 35}, font, 0.5,
              cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  return img;
}


cv::Mat plotTrainingCurves(const std::string& title, std::vector<double> trainAccuracy,
                           std::vector<double> valAccuracy, std::vector<double> valFlipAccuracy,
                           std::vector<double> trainLoss) {
  std::vector<Series> s;
  s.push_back({"train accuracy", std::move(trainAccuracy), cv::Scalar(200, 80, 0), false});
  s.push_back({"validation accuracy", std::move(valAccuracy), cv::Scalar(0, 140, 0), false});
  if (!valFlipAccuracy.empty())
    s.push_back({"validation accuracy, flip TTA", std::move(valFlipAccuracy),
                 cv::Scalar(0, 200, 200), false});
  s.push_back({"train loss", std::move(trainLoss), cv::Scalar(0, 0, 200), true});
  return plotSeries(title, s);
}

}  // namespace microfer
