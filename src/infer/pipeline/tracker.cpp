#include "microfer/pipeline/tracker.hpp"

#include <algorithm>

#include "microfer/detect/face_detector.hpp"

namespace microfer {

void FaceTracker::update(FrameResult& frame) {
  // Greedy matching by IoU, best pairs first.
  struct Pair {
    float iou;
    size_t face, track;
  };
  std::vector<Pair> pairs;
  for (size_t f = 0; f < frame.faces.size(); ++f)
    for (size_t t = 0; t < tracks_.size(); ++t) {
      const float o = iou(frame.faces[f].detection.box, tracks_[t].box);
      if (o >= config_.minIou) pairs.push_back({o, f, t});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
  std::vector<int> faceTrack(frame.faces.size(), -1);
  std::vector<bool> trackUsed(tracks_.size(), false);
  for (const auto& p : pairs) {
    if (faceTrack[p.face] >= 0 || trackUsed[p.track]) continue;
    faceTrack[p.face] = static_cast<int>(p.track);
    trackUsed[p.track] = true;
  }
  const float a = config_.smoothing;
  for (size_t f = 0; f < frame.faces.size(); ++f) {
    FaceResult& face = frame.faces[f];
    Prediction& pred = face.prediction;
    if (faceTrack[f] >= 0) {
      Track& t = tracks_[faceTrack[f]];
      float sum = 0;
      for (int c = 0; c < kNumEmotions; ++c) {
        t.probs[c] = a * t.probs[c] + (1 - a) * pred.probs[c];
        sum += t.probs[c];
      }
      for (int c = 0; c < kNumEmotions; ++c) pred.probs[c] = t.probs[c] / sum;
      t.box = face.detection.box;
      t.missed = 0;
      face.trackId = t.id;
    } else {
      tracks_.push_back({nextId_++, face.detection.box, pred.probs, 0});
      trackUsed.push_back(true);
      face.trackId = tracks_.back().id;
    }
    pred.settle();
  }
  for (size_t t = 0; t < tracks_.size(); ++t)
    if (!trackUsed[t]) ++tracks_[t].missed;
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) { return t.missed > config_.maxMissedFrames; }),
                tracks_.end());
}

}  // namespace microfer
