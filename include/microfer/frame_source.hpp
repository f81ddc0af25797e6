// Frame capture in its own thread with a bounded hand-over queue (camera or video file).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <string>
#include <thread>

namespace microfer {

/// Where frames come from. read() is only ever called from the capture thread; FrameSource
/// asks fps(), frameCount() and name() once, before that thread starts (a cv::VideoCapture must not be
/// queried while another thread reads from it).
class FrameProvider {
 public:
  virtual ~FrameProvider() = default;
  /// Next frame into `frame`; false when no frame could be read.
  virtual bool read(cv::Mat& frame) = 0;
  /// True for files: a failed read means the end; false for cameras: a failed read is
  /// retried a few times, then reported as "camera lost".
  virtual bool isFile() const = 0;
  virtual double fps() const = 0;  ///< 0 if unknown
  /// Files: the frame count the container declares (0 if unknown); to tell a file that ends
  /// early (corrupt or cut) from a whole one.
  virtual double frameCount() const { return 0; }
  virtual std::string name() const = 0;
};

/// Opens OpenCV VideoCapture providers; throw InputError with a clear message
/// ("no camera at index 3", "cannot open video 'x.mp4'").
std::unique_ptr<FrameProvider> openCameraProvider(int index);
std::unique_ptr<FrameProvider> openVideoProvider(const std::string& path);

struct Frame {
  cv::Mat image;        ///< BGR, owned by the frame
  long long index = 0;  ///< 0-based index of the frame in the source (counts dropped ones)
  std::chrono::steady_clock::time_point captured;  ///< when the capture thread got it
  /// Position in the stream, milliseconds: a file's index / fps (its frame rate, 25 where it
  /// is unknown); a live source's time since its first frame.
  double timestampMs = 0;
};

/// Runs a FrameProvider in its own thread and hands frames over through a bounded queue.
/// Live mode (dropOldest): the queue keeps the newest frames; older ones are dropped and
/// counted, so latency never grows. File mode: the capture thread waits for room, so no
/// frame is lost. Non-copyable; the destructor stops and joins the thread.
class FrameSource {
 public:
  enum class State { Running, Finished, Failed };
  struct Options {
    size_t queueSize = 1;
    bool dropOldest = true;
    int maxConsecutiveFailures = 10;  ///< cameras: failed reads before "camera lost"
    /// Files: pace reads at the file's frame rate (as a live feed would deliver them).
    bool realTime = false;
  };
  FrameSource(std::unique_ptr<FrameProvider> provider, const Options& options);
  ~FrameSource();
  FrameSource(const FrameSource&) = delete;
  FrameSource& operator=(const FrameSource&) = delete;

  /// Waits up to `timeout` for the next frame. Returns false on timeout or when the source
  /// has ended and the queue is empty (then state() is Finished or Failed).
  bool next(Frame& frame, std::chrono::milliseconds timeout);
  /// Stops the capture thread (idempotent).
  void stop();
  State state() const { return state_.load(); }
  std::string error() const;  ///< why the source failed (State::Failed)
  long long framesCaptured() const { return captured_.load(); }
  long long framesDropped() const { return dropped_.load(); }
  double fps() const { return fps_; }
  double declaredFrames() const { return declaredFrames_; }  ///< FrameProvider::frameCount()
  const std::string& name() const { return name_; }

 private:
  void run();
  std::unique_ptr<FrameProvider> provider_;  ///< used by the capture thread only
  const double fps_;
  const double declaredFrames_;
  const std::string name_;
  Options options_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Frame> queue_;
  std::atomic<bool> stopRequested_{false};
  std::atomic<State> state_{State::Running};
  std::string error_;
  std::atomic<long long> captured_{0}, dropped_{0};
};

}  // namespace microfer
