// Live network streams and GStreamer pipelines: locations, reconnection, a real-time source.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
using namespace std::chrono_literals;

TEST(Streams, LocationsAreRecognisedAndCredentialsNeverShown) {
  EXPECT_TRUE(isStreamLocation("rtsp://192.168.1.20:554/stream1"));
  EXPECT_TRUE(isStreamLocation("http://cam.local/video.mjpg"));
  EXPECT_TRUE(isStreamLocation("videotestsrc ! videoconvert ! appsink"));
  EXPECT_FALSE(isStreamLocation("clip.mp4"));
  EXPECT_FALSE(isStreamLocation("/home/me/a://b.avi"));  // a path, not a scheme
  EXPECT_FALSE(isStreamLocation("://nothing"));
  EXPECT_EQ(redactStreamLocation("rtsp://admin:secret@10.0.0.5:554/live?x=1"),
            "rtsp://10.0.0.5:554/live?x=1");
  EXPECT_EQ(redactStreamLocation("rtsp://10.0.0.5/live"), "rtsp://10.0.0.5/live");
  // An unescaped '/' in the password, a URL inside a GStreamer pipeline, parameters.
  EXPECT_EQ(redactStreamLocation("rtsp://admin:pa/ss@cam/live"), "rtsp://cam/live");
  EXPECT_EQ(redactStreamLocation("rtspsrc location=rtsp://admin:pw@cam/live ! decodebin"),
            "rtspsrc location=rtsp://cam/live ! decodebin");
  EXPECT_EQ(redactStreamLocation("rtspsrc location=rtsp://cam/live user-id=admin user-pw=pw ! "
                                 "decodebin"),
            "rtspsrc location=rtsp://cam/live user-id=*** user-pw=*** ! decodebin");
  EXPECT_EQ(redactStreamLocation("http://cam/videostream.cgi?user=admin&PWD=secret&res=1"),
            "http://cam/videostream.cgi?user=***&PWD=***&res=1");
  EXPECT_EQ(redactStreamLocation("http://cam/video?monkey=1"), "http://cam/video?monkey=1");
}

TEST(Streams, UnreachableStreamIsAClearErrorWithoutTheCredentials) {
  StreamOptions o;
  o.openTimeoutMs = 2000;
  o.readTimeoutMs = 2000;
  const auto start = std::chrono::steady_clock::now();
  try {
    openStreamProvider("rtsp://viewer:hunter2@127.0.0.1:9/live", o);  // port 9: refused
    FAIL() << "opened a stream on a closed port";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot open stream 'rtsp://127.0.0.1:9/live'"), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
}

// A stream that drops after `burst` frames each time it is (re)opened; the first `refusals`
// reopenings fail, as a camera rebooting would.
class DroppingStream : public FrameProvider {
 public:
  DroppingStream(int burst, int refusals, int maxOpens)
      : burst_(burst), refusals_(refusals), maxOpens_(maxOpens) {}
  bool read(cv::Mat& frame) override {
    if (!open_ || servedThisOpen_ >= burst_) return false;
    ++servedThisOpen_;
    frame = cv::Mat(8, 8, CV_8UC3, cv::Scalar(served_++ % 250));
    return true;
  }
  bool isFile() const override { return false; }
  double fps() const override { return 30; }
  std::string name() const override { return "dropping"; }
  bool canReconnect() const override { return true; }
  bool reconnect() override {
    ++reopenings_;
    open_ = false;
    if (refusals_ > 0) {
      --refusals_;
      return false;
    }
    if (opens_ >= maxOpens_) return false;  // gone for good
    ++opens_;
    open_ = true;
    servedThisOpen_ = 0;
    return true;
  }
  int reopenings_ = 0;

 private:
  int burst_, refusals_, maxOpens_;
  int servedThisOpen_ = 0, served_ = 0, opens_ = 0;
  bool open_ = true;
};

TEST(Streams, ADroppedStreamIsReopenedAndItsFramesContinue) {
  FrameSource::Options o;
  o.queueSize = 100;
  o.dropOldest = false;
  o.maxReconnects = 3;
  o.reconnectDelay = 10ms;
  // 4 frames, drop, one refused reopening, 4 frames, drop, 4 frames, then gone.
  FrameSource src(std::make_unique<DroppingStream>(4, 1, 2), o);
  Frame f;
  long long expected = 0;
  bool sawNotice = false;
  while (true) {
    if (!src.notice().empty()) {
      sawNotice = true;
      EXPECT_NE(src.notice().find("reconnecting (attempt"), std::string::npos) << src.notice();
    }
    if (!src.next(f, 5ms)) {
      if (src.state() != FrameSource::State::Running) break;
      continue;
    }
    EXPECT_EQ(f.index, expected++);  // indices continue across reconnections
  }
  EXPECT_EQ(expected, 12);
  EXPECT_TRUE(sawNotice);
  EXPECT_EQ(src.state(), FrameSource::State::Failed);
  EXPECT_NE(src.error().find("stream lost (no frame after 3 reconnection attempts)"),
            std::string::npos)
      << src.error();
  EXPECT_EQ(src.reconnects(), 3 + 3);  // 1 refused + 2 good, then 3 that fail
  EXPECT_TRUE(src.notice().empty());
}

TEST(Streams, StopDuringAReconnectionWaitReturnsAtOnce) {
  FrameSource::Options o;
  o.maxReconnects = 5;
  o.reconnectDelay = 5000ms;
  auto src = std::make_unique<FrameSource>(std::make_unique<DroppingStream>(0, 100, 0), o);
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(src->notice().empty());
  const auto start = std::chrono::steady_clock::now();
  src->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// A real live source: GStreamer's test pattern at 30 FPS, which ends after 20 frames each
// time it starts, so that the source must reopen it (as a dropped network stream).
TEST(Streams, RealTimeGStreamerSourceIsReadAndReopenedWhenItEnds) {
  if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER))
    GTEST_SKIP() << "this OpenCV has no GStreamer backend";
  const std::string pipeline =
      "videotestsrc is-live=true num-buffers=20 pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=30/1";
  std::unique_ptr<FrameProvider> provider;
  try {
    provider = openStreamProvider(pipeline);
  } catch (const InputError& e) {
    GTEST_SKIP() << "GStreamer's videotestsrc is not installed (gstreamer1.0-plugins-base): "
                 << e.what();
  }
  FrameSource::Options o;  // live: one-frame queue, newest wins
  o.reconnectDelay = 20ms;
  FrameSource src(std::move(provider), o);
  Frame f;
  int got = 0;
  long long lastIndex = -1;
  double firstMs = -1, lastMs = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (got < 45 && std::chrono::steady_clock::now() < deadline) {
    if (!src.next(f, 200ms)) {
      ASSERT_EQ(src.state(), FrameSource::State::Running) << src.error();
      continue;
    }
    EXPECT_GT(f.index, lastIndex);
    lastIndex = f.index;
    EXPECT_EQ(f.image.size(), cv::Size(160, 120));
    EXPECT_EQ(f.image.type(), CV_8UC3);
    if (firstMs < 0) firstMs = f.timestampMs;
    lastMs = f.timestampMs;
    ++got;
  }
  EXPECT_EQ(got, 45);
  EXPECT_GE(src.reconnects(), 2);  // 45 frames need at least three runs of 20
  // Paced by the source, not read as fast as possible: 45 frames at 30 FPS take ~1.5 s.
  EXPECT_GT(lastMs - firstMs, 1000.0);
}

