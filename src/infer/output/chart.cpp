#include "microfer/output/chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace microfer {

namespace {
const cv::Scalar kGrid(225, 225, 225);
const cv::Scalar kInk(0, 0, 0);

std::string format(const char* fmt, double value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}
}  // namespace

cv::Point ChartArea::at(double x, double y) const {
  const double fx = xMax > xMin ? (x - xMin) / (xMax - xMin) : 0.5;
  const double fy = yMax > yMin ? (y - yMin) / (yMax - yMin) : 0.5;
  return {
      rect.x + static_cast<int>(std::lround(rect.width * std::clamp(fx, 0.0, 1.0))),
      rect.y + rect.height - static_cast<int>(std::lround(rect.height * std::clamp(fy, 0.0, 1.0)))};
}

void drawLabel(cv::Mat& image, const std::string& text, cv::Point origin, double scale,
               const cv::Scalar& color) {
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

void drawHorizontalGrid(cv::Mat& image, const ChartArea& area, int divisions,
                        const char* leftFormat, double rightMax, const char* rightFormat) {
  const cv::Rect& r = area.rect;
  divisions = std::max(1, divisions);
  for (int i = 0; i <= divisions; ++i) {
    const int y = r.y + r.height - r.height * i / divisions;
    cv::line(image, {r.x, y}, {r.x + r.width, y}, kGrid);
    const double value = area.yMin + (area.yMax - area.yMin) * i / divisions;
    cv::putText(image, format(leftFormat, value), {r.x - 35, y + 4}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                kInk);
    if (rightMax > 0)
      cv::putText(image, format(rightFormat, rightMax * i / divisions), {r.x + r.width + 5, y + 4},
                  cv::FONT_HERSHEY_SIMPLEX, 0.4, kInk);
  }
  // The frame over the grid's end lines.
  cv::rectangle(image, {r.x, r.y}, {r.x + r.width, r.y + r.height}, kInk);
}

double niceStep(double range, int maxTicks) {
  if (!(range > 0) || maxTicks < 1) return 1;
  const double raw = range / maxTicks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

void drawXTicks(cv::Mat& image, const ChartArea& area, int maxTicks, const char* fmt) {
  const cv::Rect& r = area.rect;
  const double step = niceStep(area.xMax - area.xMin, maxTicks);
  // Integer multiples of the step, so that 0.1 + 0.2 never prints as 0.30000000000000004.
  const long long first = static_cast<long long>(std::ceil(area.xMin / step - 1e-9));
  const long long last = static_cast<long long>(std::floor(area.xMax / step + 1e-9));
  for (long long k = first; k <= last; ++k) {
    const double x = static_cast<double>(k) * step;
    const int px = area.at(x, area.yMin).x;
    cv::line(image, {px, r.y}, {px, r.y + r.height}, kGrid);
    cv::line(image, {px, r.y + r.height}, {px, r.y + r.height + 4}, kInk);
    const std::string text = format(fmt, x);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.4, 1, &baseline);
    cv::putText(image, text, {px - size.width / 2, r.y + r.height + 8 + size.height},
                cv::FONT_HERSHEY_SIMPLEX, 0.4, kInk, 1, cv::LINE_AA);
  }
}

void drawCurve(cv::Mat& image, const ChartArea& area, const std::vector<cv::Point2d>& points,
               const cv::Scalar& color, int thickness) {
  std::vector<cv::Point> pixels;
  pixels.reserve(points.size());
  for (const auto& p : points) pixels.push_back(area.at(p.x, p.y));
  if (pixels.size() == 1)
    cv::circle(image, pixels.front(), thickness + 1, color, cv::FILLED, cv::LINE_AA);
  else if (pixels.size() > 1)
    cv::polylines(image, pixels, false, color, thickness, cv::LINE_AA);
}

int drawLegend(cv::Mat& image, cv::Point topLeft, const std::vector<LegendEntry>& entries,
               bool inRow, double scale) {
  int x = topLeft.x, y = topLeft.y;
  for (const auto& e : entries) {
    cv::line(image, {x, y - 4}, {x + 25, y - 4}, e.color, 2);
    drawLabel(image, e.name, {x + 30, y}, scale);
    if (inRow) {
      int baseline = 0;
      x += 30 + cv::getTextSize(e.name, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).width + 18;
    } else {
      y += 18;
    }
  }
  return inRow ? x : y;
}

}  // namespace microfer
