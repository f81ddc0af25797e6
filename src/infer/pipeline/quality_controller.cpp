#include "microfer/pipeline/quality_controller.hpp"

#include "microfer/pipeline/pipeline.hpp"  // kLargestMinFace

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace microfer {

std::string qualityTag(TtaMode tta, int detectEvery, int minFace, int classifyEvery) {
  std::string tag =
      toString(tta) + '/' + std::to_string(detectEvery) + '/' + std::to_string(minFace);
  if (classifyEvery > 1) tag += '/' + std::to_string(classifyEvery);
  return tag;
}

std::string QualityLevel::tag() const {
  return qualityTag(tta, detectEvery, minFace, classifyEvery);
}

std::vector<QualityLevel> qualityLadder(const QualityLevel& user) {
  std::vector<QualityLevel> ladder{user};
  // TTA first: its views multiply the classifier's cost, and a frame without them still
  // gets every face and its label.
  for (TtaMode lower : {TtaMode::Flip, TtaMode::Off}) {
    if (static_cast<int>(lower) < static_cast<int>(ladder.back().tta)) {
      ladder.push_back(ladder.back());
      ladder.back().tta = lower;
    }
  }
  // Then fewer whole-frame searches: the faces are still followed near their last boxes.
  for (int every : {5, 10, 20}) {
    if (every > ladder.back().detectEvery) {
      ladder.push_back(ladder.back());
      ladder.back().detectEvery = every;
    }
  }
  // Last, a larger smallest face: small (far) faces are no longer found.
  for (double factor : {1.5, 2.0}) {
    const int px = std::min(kLargestMinFace, static_cast<int>(std::lround(user.minFace * factor)));
    if (px > ladder.back().minFace) {
      ladder.push_back(ladder.back());
      ladder.back().minFace = px;
    }
  }
  // Last of all, each face classified every 2nd, then 3rd frame: a face followed near its
  // last box keeps its label in between (an expression rarely changes within 1/10 s).
  for (int every : {2, 3}) {
    if (every > ladder.back().classifyEvery) {
      ladder.push_back(ladder.back());
      ladder.back().classifyEvery = every;
    }
  }
  return ladder;
}

QualityController::QualityController(std::vector<QualityLevel> ladder, double fps,
                                     const QualityPolicy& policy)
    : ladder_(std::move(ladder)), policy_(policy), budgetMs_(1000.0 / (fps > 0 ? fps : 25.0)) {
  if (ladder_.empty()) throw std::invalid_argument("QualityController: empty quality ladder");
}

void QualityController::moveTo(int level) {
  level_ = level;
  // The average restarts so that it measures the new level only.
  recentMs_ = 0;
  framesAtLevel_ = 0;
  cheapFrames_ = 0;
}

bool QualityController::record(double frameMs) {
  recentMs_ = framesAtLevel_ == 0 ? frameMs : recentMs_ + policy_.smoothing * (frameMs - recentMs_);
  ++framesAtLevel_;
  if (framesAtLevel_ < policy_.settleFrames) return false;
  const int bottom = static_cast<int>(ladder_.size()) - 1;
  if (recentMs_ > policy_.stepDownAbove * budgetMs_) {
    cheapFrames_ = 0;
    if (level_ == bottom) return false;  // nothing cheaper: the source drops frames
    moveTo(level_ + 1);
    return true;
  }
  if (recentMs_ < policy_.stepUpBelow * budgetMs_) {
    if (++cheapFrames_ >= policy_.upAfterFrames && level_ > 0) {
      moveTo(level_ - 1);
      return true;
    }
    return false;
  }
  cheapFrames_ = 0;  // between the thresholds: stay
  return false;
}

std::string QualityController::describe() const {
  const QualityLevel& q = level();
  std::string text =
      "quality: " + toString(q.tta) + ", detect every " + std::to_string(q.detectEvery);
  if (q.minFace > ladder_.front().minFace) text += ", min face " + std::to_string(q.minFace);
  if (q.classifyEvery > 1) text += ", labels every " + std::to_string(q.classifyEvery) + " frames";
  return text;
}

}  // namespace microfer
