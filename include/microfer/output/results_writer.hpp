// Writing results: labelled images, results.csv, results.jsonl, labelled videos, timelines.
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

/// One CSV record: its text as in the file (without the line break) and its fields, unquoted.
struct CsvRecord {
  std::string text;
  std::vector<std::string> fields;
};

/// Splits CSV text into records: fields may be quoted ("a,b", "say ""hi"""), a quoted field
/// may hold a line break; "\r\n" ends a record like "\n". The inverse of csvField.
/// A half-written last record (a quote never closed) is dropped.
std::vector<CsvRecord> parseCsv(const std::string& text);

class Pipeline;

/// What one run labelled: images, video or stream frames, faces in them, inputs that failed.
struct RunCounts {
  long long images = 0, frames = 0, faces = 0, failures = 0;
};

/// What produced the records of a results folder: ResultsWriter::finishRun() adds it to the
/// writer's own run record, <folder>/runs/<run id>.json ({"runs": [...]}), which no other
/// writer or process rewrites.
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
  /// Saves an annotated image for `sourcePath`; returns the written path:
  /// <folder>/<stem>_labelled.<ext>, or, with `mirrorAs` (a relative path such as
  /// "2024/05/x.jpg", from expandInputs()), <folder>/2024/05/x_labelled.jpg, its folders
  /// created: the labelled tree mirrors the inputs' tree.
  std::string writeLabelledImage(const std::string& sourcePath, const cv::Mat& annotated,
                                 const std::string& mirrorAs = "");
  /// Saves a stream's expression timeline (output/timeline.hpp) for `sourcePath` as
  /// <folder>/<stem>_timeline.png (`mirrorAs` as above), beside its labelled video; returns
  /// the written path.
  std::string writeTimeline(const std::string& sourcePath, const cv::Mat& picture,
                            const std::string& mirrorAs = "");
  /// Starts a labelled video for `sourcePath` (MJPG in .avi; `mirrorAs` as above); returns its
  /// final path.
  std::string openVideo(const std::string& sourcePath, double fps, cv::Size size,
                        const std::string& mirrorAs = "");
  void writeVideoFrame(const cv::Mat& annotated);
  /// Finishes the video: checks that it reads back with every frame written (cv::VideoWriter
  /// reports no write errors), then renames it into place; if not, removes it and throws.
  /// Called by the destructor too.
  void closeVideo();
  /// Drops an unfinished video (after an error): the temporary file is removed. No-throw.
  void discardVideo() noexcept;
  /// Adds `run` with this writer's start time and now as its end time to this writer's run
  /// record, runPath() (kept whole: written to a temporary file and renamed). Only this
  /// writer writes that file, so processes sharing a results folder (shards, GNU parallel,
  /// a Slurm array) never rewrite each other's records.
  void finishRun(const RunInfo& run);
  /// Records that every result of `input` (as it was given or expanded) is written: a line in
  /// <folder>/runs/<run id>.done, made at the first call, appended and handed to the kernel at
  /// once. ResultsWriter::resume() skips such inputs in a later run.
  void markDone(const std::string& input);
  /// "<UTC start>-<host>-<pid>[-n]": unique to this writer.
  const std::string& runId() const { return runId_; }
  std::string runPath() const;
  /// One frame's JSONL record (no newline): what append() writes to results.jsonl.
  static std::string jsonRecord(const FrameResult& result);

  const std::string& outDir() const { return outDir_; }
  std::string csvPath() const;
  std::string jsonlPath() const;
  /// The CSV header line (without newline).
  static std::string csvHeader();

  /// Before a resumed run into `outDir` (label --resume): the inputs every run there marked
  /// done (runs/*.done), after the records were repaired. A record of an input that was not
  /// marked done (a video or a run cut short by a kill) is dropped from results.csv and
  /// results.jsonl, as is a half-written last line, so that labelling those inputs again
  /// leaves each of them recorded once. Rewrites a file only when it drops something (through
  /// a temporary file renamed into place). Not while another process writes into `outDir`.
  struct Resume {
    std::set<std::string> done;
    long long droppedRows = 0, droppedRecords = 0;  ///< CSV rows, JSONL lines
  };
  static Resume resume(const std::string& outDir);

 private:
  std::string uniquePath(const std::string& sourcePath, const std::string& suffix,
                         const std::string& ext, const std::string& mirrorAs);
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
  std::string runId_;
  std::vector<std::string> runs_;  ///< this writer's finished runs, as JSON
  int doneFd_ = -1;                ///< runs/<run id>.done, opened at the first markDone()
};

/// `microfer-cli merge`: the results folders `dirs` (shards of one job) as one, `outDir`:
/// results.csv with one header (every folder's must be the same), results.jsonl, and each
/// folder's run records (runs/*.json, *.done; an older run.json as runs/<folder>-run.json).
/// Records are copied in the order of `dirs`; labelled images stay where they are. A
/// half-written last line (a shard that was killed) is left out and counted. Throws
/// std::runtime_error when `outDir` already holds results or a folder has none.
struct MergeSummary {
  long long rows = 0, records = 0, runRecords = 0, tornLines = 0;
};
MergeSummary mergeResults(const std::string& outDir, const std::vector<std::string>& dirs);

}  // namespace microfer
