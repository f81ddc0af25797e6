#include "microfer/pipeline/stream_run.hpp"

#include <utility>

namespace microfer {

StreamRun::StreamRun(LabelSession& session, std::unique_ptr<FrameProvider> provider,
                     const StreamRunOptions& options)
    : session_(session),
      source_(std::make_unique<FrameSource>(std::move(provider), options.source)),
      name_(options.name.empty() ? source_->name() : options.name),
      seconds_(options.seconds) {
  session_.beginStream(name_, source_->fps(), options.videoName);
  start_ = std::chrono::steady_clock::now();
}

StreamRun::~StreamRun() {
  abort();
}

StreamRun::Step StreamRun::step(std::chrono::milliseconds timeout, LabelledFrame* labelled) {
  if (ended_) return Step::Stopped;
  if ((stop_ && stop_()) || (seconds_ > 0 && std::chrono::steady_clock::now() - start_ >=
                                                 std::chrono::duration<double>(seconds_)))
    return Step::Stopped;
  Frame frame;
  const bool got = source_->next(frame, timeout);
  // The notice is read after next(): a notice that went because the source ended or was
  // lost is not "frames again".
  if (std::string now = source_->notice(); now != lastNotice_) {
    lastNotice_ = std::move(now);
    if (notice_)
      notice_(lastNotice_, lastNotice_.empty() && source_->state() == FrameSource::State::Running);
  }
  if (!got) {
    const FrameSource::State state = source_->state();
    if (state == FrameSource::State::Running) return Step::Waiting;
    return state == FrameSource::State::Failed ? Step::Lost : Step::Ended;
  }
  if (!session_.labelFrame(frame, labelled)) return Step::Skipped;
  ++labelled_;
  return Step::Labelled;
}

StreamSummary StreamRun::finish() {
  if (ended_) return summary_;
  ended_ = true;
  source_->stop();
  summary_ = session_.endStream();
  return summary_;
}

void StreamRun::abort() noexcept {
  if (ended_) return;
  ended_ = true;
  source_->stop();
  session_.abortStream();
}

}  // namespace microfer
