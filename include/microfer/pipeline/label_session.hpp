// LabelSession: the one per-frame flow of every front end (CLI label, desktop app, bench,
// soak): process -> smooth -> annotate -> write the labelled image or video frame -> append
// the CSV/JSONL record -> report. It owns the set-up of a source (stream reset, tracker
// reset, timestamps, the labelled video's opening and closing) and its checks (frames that
// could not be read, a video without a readable frame).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "microfer/output/annotator.hpp"
#include "microfer/output/timeline.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/pipeline/quality_controller.hpp"
#include "microfer/pipeline/tracker.hpp"
#include "microfer/types.hpp"

namespace microfer {

class Pipeline;
class ResultsWriter;

struct LabelOptions {
  AnnotateOptions annotate;
  bool smooth = true;  ///< streams: FaceTracker smoothing of the labels
  TrackerConfig tracker;
  int every = 1;            ///< streams: label every Nth frame (by Frame::index)
  bool writeVideo = true;   ///< streams: write the labelled video (checked at every frame)
  bool writeImages = true;  ///< images: write the labelled copy (false: records only)
  /// Streams (video files, cameras, live streams alike): when a stream with a labelled frame
  /// ends, draw its expression timeline (per track, the probabilities over time) into
  /// <name>_timeline.png beside its records (false: none). Read at endStream().
  bool writeTimeline = true;
  TimelineLimits timelineLimits;  ///< bounded memory for the timeline of a long stream
  ImageReadOptions read;    ///< images read from files
  /// Streams: the live view's adaptive quality. Each labelled frame's cost (labelFrame()
  /// from start to end) is measured against the frame budget (1000 / (fps / every), the fps
  /// given to beginStream()); a QualityController lowers the pipeline's TTA, detect-every,
  /// minimum face and classify-every in steps while frames cost too much and raises them
  /// again when time allows. The lowered settings hold only while a frame runs: between frames the pipeline
  /// has the user's own, and changes made to them start a new ladder. Off (the user's
  /// settings on every frame) for offline work: label, batch, eval.
  bool adaptive = false;
  QualityPolicy qualityPolicy;  ///< adaptive: when to step down and up
  /// Tests: the cost recorded for a frame instead of the measured one (frame index,
  /// measured ms -> ms), to script a load. Empty: the measured cost.
  std::function<double(long long frameIndex, double measuredMs)> frameCost;
};

/// One labelled image or frame: its result (stage timings included) and the annotated picture.
struct LabelledFrame {
  FrameResult result;
  cv::Mat annotated;
  double ms = 0;  ///< process + smooth + annotate, milliseconds (writing not counted)
  /// Where the labelled copy goes, relative to the results folder ("sub/x.jpg" ->
  /// sub/x_labelled.jpg; ExpandedInputs::mirrored); empty: the source's file name.
  std::string mirrorAs;
};

/// How a stream ended.
struct StreamSummary {
  std::string source;
  long long framesRead = 0;      ///< frames the source delivered (files: that decoded)
  long long framesLabelled = 0;  ///< of which labelled (every Nth)
  long long faces = 0;
  double declaredFrames = 0;  ///< the container's frame count (0 unknown)
  std::string videoPath;      ///< the labelled video ("" when none was written)
  std::string timelinePath;   ///< the expression timeline's picture ("" when none was written)
  /// "video 'x': only N of its M frames could be read (...)" when a file ended early;
  /// empty otherwise.
  std::string warning;
};

/// Not thread-safe; the Pipeline and the ResultsWriter must outlive it.
class LabelSession {
 public:
  using FrameCallback = std::function<void(const FrameResult&, const cv::Mat& annotated)>;

  /// Writes the labelled images/videos and records through `writer`.
  LabelSession(Pipeline& pipeline, ResultsWriter& writer, const LabelOptions& options = {});
  /// Labels and reports only; writes nothing.
  explicit LabelSession(Pipeline& pipeline, const LabelOptions& options = {});
  ~LabelSession();
  LabelSession(const LabelSession&) = delete;
  LabelSession& operator=(const LabelSession&) = delete;

