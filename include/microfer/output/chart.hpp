// Drawing primitives for small charts on OpenCV images (no Python, no Qt): the expression
// timeline beside a labelled video (output/timeline.hpp) and the trainer's curves
// (train/plot.hpp) share them, so both look alike and the drawing lives in one place.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace microfer {

/// A plot rectangle in image pixels and the data range it shows. y grows upwards.
struct ChartArea {
  cv::Rect rect;
  double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
  /// The pixel of data point (x, y); values outside the range are clamped to the border.
  cv::Point at(double x, double y) const;
};

/// The font of every chart label (OpenCV's Hershey simplex, anti-aliased).
void drawLabel(cv::Mat& image, const std::string& text, cv::Point origin, double scale,
               const cv::Scalar& color = cv::Scalar(0, 0, 0));

/// The plot's frame, then `divisions` + 1 light horizontal grid lines from yMin to yMax, each
/// labelled on the left with its value (printf `leftFormat`, e.g. "%.1f") and, when
/// `rightMax` > 0, on the right with 0..rightMax (`rightFormat`): a second axis.
void drawHorizontalGrid(cv::Mat& image, const ChartArea& area, int divisions,
                        const char* leftFormat, double rightMax = 0,
                        const char* rightFormat = "%.2f");

/// A tick step of 1, 2 or 5 times a power of ten such that [0, range] holds at most
/// `maxTicks` steps. Requires maxTicks >= 1; returns 1 for a range <= 0.
double niceStep(double range, int maxTicks);

/// Ticks and value labels under the plot at every multiple of niceStep() within
/// [xMin, xMax] (printf `format`, e.g. "%g"), with light vertical grid lines.
void drawXTicks(cv::Mat& image, const ChartArea& area, int maxTicks, const char* format);

/// A polyline through data points, clamped to the area. One point is drawn as a dot.
void drawCurve(cv::Mat& image, const ChartArea& area, const std::vector<cv::Point2d>& points,
               const cv::Scalar& color, int thickness = 1);

struct LegendEntry {
  std::string name;
  cv::Scalar color;
};
/// A legend: per entry a short line in its colour and its name, stacked downwards from
/// `topLeft` (the first entry's baseline is topLeft.y), or in one row when `inRow`.
/// Returns the x just after the last entry (in a row) or the y below the last (stacked).
int drawLegend(cv::Mat& image, cv::Point topLeft, const std::vector<LegendEntry>& entries,
               bool inRow = false, double scale = 0.45);

}  // namespace microfer
