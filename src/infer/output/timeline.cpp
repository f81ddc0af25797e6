#include "microfer/output/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

#include "microfer/output/annotator.hpp"  // emotionColor()
#include "microfer/output/chart.hpp"

namespace microfer {

ExpressionTimeline::ExpressionTimeline(const TimelineLimits& limits) : limits_(limits) {
  limits_.maxPointsPerTrack = std::max(2, limits_.maxPointsPerTrack);
  limits_.maxTracks = std::max(1, limits_.maxTracks);
}

void ExpressionTimeline::clear() {
  tracks_.clear();
  tracksSeen_ = 0;
  firstMs_ = lastMs_ = 0;
}

void ExpressionTimeline::add(const FrameResult& frame) {
  for (const FaceResult& face : frame.faces)
    add(face.trackId, frame.timestampMs, face.prediction.probs);
}

ExpressionTimeline::Series& ExpressionTimeline::series(int id, double timeMs) {
  for (Series& s : tracks_)
    if (s.id == id) return s;
  ++tracksSeen_;
  if (static_cast<int>(tracks_.size()) >= limits_.maxTracks) {
    // Make room: the smallest track, preferably one that has ended (not seen at this time),
    // so that a face on screen now keeps its history.
    auto victim = tracks_.end();
    for (bool endedOnly : {true, false}) {
      for (auto it = tracks_.begin(); it != tracks_.end(); ++it)
        if ((!endedOnly || it->lastMs < timeMs) &&
            (victim == tracks_.end() || it->faces < victim->faces))
          victim = it;
      if (victim != tracks_.end()) break;
    }
    tracks_.erase(victim);
  }
  Series s;
  s.id = id;
  s.firstMs = s.lastMs = timeMs;
  tracks_.push_back(std::move(s));
  return tracks_.back();
}

void ExpressionTimeline::coarsen(Series& s) {
  // Buckets k and k+1 of width w are bucket k/2 of width 2w: sums and counts add up, so the
  // means stay exact, only coarser.
  s.bucketMs *= 2;
  std::vector<Bucket> merged;
  merged.reserve(s.buckets.size() / 2 + 1);
  for (Bucket& b : s.buckets) {
    b.index /= 2;
    if (!merged.empty() && merged.back().index == b.index) {
      Bucket& m = merged.back();
      m.timeSum += b.timeSum;
      m.faces += b.faces;
      for (int k = 0; k < kNumEmotions; ++k) m.probSum[k] += b.probSum[k];
    } else {
      merged.push_back(b);
    }
  }
  s.buckets = std::move(merged);
}

void ExpressionTimeline::add(int trackId, double timeMs,
                             const std::array<float, kNumEmotions>& probs) {
  if (!std::isfinite(timeMs) || timeMs < 0) timeMs = 0;  // a still image's -1: at the start
  const bool first = tracks_.empty() && tracksSeen_ == 0;
  Series& s = series(trackId, timeMs);
  firstMs_ = first ? timeMs : std::min(firstMs_, timeMs);
  lastMs_ = first ? timeMs : std::max(lastMs_, timeMs);
  s.firstMs = s.faces == 0 ? timeMs : std::min(s.firstMs, timeMs);
  s.lastMs = s.faces == 0 ? timeMs : std::max(s.lastMs, timeMs);
  ++s.faces;
  for (int k = 0; k < kNumEmotions; ++k) s.probSum[k] += probs[k];

  const long long index = static_cast<long long>(std::floor(timeMs / s.bucketMs));
  // Frames come in time order: the bucket is the last one or a new one after it.
  auto it = s.buckets.end();
  if (s.buckets.empty() || s.buckets.back().index < index) {
    it = s.buckets.end();
  } else if (s.buckets.back().index == index) {
    it = s.buckets.end() - 1;
  } else {
    it = std::lower_bound(s.buckets.begin(), s.buckets.end(), index,
                          [](const Bucket& b, long long i) { return b.index < i; });
  }
  if (it == s.buckets.end() || it->index != index) {
    Bucket b;
    b.index = index;
    it = s.buckets.insert(it, b);
  }
  it->timeSum += timeMs;
  ++it->faces;
  for (int k = 0; k < kNumEmotions; ++k) it->probSum[k] += probs[k];
  while (static_cast<int>(s.buckets.size()) > limits_.maxPointsPerTrack) coarsen(s);
}

std::vector<ExpressionTimeline::Track> ExpressionTimeline::tracks() const {
  std::vector<Track> out;
  out.reserve(tracks_.size());
  for (const Series& s : tracks_) {
    Track t;
    t.id = s.id;
    t.faces = s.faces;
    t.firstMs = s.firstMs;
    t.lastMs = s.lastMs;
    t.bucketMs = s.bucketMs;
    for (int k = 0; k < kNumEmotions; ++k)
      t.mean[k] = s.faces > 0 ? s.probSum[k] / static_cast<double>(s.faces) : 0.0;
    t.points.reserve(s.buckets.size());
    for (const Bucket& b : s.buckets) {
      Point p;
      const double n = static_cast<double>(b.faces);
      p.timeMs = b.timeSum / n;
      p.faces = b.faces;
      for (int k = 0; k < kNumEmotions; ++k) p.probs[k] = static_cast<float>(b.probSum[k] / n);
      t.points.push_back(p);
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const Track& a, const Track& b) { return a.id < b.id; });
  return out;
}

// --- Drawing -------------------------------------------------------------------------

namespace {
const cv::Scalar kInk(0, 0, 0);

std::string printf1(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

/// Where a track's line breaks: the gaps much wider than its usual spacing (the face was
/// away, or there were no faces without a track for a while).
double breakGapMs(const ExpressionTimeline::Track& t) {
  std::vector<double> gaps;
  for (size_t i = 1; i < t.points.size(); ++i)
    gaps.push_back(t.points[i].timeMs - t.points[i - 1].timeMs);
  if (gaps.empty()) return 0;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
  return std::max(4 * gaps[gaps.size() / 2], 2 * t.bucketMs);
}

std::string panelTitle(const ExpressionTimeline::Track& t) {
  const auto& names = emotionNames();
  const int top = static_cast<int>(std::max_element(t.mean.begin(), t.mean.end()) - t.mean.begin());
  const std::string who = t.id >= 0 ? "track " + std::to_string(t.id)
                                    : std::string("faces without a track (no smoothing)");
  return who + ": " + std::to_string(t.faces) + (t.faces == 1 ? " face, " : " faces, ") +
         printf1("%.1f-%.1f s", t.firstMs / 1000, t.lastMs / 1000) + ", mostly " +
         names[static_cast<size_t>(top)] +
         printf1(" (%.0f%%)", 100 * t.mean[static_cast<size_t>(top)]);
}
}  // namespace

constexpr int kHeader = 92, kFooter = 30;

cv::Size timelinePictureSize(int panels, const TimelineDrawOptions& options) {
  return {std::max(400, options.width),
          kHeader + std::max(1, panels) * std::max(80, options.panelHeight) + kFooter};
}

cv::Rect timelinePanel(int i, const TimelineDrawOptions& options) {
  const int panelH = std::max(80, options.panelHeight);
  return {0, kHeader + i * panelH, std::max(400, options.width), panelH};
}

cv::Mat drawTimeline(const ExpressionTimeline& timeline, const TimelineDrawOptions& options) {
  const int header = kHeader, L = 60, R = 20;

  std::vector<ExpressionTimeline::Track> tracks = timeline.tracks();
  const size_t kept = tracks.size();
  const size_t panels = std::min(kept, static_cast<size_t>(std::max(1, options.maxPanels)));
  // The longest tracks (most faces), shown in the order they appeared.
  std::stable_sort(tracks.begin(), tracks.end(),
                   [](const auto& a, const auto& b) { return a.faces > b.faces; });
  tracks.resize(panels);
  std::stable_sort(tracks.begin(), tracks.end(), [](const auto& a, const auto& b) {
    return a.firstMs < b.firstMs || (a.firstMs == b.firstMs && a.id < b.id);
  });

  const cv::Size size = timelinePictureSize(static_cast<int>(panels), options);
  const int W = size.width, H = size.height;
  cv::Mat img(size, CV_8UC3, cv::Scalar(255, 255, 255));
  drawLabel(img, "Expression timeline" + (options.title.empty() ? "" : ": " + options.title),
            {10, 26}, 0.65);
  const long long seen = timeline.tracksSeen();
  std::string subtitle;
  if (kept == 0) {
    subtitle = "0 tracks";
  } else {
    subtitle = std::to_string(seen) + (seen == 1 ? " track" : " tracks");
    if (panels < static_cast<size_t>(seen))
      subtitle += "; showing the " + std::to_string(panels) + " with the most faces";
    subtitle += ". y: mean probability per time bucket, x: time in seconds";
  }
  drawLabel(img, subtitle, {10, 52}, 0.5);
  std::vector<LegendEntry> legend;
  for (int k = 0; k < kNumEmotions; ++k)
    legend.push_back({emotionNames()[static_cast<size_t>(k)], emotionColor(k)});
  drawLegend(img, {10, 80}, legend, /*inRow=*/true, 0.5);

  const double xMax = std::max(timeline.lastMs() / 1000.0, 1.0);
  for (size_t i = 0; i < panels; ++i) {
    const ExpressionTimeline::Track& t = tracks[i];
    const cv::Rect panel = timelinePanel(static_cast<int>(i), options);
    drawLabel(img, panelTitle(t), {L, panel.y + 16}, 0.45);
    ChartArea area;
    area.rect = cv::Rect(L, panel.y + 24, W - L - R, panel.height - 24 - 26);
    area.xMin = 0;
    area.xMax = xMax;
    drawHorizontalGrid(img, area, 2, "%.1f");
    drawXTicks(img, area, 12, "%g");
    const double gap = breakGapMs(t);
    // Neutral first, so the coloured expressions are drawn over the grey.
    for (int k : {6, 0, 1, 2, 3, 4, 5}) {
      std::vector<cv::Point2d> run;
      for (size_t j = 0; j < t.points.size(); ++j) {
        if (j > 0 && t.points[j].timeMs - t.points[j - 1].timeMs > gap) {
          drawCurve(img, area, run, emotionColor(k));
          run.clear();
        }
        run.emplace_back(t.points[j].timeMs / 1000.0, t.points[j].probs[static_cast<size_t>(k)]);
      }
      drawCurve(img, area, run, emotionColor(k));
    }
  }
  if (panels == 0)
    drawLabel(img, "no face was found in the frames labelled",
              {L, header + timelinePanel(0, options).height / 2}, 0.6);
  else
    drawLabel(img, "time (s)", {W / 2 - 30, H - 10}, 0.5, kInk);
  return img;
}

}  // namespace microfer
