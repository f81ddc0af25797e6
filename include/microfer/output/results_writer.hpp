// Writing results: labelled images, results.csv, results.jsonl, labelled videos.
#pragma once

#include <map>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <string>
#include <vector>

#include "microfer/types.hpp"

namespace microfer {

/// `s` as one CSV field: as it is, or in double quotes (inner quotes doubled) when it holds a
/// comma, a quote or a line break (results.csv, eval --probs).
std::string csvField(const std::string& s);

class Pipeline;

/// What one run labelled: images, video or stream frames, faces in them, inputs that failed.
struct RunCounts {
  long long images = 0, frames = 0, faces = 0, failures = 0;
};

/// What produced the records of a results folder: ResultsWriter::finishRun() adds it to
/// <folder>/run.json ({"runs": [...]}, one entry per run that wrote there).
struct RunInfo {
  std::string program;  ///< "microfer-cli 0.1.0", "microfer 0.1.0"
  std::string modelPath, modelName, modelChecksum;  ///< checksum: FNV-1a 64 of the file, hex
  std::string detector, tta;
  int minFace = 0, detectEvery = 0, maxFaces = 0;
  float mtcnnThresholds[3] = {0, 0, 0};
  float yunetThresholds[2] = {0, 0};  ///< score, NMS IoU
  float uncertainBelow = 0;  ///< the threshold the faces were judged against
  std::vector<std::string> inputs;  ///< as given (files, folders, "camera:0")
  RunCounts counts;
};

/// A RunInfo: the pipeline's settings (model and its checksum, detector, TTA, thresholds),
/// the program, the inputs as given and what the run labelled.
RunInfo describeRun(Pipeline& pipeline, const std::string& program,
                    std::vector<std::string> inputs = {}, const RunCounts& counts = {});

/// Writes into one results folder (created if missing). Guarantees:
/// - inputs are never written to; an existing result is never overwritten (new names get
///   a numeric suffix; results.csv/results.jsonl are appended to);
/// - images and videos are written under a temporary name and renamed when complete;
/// - every CSV/JSONL record is handed to the kernel as soon as it is written, so what was
///   written survives a crash or a cancelled batch;
/// - a write that fails (disk full, quota, file size limit) throws, and leaves no partial
///   record at the end of results.csv / results.jsonl and no partial image or video under a
///   final name.
/// Throws std::runtime_error naming the file when the folder is not writable or a write fails.
/// Not thread-safe; not copyable.
class ResultsWriter {
 public:
  /// `writeCsvHeader` false: append rows only (shards after the first, so that the parts
  /// concatenate into one file).
  explicit ResultsWriter(const std::string& outDir, bool writeCsvHeader = true);
  ~ResultsWriter();
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  /// One CSV row per face and one JSONL object for the frame.
  void append(const FrameResult& result);
  /// Saves an annotated image for `sourcePath`; returns the written path.
  std::string writeLabelledImage(const std::string& sourcePath, const cv::Mat& annotated);
  /// Starts a labelled video for `sourcePath` (MJPG in .avi); returns its final path.
  std::string openVideo(const std::string& sourcePath, double fps, cv::Size size);
  void writeVideoFrame(const cv::Mat& annotated);
  /// Finishes the video: checks that it reads back with every frame written (cv::VideoWriter
  /// reports no write errors), then renames it into place; if not, removes it and throws.
  /// Called by the destructor too.
  void closeVideo();
  /// Drops an unfinished video (after an error): the temporary file is removed. No-throw.
  void discardVideo() noexcept;
  /// Adds `run` with this writer's start time and now as its end time to run.json (kept
  /// whole: written to a temporary file and renamed). A run.json that cannot be parsed is
  /// kept as run.json.bad rather than lost.
  void finishRun(const RunInfo& run);
  /// One frame's JSONL record (no newline): what append() writes to results.jsonl.
  static std::string jsonRecord(const FrameResult& result);

  const std::string& outDir() const { return outDir_; }
  std::string csvPath() const;
  std::string jsonlPath() const;
  /// The CSV header line (without newline).
  static std::string csvHeader();

 private:
  std::string uniquePath(const std::string& sourcePath, const std::string& suffix,
                         const std::string& ext);
  void appendRecords(const std::string& csvRows, const std::string& jsonLines);
  std::string outDir_;
  int csvFd_ = -1, jsonlFd_ = -1;  ///< opened with O_APPEND; written with write(2)
  /// An existing results.csv of the layout before 2026-12-02 (no prediction_age column):
  /// its new rows keep that layout, so every row matches the file's header.
  bool csvWithoutAge_ = false;
  cv::VideoWriter video_;
  std::string videoTmp_, videoFinal_;
  long long videoFrames_ = 0;      ///< frames written into the open video
  std::set<std::string> claimed_;  ///< names handed out in this run
  std::string startedAt_;          ///< ISO 8601 UTC, when the writer was made
};

}  // namespace microfer