  /// Called after each labelled image or frame has been written.
  void onFrame(FrameCallback callback) { callback_ = std::move(callback); }
  /// May be changed between frames (smoothing, attention, video on/off).
  LabelOptions& options() { return options_; }
  /// Another pipeline (e.g. another model) from now on; the tracker restarts, since its
  /// smoothed probabilities came from the other network.
  void setPipeline(Pipeline& pipeline);
  /// Where images, videos and records go from now on; nullptr writes nothing. Not while a
  /// labelled video is open.
  void setWriter(ResultsWriter* writer) { writer_ = writer; }

  // --- Still images ------------------------------------------------------------------
  /// process -> annotate; writes nothing and reports nothing.
  LabelledFrame inspectImage(const cv::Mat& image, const std::string& source);
  /// Writes the labelled copy, then its record, then marks the source done in the results
  /// folder (ResultsWriter::markDone: what `label --resume` skips); reports it. Returns the
  /// labelled copy's path.
  std::string saveImage(const LabelledFrame& labelled);
  /// inspectImage + saveImage. `labelledPath`, if given, receives the labelled copy's path;
  /// `mirrorAs` names it (see LabelledFrame).
  LabelledFrame labelImage(const cv::Mat& image, const std::string& source,
                           std::string* labelledPath = nullptr, const std::string& mirrorAs = "");
  /// Reads the file (LabelOptions::read) and labels it (the copy named as `mirrorAs`, see
  /// LabelledFrame).
  LabelledFrame labelImage(const std::string& path, std::string* labelledPath = nullptr,
                           const std::string& mirrorAs = "");

  // --- Streams, frame by frame (for callers with their own loop, such as the app) ------
  /// Starts a stream: resets the pipeline's stream state and the tracker. `fps` (0 = unknown,
  /// 25 is used) times the labelled video, which is named after `videoName` (default: the
  /// source) and opened at the first labelled frame.
  void beginStream(const std::string& source, double fps, const std::string& videoName = "");
  /// Labels a frame of the stream; false (nothing done) for a frame that --every skips.
  /// FrameResult::timestampMs is the frame's.
  bool labelFrame(const Frame& frame, LabelledFrame* labelled = nullptr);
  /// Closes the labelled video now (a later frame with writeVideo opens a new one).
  void closeVideo();
  /// Ends the stream: closes the labelled video (which throws if it is incomplete), writes
  /// the expression timeline (LabelOptions::writeTimeline; throws when it cannot be
  /// written), then marks the source done in the results folder when a frame was recorded.
  StreamSummary endStream();
  /// Ends the stream after an error: the unfinished video is removed. No-throw.
  void abortStream() noexcept;
  bool streaming() const { return streaming_; }
  /// LabelOptions::adaptive: the controller of this stream; its level is the one of the
  /// frame being labelled (in the onFrame callback), else the next frame's. nullptr before
  /// the first adaptive frame and when adaptive is off.
  const QualityController* quality() const { return quality_.get(); }
  const std::string& videoPath() const { return videoPath_; }
  /// The stream's expression timeline so far (every labelled frame's faces since
  /// beginStream(); kept until the next stream begins).
  const ExpressionTimeline& timeline() const { return timeline_; }

  // --- Whole sources -------------------------------------------------------------------
  /// Labels every frame of `source` (every Nth), until it ends. Throws InputError when it
  /// fails or yields no frame ("has no readable frames"); the labelled video is then removed.
  /// `mirrorAs`: the labelled video's name relative to the results folder, as for images.
  StreamSummary labelSource(FrameSource& source, const std::string& mirrorAs = "");
  /// A video file, read through a FrameSource in file mode (no frame dropped). Throws
  /// InputError "cannot open video ..." / "... has no readable frames"; sets
  /// StreamSummary::warning when fewer frames decode than the container declares.
  StreamSummary labelVideo(const std::string& path, const std::string& mirrorAs = "");

 private:
  Pipeline* pipeline_;
  ResultsWriter* writer_;
  LabelOptions options_;
  FaceTracker tracker_;
  FrameCallback callback_;
  bool streaming_ = false;
  StreamSummary stream_;
  double streamFps_ = 25;
  std::string videoName_, videoPath_, videoMirror_;
  bool videoOpen_ = false;
  cv::Size videoSize_;  ///< frame size of the open labelled video
  std::unique_ptr<QualityController> quality_;
  ExpressionTimeline timeline_;
};

}  // namespace microfer
