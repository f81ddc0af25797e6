#include "microfer/pipeline/label_session.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"

namespace microfer {

namespace {
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

QualityLevel currentQuality(const Pipeline& pipeline) {
  const PipelineConfig& c = pipeline.config();
  return {c.classifier.tta.mode, c.detectEvery, c.detector.minFaceSize, c.classifyEvery};
}

void applyQuality(Pipeline& pipeline, const QualityLevel& q) {
  if (pipeline.config().classifier.tta.mode != q.tta) {
    TtaConfig tta = pipeline.config().classifier.tta;
    tta.mode = q.tta;
    pipeline.setTta(tta);
  }
  if (pipeline.config().detectEvery != q.detectEvery) pipeline.setDetectEvery(q.detectEvery);
  if (pipeline.config().detector.minFaceSize != q.minFace) pipeline.setMinFaceSize(q.minFace);
  if (pipeline.config().classifyEvery != q.classifyEvery) pipeline.setClassifyEvery(q.classifyEvery);
}

/// Gives the pipeline its user's settings back when a frame ends, also by an exception.
class QualityScope {
 public:
  QualityScope(Pipeline& pipeline, const QualityLevel& user, const QualityLevel& level)
      : pipeline_(pipeline), user_(user) {
    applyQuality(pipeline_, level);
  }
  ~QualityScope() {
    try {
      applyQuality(pipeline_, user_);
    } catch (...) {  // the user's settings were valid before: not reached
    }
  }
  QualityScope(const QualityScope&) = delete;
  QualityScope& operator=(const QualityScope&) = delete;

