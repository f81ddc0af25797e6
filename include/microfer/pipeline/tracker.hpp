// Temporal smoothing for video and camera: faces are matched across frames by box IoU and
// their probabilities are smoothed so labels stop flickering.
#pragma once

#include <vector>

#include "microfer/types.hpp"

namespace microfer {

struct TrackerConfig {
  float minIou = 0.3f;      ///< a face continues a track when its box overlaps this much
  float smoothing = 0.6f;   ///< weight of the track's history in the exponential average
  int maxMissedFrames = 5;  ///< a track is dropped after this many frames without a face
};

/// Not thread-safe; one per video stream.
class FaceTracker {
 public:
  explicit FaceTracker(const TrackerConfig& config = {}) : config_(config) {}
  /// Assigns FaceResult::trackId (stable across frames) and replaces each prediction's
  /// probabilities by the smoothed ones (label, confidence and uncertain updated to match).
  void update(FrameResult& frame);
  void reset() { tracks_.clear(); }
  size_t activeTracks() const { return tracks_.size(); }

 private:
  struct Track {
    int id;
    cv::Rect2f box;
    std::array<float, kNumEmotions> probs;
    int missed;
  };
  TrackerConfig config_;
  std::vector<Track> tracks_;
  int nextId_ = 0;
};

}  // namespace microfer
