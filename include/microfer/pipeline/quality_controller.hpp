// Adaptive quality for the live view (camera, video playback): a ladder of ever cheaper
// pipeline settings and a controller that walks it so that a stream keeps its source's frame
// rate. When the frames cost more than their time budget the quality falls one step; when
// they have cost much less for a while it rises one step again (hysteresis). Pure logic: the
// caller measures each frame and applies the level; no clock, no thread, no pipeline here.
// Offline work (label, batch, eval) never uses it: it runs at the user's settings.
#pragma once

#include <string>
#include <vector>

#include "microfer/classify/expression_classifier.hpp"  // TtaMode (a torch-free header)

namespace microfer {

/// The settings the live view may lower, one rung of the ladder.
struct QualityLevel {
  TtaMode tta = TtaMode::Flip;
  int detectEvery = 5;  ///< whole-frame detection every this many stream frames
  int minFace = 40;     ///< smallest face side the detector looks for, pixels
  int classifyEvery = 1;  ///< PipelineConfig::classifyEvery

  /// "flip/5/40": TTA mode / detect every / minimum face, the form of the results'
  /// `quality` field; "/2" (or "/3") follows when each face is classified every 2nd (3rd)
  /// frame only.
  std::string tag() const;
  bool operator==(const QualityLevel& o) const {
    return tta == o.tta && detectEvery == o.detectEvery && minFace == o.minFace &&
           classifyEvery == o.classifyEvery;
  }
  bool operator!=(const QualityLevel& o) const { return !(*this == o); }
};

/// The quality tag of a frame processed with these settings (see QualityLevel::tag()).
std::string qualityTag(TtaMode tta, int detectEvery, int minFace, int classifyEvery = 1);

/// The ladder from the user's own settings (level 0) down to the cheapest: TTA one step at a
/// time to off (full -> flip -> off), then whole-frame detection every 5, 10, 20 frames
/// (only the values above the user's own), then the minimum face x1.5, x2 (at most 10000),
/// then each face classified every 2nd, 3rd frame (followed faces keep their last label between).
/// Each level is cheaper than the one before; the ladder has at least one level.
std::vector<QualityLevel> qualityLadder(const QualityLevel& user);

/// When the controller steps. Fractions are of the frame budget.
struct QualityPolicy {
  double stepDownAbove = 0.9;  ///< recent cost above this: one step down
  double stepUpBelow = 0.6;    ///< recent cost below this for `upAfterFrames`: one step up
  double smoothing = 0.3;      ///< weight of the newest frame in the moving average
  int settleFrames = 5;        ///< after a step, frames measured before the next decision
  int upAfterFrames = 30;      ///< consecutive cheap frames (after settling) before a step up
};

/// Walks a quality ladder from measured frame costs. Deterministic: the same costs give the
/// same levels. Not thread-safe.
class QualityController {
 public:
  /// `ladder` must not be empty (qualityLadder() never is); `fps` <= 0 (unknown) counts as
  /// 25. Starts at level 0, the user's settings.
  QualityController(std::vector<QualityLevel> ladder, double fps, const QualityPolicy& policy = {});

  /// Records the cost of the frame just processed (milliseconds, everything the stream
  /// spends on it) and decides the level of the next one. Returns true when it changed.
  bool record(double frameMs);

  /// The level index: 0 = the user's settings, ladder().size() - 1 = the cheapest.
  int levelIndex() const { return level_; }
  const QualityLevel& level() const { return ladder_[static_cast<size_t>(level_)]; }
  const std::vector<QualityLevel>& ladder() const { return ladder_; }
  double budgetMs() const { return budgetMs_; }
  /// The moving average of recent frame costs (0 before the first one at this level).
  double recentMs() const { return recentMs_; }
  /// For the status bar: "quality: flip, detect every 5", plus ", min face 60" when the
  /// minimum face is above the user's.
  std::string describe() const;

 private:
  void moveTo(int level);

  std::vector<QualityLevel> ladder_;
  QualityPolicy policy_;
  double budgetMs_;
  int level_ = 0;
  double recentMs_ = 0;
  int framesAtLevel_ = 0;  ///< frames recorded since the last step
  int cheapFrames_ = 0;    ///< consecutive settled frames below stepUpBelow
};

}  // namespace microfer