 private:
  Pipeline& pipeline_;
  QualityLevel user_;
};
}  // namespace

LabelSession::LabelSession(Pipeline& pipeline, ResultsWriter& writer, const LabelOptions& options)
    : pipeline_(&pipeline), writer_(&writer), options_(options), tracker_(options.tracker) {}

LabelSession::LabelSession(Pipeline& pipeline, const LabelOptions& options)
    : pipeline_(&pipeline), writer_(nullptr), options_(options), tracker_(options.tracker) {}

LabelSession::~LabelSession() {
  if (streaming_) abortStream();
}

void LabelSession::setPipeline(Pipeline& pipeline) {
  pipeline_ = &pipeline;
  pipeline_->resetStream();  // its faces and labels of an earlier stream are not this one's
  tracker_.reset();
  quality_.reset();  // another network costs differently
}

LabelledFrame LabelSession::inspectImage(const cv::Mat& image, const std::string& source) {
  const auto start = Clock::now();
  LabelledFrame out;
  out.result = pipeline_->process(image, source, 0);
  out.annotated = image.clone();
  annotate(out.annotated, out.result, options_.annotate);
  out.ms = msSince(start);
  return out;
}

std::string LabelSession::saveImage(const LabelledFrame& labelled) {
  std::string written;
  if (writer_) {
    if (options_.writeImages)
      written = writer_->writeLabelledImage(labelled.result.source, labelled.annotated,
                                            labelled.mirrorAs);
    writer_->append(labelled.result);
    writer_->markDone(labelled.result.source);
  }
  if (callback_) callback_(labelled.result, labelled.annotated);
  return written;
}

LabelledFrame LabelSession::labelImage(const cv::Mat& image, const std::string& source,
                                       std::string* labelledPath, const std::string& mirrorAs) {
  LabelledFrame out = inspectImage(image, source);
  out.mirrorAs = mirrorAs;
  const std::string written = saveImage(out);
  if (labelledPath) *labelledPath = written;
  return out;
}

LabelledFrame LabelSession::labelImage(const std::string& path, std::string* labelledPath,
                                       const std::string& mirrorAs) {
  return labelImage(readImage(path, options_.read), path, labelledPath, mirrorAs);
}

void LabelSession::beginStream(const std::string& source, double fps,
                               const std::string& videoName) {
  if (streaming_) abortStream();
  pipeline_->resetStream();
  tracker_.reset();
  stream_ = StreamSummary{};
  stream_.source = source;
  streamFps_ = fps > 0 && fps < 1000 ? fps : 25.0;
  videoName_ = videoName.empty() ? source : videoName;
  videoMirror_.clear();
  videoPath_.clear();
  videoOpen_ = false;
  quality_.reset();
  timeline_ = ExpressionTimeline(options_.timelineLimits);
  streaming_ = true;
}

bool LabelSession::labelFrame(const Frame& frame, LabelledFrame* labelled) {
  if (!streaming_) beginStream("", 0);
  ++stream_.framesRead;
  const int every = options_.every > 1 ? options_.every : 1;
  if (frame.index % every != 0) return false;
  const auto start = Clock::now();
  std::optional<QualityScope> lowered;
  if (options_.adaptive) {
    // Level 0 is the pipeline's own settings; when they changed (the user chose others),
    // a new ladder starts from them.
    const QualityLevel user = currentQuality(*pipeline_);
    if (!quality_ || quality_->ladder().front() != user)
      quality_ = std::make_unique<QualityController>(qualityLadder(user), streamFps_ / every,
                                                     options_.qualityPolicy);
    lowered.emplace(*pipeline_, user, quality_->level());
  } else {
    quality_.reset();
  }
  LabelledFrame out;
  out.result = pipeline_->processStream(frame.image, stream_.source, frame.index);
  out.result.timestampMs = frame.timestampMs;
  if (options_.smooth) tracker_.update(out.result);
  timeline_.add(out.result);  // the smoothed probabilities, as recorded
  out.annotated = frame.image.clone();
  annotate(out.annotated, out.result, options_.annotate);
  out.ms = msSince(start);
  if (writer_) {
    if (options_.writeVideo) {
      // A live source reopened at another resolution: the video so far is closed (a video
      // has one frame size) and the frames go on in a new one.
      if (videoOpen_ && out.annotated.size() != videoSize_) closeVideo();
      if (!videoOpen_) {
        videoPath_ = writer_->openVideo(videoName_, streamFps_ / every, out.annotated.size(),
                                        videoMirror_);
        videoOpen_ = true;
        videoSize_ = out.annotated.size();
        stream_.videoPath = videoPath_;
      }
      writer_->writeVideoFrame(out.annotated);
    }
    writer_->append(out.result);
  }
  ++stream_.framesLabelled;
  stream_.faces += static_cast<long long>(out.result.faces.size());
  if (callback_) callback_(out.result, out.annotated);
  if (quality_) {
    lowered.reset();
    const double measured = msSince(start);
    quality_->record(options_.frameCost ? options_.frameCost(frame.index, measured) : measured);
  }
  if (labelled) *labelled = std::move(out);
  return true;
}

void LabelSession::closeVideo() {
  if (!videoOpen_) return;
  videoOpen_ = false;
  videoPath_.clear();
  writer_->closeVideo();
}

StreamSummary LabelSession::endStream() {
  streaming_ = false;
  closeVideo();
  if (writer_ && options_.writeTimeline && stream_.framesLabelled > 0) {
    TimelineDrawOptions draw;
    // A file by its name; a camera or stream by its (redacted) location.
    std::error_code ec;
    draw.title = std::filesystem::is_regular_file(stream_.source, ec)
                     ? std::filesystem::path(stream_.source).filename().string()
                     : stream_.source;
    stream_.timelinePath = writer_->writeTimeline(videoName_, drawTimeline(timeline_, draw),
                                                  videoMirror_);
    spdlog::debug("timeline of '{}' ({} tracks): {}", stream_.source, timeline_.tracksSeen(),
                  stream_.timelinePath);
  }
  if (writer_ && stream_.framesLabelled > 0) writer_->markDone(stream_.source);
  return stream_;
}

void LabelSession::abortStream() noexcept {
  streaming_ = false;
  if (videoOpen_) {
    videoOpen_ = false;
    writer_->discardVideo();
  }
  stream_.videoPath.clear();
  stream_.timelinePath.clear();
}

StreamSummary LabelSession::labelSource(FrameSource& source, const std::string& mirrorAs) {
  beginStream(source.name(), source.fps());
  videoMirror_ = mirrorAs;
  try {
    Frame frame;
    while (true) {
      if (!source.next(frame, std::chrono::milliseconds(1000))) {
        if (source.state() == FrameSource::State::Running) continue;
        break;
      }
      labelFrame(frame);
    }
    if (source.state() == FrameSource::State::Failed) throw InputError(source.error());
    if (stream_.framesLabelled == 0)
      throw InputError("video '" + source.name() + "' has no readable frames");
  } catch (...) {
    abortStream();  // an unfinished labelled video never gets its final name
    throw;
  }
  StreamSummary summary = endStream();
  summary.declaredFrames = source.declaredFrames();
  // The container's count tells a video that ends early (corrupt or cut) from a whole one.
  if (summary.declaredFrames > 0 && summary.framesRead > 0 &&
      summary.framesRead < static_cast<long long>(summary.declaredFrames)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", summary.declaredFrames);
    summary.warning = "video '" + source.name() + "': only " + std::to_string(summary.framesRead) +
                      " of its " + buf +
                      " frames could be read (the others are corrupt or missing)";
  }
  return summary;
}

StreamSummary LabelSession::labelVideo(const std::string& path, const std::string& mirrorAs) {
  FrameSource::Options options;
  options.queueSize = 4;  // a file: every frame is labelled, none is dropped
  options.dropOldest = false;
  FrameSource source(openVideoProvider(path), options);
  return labelSource(source, mirrorAs);
}

}  // namespace microfer
