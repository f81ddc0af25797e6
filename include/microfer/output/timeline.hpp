// The expression timeline of a stream: per face track, the 7 probabilities over time, kept
// in bounded memory while a video or camera is labelled (LabelSession), and drawn as one
// picture with a panel per track (<name>_timeline.png beside the labelled video).
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "microfer/types.hpp"

namespace microfer {

struct TimelineLimits {
  /// Points kept per track. A track that would hold more has its time buckets doubled
  /// in width (neighbours merged, their means weighted by faces), so a long video costs
  /// no more memory than a short one; the resolution is what halves.
  int maxPointsPerTrack = 2000;
  /// Tracks kept. Beyond this, the track with the fewest faces that is not in the latest
  /// frame is dropped (ExpressionTimeline::tracksSeen() still counts it).
  int maxTracks = 64;
};

/// Per track, the mean probabilities of its faces in time buckets. Track id -1 gathers the
/// faces that have no track (smoothing off): their mean per bucket. Not thread-safe.
class ExpressionTimeline {
 public:
  explicit ExpressionTimeline(const TimelineLimits& limits = {});

  /// One time bucket of a track: [index * widthMs, (index + 1) * widthMs).
  struct Point {
    double timeMs = 0;                        ///< mean time of the faces in it
    std::array<float, kNumEmotions> probs{};  ///< mean probabilities of those faces
    long long faces = 0;
  };
  struct Track {
    int id = -1;
    long long faces = 0;  ///< every face of the track added, also those of merged buckets
    double firstMs = 0, lastMs = 0;
    /// Mean probabilities over all its faces.
    std::array<double, kNumEmotions> mean{};
    double bucketMs = 1;        ///< width of its buckets now
    std::vector<Point> points;  ///< in time order; at most maxPointsPerTrack
  };

  /// Adds every face of a stream frame at its timestamp (FrameResult::timestampMs).
  void add(const FrameResult& frame);
  /// Adds one face; `timeMs` may go backwards (a reopened live source): the point goes into
  /// its bucket.
  void add(int trackId, double timeMs, const std::array<float, kNumEmotions>& probs);
  void clear();

  /// The tracks, by id (the untracked -1 first).
  std::vector<Track> tracks() const;
  bool empty() const { return tracks_.empty(); }
  /// Tracks ever added, including the ones dropped by maxTracks.
  long long tracksSeen() const { return tracksSeen_; }
  /// The time range of everything added (0, 0 when empty).
  double firstMs() const { return firstMs_; }
  double lastMs() const { return lastMs_; }
  const TimelineLimits& limits() const { return limits_; }

 private:
  struct Bucket {
    long long index = 0;
    double timeSum = 0;
    std::array<double, kNumEmotions> probSum{};
    long long faces = 0;
  };
  struct Series {
    int id = -1;
    long long faces = 0;
    double firstMs = 0, lastMs = 0;
    std::array<double, kNumEmotions> probSum{};
    double bucketMs = 1;
    std::vector<Bucket> buckets;  ///< sorted by index
  };
  Series& series(int id, double timeMs);
  static void coarsen(Series& s);

  TimelineLimits limits_;
  std::vector<Series> tracks_;
  long long tracksSeen_ = 0;
  double firstMs_ = 0, lastMs_ = 0;
};

struct TimelineDrawOptions {
  std::string title;  ///< e.g. the video's file name
  int maxPanels = 8;  ///< the tracks with the most faces; the picture says when more exist
  int width = 1200;   ///< pixels
  int panelHeight = 150;
};

/// The timeline as an 8-bit BGR picture: a header with the title, the number of tracks and
/// the legend (one colour per expression, emotionColor()), then one panel per track (the
/// `maxPanels` with the most faces, in the order they appeared) with its id, face count and
/// dominant expression, the 7 mean probabilities (0..1) against the stream's time in
/// seconds. A line breaks where a track was absent. An empty timeline gives a picture that
/// says no face was found.
cv::Mat drawTimeline(const ExpressionTimeline& timeline, const TimelineDrawOptions& options = {});
/// The size of drawTimeline()'s picture with `panels` panels: a header, `panels` (at least
/// one: the empty picture's message takes a panel's room) times the panel height, a footer.
cv::Size timelinePictureSize(int panels, const TimelineDrawOptions& options = {});
/// Where panel `i` (0: the top one) lies in that picture: its title, plot and time ticks.
cv::Rect timelinePanel(int i, const TimelineDrawOptions& options = {});

}  // namespace microfer
