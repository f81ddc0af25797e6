#include "microfer/capture/frame_source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <opencv2/videoio.hpp>

#include "microfer/capture/image_io.hpp"

namespace microfer {

namespace {
class CaptureProvider : public FrameProvider {
 public:
  CaptureProvider(cv::VideoCapture cap, std::string name, bool file)
      : cap_(std::move(cap)), name_(std::move(name)), file_(file) {}
  bool read(cv::Mat& frame) override { return cap_.read(frame) && !frame.empty(); }
  bool isFile() const override { return file_; }
  double fps() const override {
    const double f = cap_.get(cv::CAP_PROP_FPS);
    return f > 0 && f < 1000 ? f : 0;
  }
  double frameCount() const override {
    const double n = file_ ? cap_.get(cv::CAP_PROP_FRAME_COUNT) : 0;
    return n > 0 ? n : 0;
  }
  std::string name() const override { return name_; }

 private:
  mutable cv::VideoCapture cap_;
  std::string name_;
  bool file_;
};

/// A network stream or GStreamer pipeline, reopened on demand.
class StreamProvider : public FrameProvider {
 public:
  StreamProvider(std::string location, const StreamOptions& options)
      : location_(std::move(location)),
        name_(redactStreamLocation(location_)),
        gstreamer_(location_.find(" ! ") != std::string::npos),
        options_(options) {
    if (gstreamer_ && location_.find("appsink") == std::string::npos)
      location_ += " ! videoconvert ! appsink";
    if (!open())
      throw InputError("cannot open stream '" + name_ + "': " +
                       (gstreamer_ ? "the GStreamer pipeline did not start (check its elements)"
                                   : "no answer, refused, or not a video stream (waited up to " +
                                         std::to_string(options_.openTimeoutMs / 1000) + " s)"));
  }
  bool read(cv::Mat& frame) override {
    try {
      return cap_.isOpened() && cap_.read(frame) && !frame.empty();
    } catch (const cv::Exception&) {
      return false;
    }
  }
  bool isFile() const override { return false; }
  double fps() const override {
    const double f = cap_.isOpened() ? cap_.get(cv::CAP_PROP_FPS) : 0;
    return f > 0 && f < 1000 ? f : 0;
  }
  double frameCount() const override {
    const double n = cap_.isOpened() ? cap_.get(cv::CAP_PROP_FRAME_COUNT) : 0;
    return n > 0 && std::isfinite(n) ? n : 0;
  }
  std::string name() const override { return name_; }
  bool canReconnect() const override { return true; }
  bool reconnect() override {
    cap_.release();
    return open();
  }

 private:
  bool open() {
    try {
      if (gstreamer_)
        cap_.open(location_, cv::CAP_GSTREAMER);
      else
        cap_.open(location_, cv::CAP_FFMPEG,
                  {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, options_.openTimeoutMs,
                   cv::CAP_PROP_READ_TIMEOUT_MSEC, options_.readTimeoutMs});
    } catch (const cv::Exception&) {
      return false;
    }
    return cap_.isOpened();
  }
  std::string location_, name_;
  bool gstreamer_;
  StreamOptions options_;
  mutable cv::VideoCapture cap_;
};
}  // namespace

bool isStreamLocation(const std::string& location) {
  const size_t scheme = location.find("://");
  if (scheme != std::string::npos && scheme > 0 &&
      std::all_of(location.begin(), location.begin() + scheme, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      }))
    return true;
  return location.find(" ! ") != std::string::npos;
}

std::string redactStreamLocation(const std::string& location) {
  std::string out = location;
  auto tokenEnd = [&out](size_t from) {
    const size_t end = out.find_first_of(" \t\"'", from);
    return end == std::string::npos ? out.size() : end;
  };
  // "scheme://user:password@host/...": a URL, or a URL inside a GStreamer pipeline. The user
  // part ends at the last '@' before the first '/' after its first '@' (so that an unescaped
  // '/' in a password still counts as the password's); a URL with an '@' in its path loses
  // part of its shown name, never a password.
  for (size_t from = 0, pos; (pos = out.find("://", from)) != std::string::npos;) {
    const size_t host = pos + 3, end = tokenEnd(host);
    const size_t firstAt = out.find('@', host);
    if (firstAt != std::string::npos && firstAt < end) {
      size_t limit = out.find('/', firstAt);
      if (limit == std::string::npos || limit > end) limit = end;
      const size_t at = out.rfind('@', limit - 1);
      out.erase(host, at + 1 - host);
    }
    from = host;
  }
  // Credentials given as parameters: "?user=admin&pwd=x" (cheap IP cameras) or GStreamer's
  // "user-id=admin user-pw=x".
  std::string lower = out;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* key : {"user", "username", "user-id", "pass", "passwd", "password", "pwd",
                          "user-pw", "token", "key", "auth"}) {
    const std::string k = std::string(key) + "=";
    for (size_t pos = 0; (pos = lower.find(k, pos)) != std::string::npos;) {
      const bool starts = pos == 0 || std::string("?&; \t").find(lower[pos - 1]) != std::string::npos;
      const size_t value = pos + k.size();
      if (!starts) {
        pos = value;
        continue;
      }
      size_t end = lower.find_first_of("& \t\"'", value);
      if (end == std::string::npos) end = lower.size();
      out.replace(value, end - value, "***");
      lower.replace(value, end - value, "***");
      pos = value + 3;
    }
  }
  return out;
}

