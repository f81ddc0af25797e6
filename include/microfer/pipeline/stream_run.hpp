// StreamRun: the one pull loop of a live source (microfer-cli label --stream-url, the app's
// camera, stream and video views): one step() takes the next frame from the FrameSource and
// labels it through a LabelSession, reporting the source's notices as they change; finish()
// ends with the session's StreamSummary, abort() (or the destructor) with no labelled video
// left behind. A front end decides where the frames come from, how often to step (a while
// loop, a Qt timer) and what to show, nothing else.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "microfer/capture/frame_source.hpp"
#include "microfer/pipeline/label_session.hpp"

namespace microfer {

struct StreamRunOptions {
  /// The capture queue; the default is live: one frame, the newest wins. A file read to the
  /// end wants a longer queue without dropOldest.
  FrameSource::Options source;
  std::string name;       ///< the stream's name in its records ("": the provider's name)
  std::string videoName;  ///< what the labelled video is named after ("": the name)
  /// > 0: step() returns Stopped once this many seconds have passed since the run began.
  double seconds = 0;
};

/// Not thread-safe: step(), finish() and abort() on one thread. The LabelSession must
/// outlive the run.
class StreamRun {
 public:
  /// What one step() did.
  enum class Step {
    Labelled,  ///< a frame came and was labelled
    Skipped,   ///< a frame came and LabelOptions::every left it out
    Waiting,   ///< no frame within the timeout; the source runs on (slow or reconnecting)
    Ended,     ///< the source ended (a file's last frame, a stream that closed)
    Lost,      ///< the source failed (FrameSource::State::Failed); error() says why
    Stopped,   ///< the stop check or StreamRunOptions::seconds ended it
  };
  /// True for the steps after which there is nothing more to pull: call finish() (or abort()).
  static bool over(Step step) {
    return step == Step::Ended || step == Step::Lost || step == Step::Stopped;
  }

  /// `notice`: the source's new notice (FrameSource::notice: "no frames from x:
  /// reconnecting (attempt 2 of 5)"), empty when it went; `framesAgain`: it went because
  /// frames come again (not because the source ended or was lost).
  using NoticeCallback = std::function<void(const std::string& notice, bool framesAgain)>;

  /// Starts the capture thread over `provider` and begins the stream on `session`
  /// (LabelSession::beginStream with the name, the source's fps and the video name).
  StreamRun(LabelSession& session, std::unique_ptr<FrameProvider> provider,
            const StreamRunOptions& options = {});
  /// A run neither finished nor aborted is aborted: no unfinished labelled video stays.
  ~StreamRun();
  StreamRun(const StreamRun&) = delete;
  StreamRun& operator=(const StreamRun&) = delete;

  /// Called from step(), once per change of the source's notice.
  void onNotice(NoticeCallback callback) { notice_ = std::move(callback); }
  /// Checked at the start of each step(); true ends the run there (Step::Stopped).
  void stopWhen(std::function<bool()> check) { stop_ = std::move(check); }

  /// Waits up to `timeout` for the next frame and labels it (`labelled`, if given, receives
  /// it on Step::Labelled). An exception from labelling comes out as it is and leaves the
  /// stream open: the caller ends it, with finish() to keep what was written or abort().
  Step step(std::chrono::milliseconds timeout, LabelledFrame* labelled = nullptr);

  /// Stops the capture thread and ends the stream (LabelSession::endStream, which may
  /// throw). Idempotent after the first call.
  StreamSummary finish();
  /// Stops the capture thread and ends the stream after an error (LabelSession::abortStream:
  /// the unfinished video is removed). No-throw.
  void abort() noexcept;

  const FrameSource& source() const { return *source_; }
  const std::string& name() const { return name_; }
  /// Why the source failed (Step::Lost); empty otherwise.
  std::string error() const { return source_->error(); }
  long long framesLabelled() const { return labelled_; }

 private:
  LabelSession& session_;
  std::unique_ptr<FrameSource> source_;
  std::string name_;
  double seconds_;
  std::chrono::steady_clock::time_point start_;
  std::string lastNotice_;
  NoticeCallback notice_;
  std::function<bool()> stop_;
  long long labelled_ = 0;
  bool ended_ = false;
  StreamSummary summary_;
};

}  // namespace microfer