int runCli(const std::string& args, const std::filesystem::path& dir) {
  const std::string cmd = std::string(MICROFER_CLI) + " " + args + " >" +
                          (dir / "stdout.txt").string() + " 2>" + (dir / "stderr.txt").string();
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Streams, LabelStreamUrlLabelsALiveSourceForItsDuration) {
  if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER))
    GTEST_SKIP() << "this OpenCV has no GStreamer backend";
  const auto dir = test::tempDir("stream-cli");
  const std::string out = (dir / "out").string();
  // 15 FPS for 3 s, in runs of 20 frames: the CLI reopens it twice or more.
  const int rc = runCli("label --stream-url 'videotestsrc is-live=true num-buffers=20 ! "
                        "video/x-raw,width=320,height=240,framerate=15/1' --duration 3 --out '" +
                            out + "'",
                        dir);
  const std::string err = test::slurp(dir / "stderr.txt");
  if (err.find("cannot open stream") != std::string::npos)
    GTEST_SKIP() << "GStreamer's videotestsrc is not installed: " << err;
  ASSERT_EQ(rc, 0) << err << test::slurp(dir / "stdout.txt");
  EXPECT_NE(err.find("reconnecting (attempt 1 of 5)"), std::string::npos) << err;
  const std::string said = test::slurp(dir / "stdout.txt");
  EXPECT_NE(said.find("frames labelled"), std::string::npos) << said;
  // One JSONL record per labelled frame, a labelled video of those frames.
  const auto records = test::lines(std::filesystem::path(out) / "results.jsonl");
  EXPECT_GE(records.size(), 25u);  // ~45 frames come in 3 s, less the reopening gaps
  EXPECT_LE(records.size(), 50u);
  cv::VideoCapture video((std::filesystem::path(out) / "stream_labelled.avi").string());
  ASSERT_TRUE(video.isOpened());
  EXPECT_EQ(static_cast<size_t>(video.get(cv::CAP_PROP_FRAME_COUNT)), records.size());
}

TEST(Streams, LabelStreamUrlThatCannotOpenFailsWithoutShowingThePassword) {
  const auto dir = test::tempDir("stream-cli-refused");
  const std::string out = (dir / "out").string();
  const int rc = runCli(
      "label --stream-url rtsp://viewer:hunter2@127.0.0.1:9/live --out '" + out + "'", dir);
  EXPECT_EQ(rc, 1);
  const std::string err = test::slurp(dir / "stderr.txt");
  EXPECT_NE(err.find("failed cannot open stream 'rtsp://127.0.0.1:9/live'"), std::string::npos)
      << err;
  for (const auto* name : {"stdout.txt", "stderr.txt"})
    EXPECT_EQ(test::slurp(dir / name).find("hunter2"), std::string::npos) << name;
  EXPECT_EQ(test::runRecords(out).dump().find("hunter2"), std::string::npos);
  EXPECT_EQ(test::runRecords(out).size(), 1u);
  EXPECT_EQ(runCli("label --duration 3 x.jpg", dir), 2);  // --duration needs --stream-url
  EXPECT_EQ(runCli("label --stream-url clip.mp4", dir), 2);  // a file is not a stream
}

}  // namespace
}  // namespace microfer
