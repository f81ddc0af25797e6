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
  /// Live sources that can be opened again after they fail (network streams): true, and
  /// reconnect() closes and reopens them. Cameras and files: false.
  virtual bool canReconnect() const { return false; }
  /// Closes and reopens the source; false when it could not be opened (yet).
  virtual bool reconnect() { return false; }
};

/// Opens OpenCV VideoCapture providers; throw InputError with a clear message
/// ("no camera at index 3", "cannot open video 'x.mp4'").
std::unique_ptr<FrameProvider> openCameraProvider(int index);
std::unique_ptr<FrameProvider> openVideoProvider(const std::string& path);

/// How long a network stream may take (FFmpeg backend; a GStreamer pipeline has its own).
struct StreamOptions {
  int openTimeoutMs = 10000;  ///< opening (and each reopening) gives up after this
  int readTimeoutMs = 5000;   ///< a frame that takes longer fails the read: a stalled stream
};
/// True for what openStreamProvider takes: a URL ("scheme://...") or a GStreamer pipeline
/// (elements joined by " ! ").
bool isStreamLocation(const std::string& location);
/// A live network stream or GStreamer pipeline. A URL (rtsp://, http(s)://, rtmp://, udp://,
/// tcp://, ...) is read through OpenCV's FFmpeg backend with `options`' time limits; a
/// pipeline through its GStreamer backend (" ! videoconvert ! appsink" is added when it has
/// no appsink). It can reconnect (FrameSource reopens it when it stalls or drops). Throws
/// InputError "cannot open stream '...'" (credentials in the URL are not shown).
std::unique_ptr<FrameProvider> openStreamProvider(const std::string& location,
                                                  const StreamOptions& options = {});
/// The location as shown and recorded: a URL without its user name and password
/// ("rtsp://user:secret@cam/live" -> "rtsp://cam/live"); anything else unchanged.
std::string redactStreamLocation(const std::string& location);

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
    /// Reconnectable sources (streams): a failed read reopens the source, up to this many
    /// times in a row, waiting reconnectDelay, then twice as long each time (at most 8 s);
    /// then the source has failed ("stream lost"). A frame read resets the count.
    int maxReconnects = 5;
    std::chrono::milliseconds reconnectDelay{500};
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
  /// While a stream is being reopened: "no frames from <name>: reconnecting (attempt 2 of
  /// 5)"; empty while frames come. For a status bar or a log line.
  std::string notice() const;
  long long reconnects() const { return reconnects_.load(); }  ///< reopenings so far
  long long framesCaptured() const { return captured_.load(); }
  long long framesDropped() const { return dropped_.load(); }
  double fps() const { return fps_; }
  double declaredFrames() const { return declaredFrames_; }  ///< FrameProvider::frameCount()
  const std::string& name() const { return name_; }

 private:
  void run();
  /// Reopens a reconnectable provider after `attempt` failed reads in a row; false when the
  /// source is lost (or stop() was asked) and run() must end.
  bool reconnect(int attempt);
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
  std::string error_, notice_;
  std::atomic<long long> captured_{0}, dropped_{0}, reconnects_{0};
};

}  // namespace microfer
