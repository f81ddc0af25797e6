// Writing results: labelled images, results.csv, results.jsonl, labelled videos.
#pragma once

#include <fstream>
#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <string>

#include "microfer/types.hpp"

namespace microfer {

/// Writes into one results folder (created if missing). Guarantees:
/// - inputs are never written to; an existing result is never overwritten (new names get
///   a numeric suffix; results.csv/results.jsonl are appended to);
/// - images and videos are written under a temporary name and renamed when complete;
/// - every CSV/JSONL record is flushed as soon as it is written, so what was written
///   survives a crash or a cancelled batch.
/// Throws std::runtime_error with the path when the folder is not writable or a write fails.
/// Not thread-safe.
class ResultsWriter {
 public:
  /// `writeCsvHeader` false: append rows only (shards after the first, so that the parts
  /// concatenate into one file).
  explicit ResultsWriter(const std::string& outDir, bool writeCsvHeader = true);
  ~ResultsWriter();

  /// One CSV row per face and one JSONL object for the frame.
  void append(const FrameResult& result);
  /// Saves an annotated image for `sourcePath`; returns the written path.
  std::string writeLabelledImage(const std::string& sourcePath, const cv::Mat& annotated);
  /// Starts a labelled video for `sourcePath` (MJPG in .avi); returns its final path.
  std::string openVideo(const std::string& sourcePath, double fps, cv::Size size);
  void writeVideoFrame(const cv::Mat& annotated);
  /// Finishes the video (renames it into place). Called by the destructor too.
  void closeVideo();

  const std::string& outDir() const { return outDir_; }
  std::string csvPath() const;
  std::string jsonlPath() const;
  /// The CSV header line (without newline).
  static std::string csvHeader();

 private:
  std::string uniquePath(const std::string& sourcePath, const std::string& suffix,
                         const std::string& ext);
  std::string outDir_;
  std::ofstream csv_, jsonl_;
  cv::VideoWriter video_;
  std::string videoTmp_, videoFinal_;
  std::set<std::string> claimed_;  ///< names handed out in this run
};

}  // namespace microfer