std::unique_ptr<FrameProvider> openStreamProvider(const std::string& location,
                                                  const StreamOptions& options) {
  return std::make_unique<StreamProvider>(location, options);
}

std::unique_ptr<FrameProvider> openCameraProvider(int index) {
  cv::VideoCapture cap;
  try {
    cap.open(index);
  } catch (const cv::Exception&) {
  }
  if (!cap.isOpened())
    throw InputError("no camera at index " + std::to_string(index) +
                     " (is one connected, and is it free and readable by this user?)");
  return std::make_unique<CaptureProvider>(std::move(cap), "camera:" + std::to_string(index),
                                           false);
}

std::unique_ptr<FrameProvider> openVideoProvider(const std::string& path) {
  cv::VideoCapture cap;
  try {
    cap.open(path);
  } catch (const cv::Exception&) {
  }
  if (!cap.isOpened())
    throw InputError("cannot open video '" + path + "': missing, unreadable or not a video");
  return std::make_unique<CaptureProvider>(std::move(cap), path, true);
}

FrameSource::FrameSource(std::unique_ptr<FrameProvider> provider, const Options& options)
    : provider_(std::move(provider)),
      fps_(provider_->fps()),
      declaredFrames_(provider_->frameCount()),
      name_(provider_->name()),
      options_(options) {
  if (options_.queueSize == 0) options_.queueSize = 1;
  thread_ = std::thread([this] { run(); });
}

FrameSource::~FrameSource() {
  stop();
}

void FrameSource::stop() {
  {
    // Under the lock: set between the capture thread's check of the flag and its wait, the
    // wake-up would be lost and join() would hang.
    std::lock_guard<std::mutex> lock(mutex_);
    stopRequested_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string FrameSource::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

std::string FrameSource::notice() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return notice_;
}

bool FrameSource::reconnect(int attempt) {
  if (attempt > options_.maxReconnects) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = name_ + ": stream lost (no frame after " + std::to_string(options_.maxReconnects) +
             " reconnection attempts)";
    notice_.clear();
    state_ = State::Failed;
    return false;
  }
  auto delay = options_.reconnectDelay;
  for (int i = 1; i < attempt; ++i) delay = std::min(delay * 2, std::chrono::milliseconds(8000));
  {
    std::unique_lock<std::mutex> lock(mutex_);
    notice_ = "no frames from " + name_ + ": reconnecting (attempt " + std::to_string(attempt) +
              " of " + std::to_string(options_.maxReconnects) + ")";
    // Wait, but wake at once for stop().
    if (changed_.wait_for(lock, delay, [this] { return stopRequested_.load(); })) return false;
  }
  ++reconnects_;
  try {
    provider_->reconnect();  // a failure shows as the next read failing
  } catch (const std::exception&) {
  }
  return true;
}

bool FrameSource::next(Frame& frame, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout,
                    [&] { return !queue_.empty() || state_.load() != State::Running; });
  if (queue_.empty()) return false;
  frame = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return true;
}

void FrameSource::run() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration<double>(fps_ > 0 ? 1.0 / fps_ : 1.0 / 30);
  auto due = Clock::now();
  long long index = 0;
  Clock::time_point first;
  int failures = 0, attempts = 0;
  while (!stopRequested_) {
    cv::Mat image;
    bool ok = false;
    try {
      ok = provider_->read(image);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = name_ + ": " + e.what();
      state_ = State::Failed;
      break;
    }
    if (!ok) {
      if (provider_->isFile()) break;
      // A stream that declared its length (a file served over HTTP) has ended; a live one
      // is reopened.
      if (provider_->canReconnect() && declaredFrames_ <= 0) {
        if (!reconnect(++attempts)) break;
        continue;
      }
      if (provider_->canReconnect()) break;
      if (++failures >= options_.maxConsecutiveFailures) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = name_ + ": camera lost (no frame after " + std::to_string(failures) + " tries)";
        state_ = State::Failed;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    failures = 0;
    if (attempts > 0) {
      attempts = 0;
      std::lock_guard<std::mutex> lock(mutex_);
      notice_.clear();
    }
    if (options_.realTime && provider_->isFile()) {
      due += std::chrono::duration_cast<Clock::duration>(period);
      std::this_thread::sleep_until(due);
    }
    const auto now = Clock::now();
    if (index == 0) first = now;
    const double timestampMs =
        provider_->isFile() ? index * 1000.0 / (fps_ > 0 ? fps_ : 25.0)
                            : std::chrono::duration<double, std::milli>(now - first).count();
    Frame f{std::move(image), index++, now, timestampMs};
    ++captured_;
    std::unique_lock<std::mutex> lock(mutex_);
    if (options_.dropOldest) {
      while (queue_.size() >= options_.queueSize) {
        queue_.pop_front();
        ++dropped_;
      }
    } else {
      changed_.wait(lock, [&] { return queue_.size() < options_.queueSize || stopRequested_; });
      if (stopRequested_) break;
    }
    queue_.push_back(std::move(f));
    lock.unlock();
    changed_.notify_all();
  }
  {
    // Under the lock, so that a waiting next() cannot miss the change.
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::Running) state_ = State::Finished;
  }
  changed_.notify_all();
}

}  // namespace microfer
