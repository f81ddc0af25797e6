// Capture thread and queue, tracker, results writer, and image reading of bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "microfer/detect/face_detector.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/pipeline/label_run.hpp"
#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/pipeline/stream_run.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/output/timeline.hpp"
#include "microfer/pipeline/tracker.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A source that yields `good` frames and then fails (a camera unplugged mid-stream).
class ScriptedProvider : public FrameProvider {
 public:
  ScriptedProvider(int good, bool file) : good_(good), file_(file) {}
  bool read(cv::Mat& frame) override {
    if (served_ >= good_) return false;
    frame = cv::Mat(8, 8, CV_8UC3, cv::Scalar(served_++));
    return true;
  }
  bool isFile() const override { return file_; }
  double fps() const override { return 0; }
  std::string name() const override { return "scripted"; }

 private:
  int good_, served_ = 0;
  bool file_;
};

TEST(FrameSource, CameraLostMidStreamIsReportedAfterTheGoodFrames) {
  FrameSource::Options o;
  o.queueSize = 100;
  o.dropOldest = false;
  o.maxConsecutiveFailures = 3;
  FrameSource src(std::make_unique<ScriptedProvider>(5, false), o);
  Frame f;
  int got = 0;
  while (src.next(f, 2000ms)) EXPECT_EQ(f.index, got++);
  EXPECT_EQ(got, 5);
  EXPECT_EQ(src.state(), FrameSource::State::Failed);
  EXPECT_NE(src.error().find("camera lost"), std::string::npos) << src.error();
}

TEST(FrameSource, FileModeLosesNoFrame) {
  FrameSource::Options o;
  o.queueSize = 2;
  o.dropOldest = false;
  FrameSource src(std::make_unique<ScriptedProvider>(50, true), o);
  Frame f;
  int got = 0;
  while (src.next(f, 2000ms)) {
    EXPECT_EQ(f.index, got++);
    std::this_thread::sleep_for(1ms);  // a slow consumer
  }
  EXPECT_EQ(got, 50);
  EXPECT_EQ(src.framesDropped(), 0);
  EXPECT_EQ(src.state(), FrameSource::State::Finished);
}

TEST(FrameSource, LiveModeKeepsOnlyTheNewestFrame) {
  FrameSource::Options o;
  o.queueSize = 1;
  o.dropOldest = true;
  FrameSource src(std::make_unique<ScriptedProvider>(200, true), o);
  std::this_thread::sleep_for(200ms);  // the consumer is late: frames pile up and are dropped
  Frame f;
  long long last = -1;
  int got = 0;
  while (src.next(f, 500ms)) {
    EXPECT_GT(f.index, last);
    last = f.index;
    ++got;
  }
  EXPECT_EQ(last, 199) << "the newest frame is always delivered";
  EXPECT_EQ(got + src.framesDropped(), 200);
  EXPECT_GT(src.framesDropped(), 0);
}

TEST(FrameSource, StopJoinsWhileTheProducerWaits) {
  FrameSource::Options o;
  o.queueSize = 1;
  o.dropOldest = false;
  auto src = std::make_unique<FrameSource>(std::make_unique<ScriptedProvider>(1000, true), o);
  std::this_thread::sleep_for(20ms);
  src->stop();  // must not hang although nobody consumes
  src.reset();
  SUCCEED();
}

TEST(FrameSource, StopNeverHangsWhateverTheMoment) {
  // stop() lands before, during and after the producer's wait for room (a lost wake-up
  // there would hang join(); ThreadSanitizer watches the hand-over meanwhile).
  FrameSource::Options o;
  o.queueSize = 1;
  o.dropOldest = false;
  for (int i = 0; i < 300; ++i) {
    FrameSource src(std::make_unique<ScriptedProvider>(1000, true), o);
    if (i % 3 == 1) std::this_thread::yield();
    if (i % 3 == 2) std::this_thread::sleep_for(std::chrono::microseconds(i));
    Frame f;
    if (i % 2) src.next(f, 1ms);
    src.stop();
  }
  SUCCEED();
}

TEST(FrameSource, MissingCameraAndVideoAreClearErrors) {
  EXPECT_THROW(openCameraProvider(97), InputError);
  try {
    openVideoProvider("/nonexistent/clip.mp4");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/clip.mp4"), std::string::npos);
  }
}

FrameResult oneFace(float x, int label) {
  FrameResult r;
  FaceResult f;
  f.detection.box = cv::Rect2f(x, 10, 50, 50);
  f.prediction.probs.fill(0.f);
  f.prediction.probs[label] = 1.f;
  f.prediction.label = label;
  r.faces.push_back(f);
  return r;
}

// A video file as a script: frame i is a flat picture of value i; it declares `declared`
// frames.
class ScriptedVideo : public FrameProvider {
 public:
  ScriptedVideo(int frames, double declared) : frames_(frames), declared_(declared) {}
  bool read(cv::Mat& frame) override {
    if (served_ >= frames_) return false;
    frame = cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(served_++));
    return true;
  }
  bool isFile() const override { return true; }
  double fps() const override { return 10; }
  double frameCount() const override { return declared_; }
  std::string name() const override { return "scripted.avi"; }

 private:
  int frames_, served_ = 0;
  double declared_;
};

class LabelSessionSources : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("session");
    PipelineConfig cfg;
    cfg.classifier.modelPath = test::writeRandomModel(dir, 4);
    cfg.detector.kind = DetectorKind::Haar;
    pipeline = std::make_unique<Pipeline>(cfg);
  }
  FrameSource::Options fileMode() const {
    FrameSource::Options o;
    o.queueSize = 2;
    o.dropOldest = false;
    return o;
  }
  fs::path dir;
  std::unique_ptr<Pipeline> pipeline;
};

TEST_F(LabelSessionSources, EveryFrameOnceInOrderWithItsRecordAndVideoFrame) {
  constexpr int kFrames = 12;
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  std::vector<long long> seen;
  session.onFrame([&](const FrameResult& r, const cv::Mat& annotated) {
    seen.push_back(r.frameIndex);
    EXPECT_EQ(r.source, "scripted.avi");
    EXPECT_DOUBLE_EQ(r.timestampMs, r.frameIndex * 100.0);  // 10 FPS
    // The picture labelled is the frame of that index (no face: drawn as it was).
    EXPECT_EQ(annotated.at<cv::Vec3b>(0, 0)[0], r.frameIndex);
  });
  FrameSource source(std::make_unique<ScriptedVideo>(kFrames, kFrames), fileMode());
  const StreamSummary summary = session.labelSource(source);
  std::vector<long long> expected(kFrames);
  for (int i = 0; i < kFrames; ++i) expected[i] = i;
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(summary.framesRead, kFrames);
  EXPECT_EQ(summary.framesLabelled, kFrames);
  EXPECT_TRUE(summary.warning.empty()) << summary.warning;
  EXPECT_EQ(source.framesDropped(), 0);

  const auto records = test::lines(writer.jsonlPath());
  ASSERT_EQ(records.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    const auto j = nlohmann::json::parse(records[i]);
    EXPECT_EQ(j.at("frame").get<long long>(), i);
    EXPECT_DOUBLE_EQ(j.at("timestamp_ms").get<double>(), i * 100.0);
  }
  ASSERT_FALSE(summary.videoPath.empty());
  cv::VideoCapture video(summary.videoPath);
  ASSERT_TRUE(video.isOpened()) << summary.videoPath;
  int frames = 0;
  for (cv::Mat f; video.read(f) && !f.empty();) ++frames;
  EXPECT_EQ(frames, kFrames);
}

TEST_F(LabelSessionSources, EveryNthFrameAndAShortFileIsNamed) {
  ResultsWriter writer((dir / "out").string());
  LabelOptions options;
  options.every = 3;
  LabelSession session(*pipeline, writer, options);
  std::vector<long long> seen;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) { seen.push_back(r.frameIndex); });
  // 10 frames decode of the 16 the container declares.
  FrameSource source(std::make_unique<ScriptedVideo>(10, 16), fileMode());
  const StreamSummary summary = session.labelSource(source);
  EXPECT_EQ(seen, (std::vector<long long>{0, 3, 6, 9}));
  EXPECT_EQ(summary.framesRead, 10);
  EXPECT_EQ(summary.framesLabelled, 4);
  EXPECT_EQ(summary.warning,
            "video 'scripted.avi': only 10 of its 16 frames could be read (the others are "
            "corrupt or missing)");
  EXPECT_EQ(test::lines(writer.jsonlPath()).size(), 4u);
}

TEST_F(LabelSessionSources, ALiveSourceThatChangesSizeGoesOnInANewVideo) {
  // A stream reopened at another resolution (a camera rebooted into another mode): the
  // video so far stays whole, the later frames go into a second one.
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  session.beginStream("rtsp://cam/live", 10, "stream.avi");
  std::vector<std::string> videos;
  for (int i = 0; i < 10; ++i) {
    Frame f;
    f.index = i;
    f.timestampMs = i * 100.0;
    f.image = i < 6 ? cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(i))
                    : cv::Mat(60, 80, CV_8UC3, cv::Scalar::all(i));
    ASSERT_TRUE(session.labelFrame(f));
    if (videos.empty() || videos.back() != session.videoPath())
      videos.push_back(session.videoPath());
  }
  session.endStream();
  ASSERT_EQ(videos.size(), 2u);
  const int expected[2] = {6, 4};
  const cv::Size sizes[2] = {{64, 48}, {80, 60}};
  for (size_t v = 0; v < 2; ++v) {
    cv::VideoCapture video(videos[v]);
    ASSERT_TRUE(video.isOpened()) << videos[v];
    int frames = 0;
    for (cv::Mat f; video.read(f) && !f.empty(); ++frames) EXPECT_EQ(f.size(), sizes[v]);
    EXPECT_EQ(frames, expected[v]) << videos[v];
  }
  EXPECT_EQ(test::lines(writer.jsonlPath()).size(), 10u);
}

TEST_F(LabelSessionSources, NoFrameIsAClearErrorAndLeavesNoVideo) {
  const fs::path out = dir / "out";
  ResultsWriter writer(out.string());
  LabelSession session(*pipeline, writer);
  FrameSource source(std::make_unique<ScriptedVideo>(0, 5), fileMode());
  try {
    session.labelSource(source);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'scripted.avi' has no readable frames"),
              std::string::npos)
        << e.what();
  }
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_NE(e.path().extension(), ".avi") << e.path();
}

TEST_F(LabelSessionSources, ImagesAreWrittenThenRecordedAndReported) {
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  int reported = 0;
  session.onFrame([&](const FrameResult& r, const cv::Mat&) {
    ++reported;
    EXPECT_LT(r.timestampMs, 0);  // a still image has no position in a stream
  });
  std::string written;
  const cv::Mat image(48, 64, CV_8UC3, cv::Scalar::all(7));
  session.labelImage(image, (dir / "still.png").string(), &written);
  EXPECT_EQ(reported, 1);
  EXPECT_TRUE(fs::exists(written)) << written;
  EXPECT_EQ(test::lines(writer.jsonlPath()).size(), 1u);
  // Without a writer: labelled and reported, nothing written.
  LabelSession dryRun(*pipeline);
  const LabelledFrame l = dryRun.inspectImage(image, "x.png");
  EXPECT_EQ(l.annotated.size(), image.size());
  EXPECT_EQ(test::lines(writer.jsonlPath()).size(), 1u);
}

// LabelRun, the batch loop of label, the app, bench and soak: a folder with two images, a
// file that is no image and a video, under each video policy.
class LabelRunBatch : public LabelSessionSources {
 protected:
  void SetUp() override {
    LabelSessionSources::SetUp();
    in = dir / "in";
    fs::create_directories(in);
    cv::imwrite((in / "a.png").string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(40)));
    cv::imwrite((in / "b.jpg").string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(90)));
    std::ofstream(in / "broken.jpg") << "not an image";
    cv::VideoWriter video((in / "clip.avi").string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                          10, cv::Size(64, 48));
    ASSERT_TRUE(video.isOpened());
    for (int i = 0; i < 3; ++i) video.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(20 * i)));
  }
  /// Runs the folder under `policy`; `events` gets every callback, in order.
  LabelRunTotals run(VideoPolicy policy, std::vector<std::string>& events,
                     std::function<bool()> cancel = {}) {
    LabelRunOptions options;
    options.videos = policy;
    options.skipReason = "a video here";
    LabelRun batch(expandInputs({in.string()}), options);
    ResultsWriter writer((dir / "out").string());
    LabelSession session(*pipeline, writer);
    const auto name = [](const std::string& p) { return fs::path(p).filename().string(); };
    batch.onProgress([&](size_t done, size_t total, const std::string& next) {
      events.push_back(std::to_string(done) + "/" + std::to_string(total) + " " + name(next));
    });
    batch.onLabelled([&](const LabelledInput& l) {
      EXPECT_EQ(batch.inputs().files[l.index], l.path);
      if (l.isVideo) {
        events.push_back("video " + name(l.path) + " " + std::to_string(l.video.framesLabelled));
        EXPECT_EQ(l.labelledPath, l.video.videoPath);
      } else {
        events.push_back("image " + name(l.path));
        EXPECT_EQ(l.original.size(), cv::Size(64, 48)) << l.path;
        EXPECT_EQ(l.image.result.source, l.path);
      }
      EXPECT_TRUE(fs::exists(l.labelledPath)) << l.path << " -> " << l.labelledPath;
    });
    batch.onFailed([&](const FailedInput& f) {
      events.push_back("failed " + name(f.path));
      EXPECT_EQ(batch.inputs().files[f.index], f.path);
      EXPECT_NE(f.error.find("broken.jpg"), std::string::npos) << f.error;
    });
    if (cancel) batch.cancelWhen(cancel);
    skipped = batch.inputs().skipped;
    return batch.run(session);
  }
  fs::path in;
  std::vector<std::pair<std::string, std::string>> skipped;
};

TEST_F(LabelRunBatch, VideosLabelledFailuresCountedAndNamedInInputOrder) {
  std::vector<std::string> events;
  const LabelRunTotals totals = run(VideoPolicy::Label, events);
  EXPECT_EQ(events, (std::vector<std::string>{"0/4 a.png", "image a.png", "1/4 b.jpg",
                                              "image b.jpg", "2/4 broken.jpg", "failed broken.jpg",
                                              "3/4 clip.avi", "video clip.avi 3", "4/4 "}));
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(totals.inputs, 4);
  EXPECT_EQ(totals.counts.images, 2);
  EXPECT_EQ(totals.counts.frames, 3);
  EXPECT_EQ(totals.counts.failures, 1);
  EXPECT_FALSE(totals.cancelled);
  EXPECT_EQ(test::lines(dir / "out" / "results.jsonl").size(), 5u);  // 2 images, 3 frames
}

TEST_F(LabelRunBatch, VideosSkippedWithTheReasonOrLeftOut) {
  for (const VideoPolicy policy : {VideoPolicy::Skip, VideoPolicy::ImagesOnly}) {
    const bool skip = policy == VideoPolicy::Skip;
    SCOPED_TRACE(skip ? "Skip" : "ImagesOnly");
    std::vector<std::string> events;
    const LabelRunTotals totals = run(policy, events);
    EXPECT_EQ(events,
              (std::vector<std::string>{"0/3 a.png", "image a.png", "1/3 b.jpg", "image b.jpg",
                                        "2/3 broken.jpg", "failed broken.jpg", "3/3 "}));
    if (skip) {
      ASSERT_EQ(skipped.size(), 1u);
      EXPECT_EQ(fs::path(skipped[0].first).filename(), "clip.avi");
      EXPECT_EQ(skipped[0].second, "a video here");
    } else {
      EXPECT_TRUE(skipped.empty());
    }
    EXPECT_EQ(totals.inputs, 3);
    EXPECT_EQ(totals.counts.images, 2);
    EXPECT_EQ(totals.counts.frames, 0);
    EXPECT_EQ(totals.counts.failures, 1);
  }
}

TEST_F(LabelRunBatch, CancelStopsBeforeTheNextInput) {
  std::vector<std::string> events;
  const LabelRunTotals totals = run(VideoPolicy::Label, events, [&] { return events.size() >= 2; });
  EXPECT_EQ(events, (std::vector<std::string>{"0/4 a.png", "image a.png"}));
  EXPECT_TRUE(totals.cancelled);
  EXPECT_EQ(totals.inputs, 1);
  EXPECT_EQ(totals.counts.images, 1);
  EXPECT_EQ(test::lines(dir / "out" / "results.jsonl").size(), 1u);
}

// A live stream that sends `burst` frames, one each 10 ms, then drops; it can be reopened
// `reopenings` times.
class FlakyStream : public FrameProvider {
 public:
  FlakyStream(int burst, int reopenings) : burst_(burst), reopenings_(reopenings) {}
  std::string name() const override { return "flaky"; }
  double fps() const override { return 100; }
  bool isFile() const override { return false; }
  bool canReconnect() const override { return true; }
  bool reconnect() override {
    if (reopenings_ == 0) return false;
    --reopenings_;
    left_ = burst_;
    return true;
  }
  bool read(cv::Mat& frame) override {
    if (left_ == 0) return false;
    --left_;
    std::this_thread::sleep_for(10ms);  // a live camera at 100 FPS
    frame = cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(left_));
    return true;
  }

 private:
  int burst_, reopenings_, left_ = burst_;
};

// StreamRun, the pull loop of label --stream-url and of the app's camera, stream and video.
class StreamRunLoop : public LabelSessionSources {
 protected:
  /// Steps (10 ms each at most) until the run is over; returns the last step.
  static StreamRun::Step toTheEnd(StreamRun& run) {
    StreamRun::Step step = StreamRun::Step::Waiting;
    while (!StreamRun::over(step)) step = run.step(10ms);
    return step;
  }
  /// The labelled videos in the results folder, finished or not.
  size_t videos() const {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir / "out"))
      n += e.path().filename().string().find(".avi") != std::string::npos;
    return n;
  }
};

TEST_F(StreamRunLoop, EveryFrameThenTheEndWithTheSessionsSummary) {
  constexpr int kFrames = 12;
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  StreamRunOptions options;
  options.source = fileMode();
  options.name = "clip";
  options.videoName = "stream.avi";
  StreamRun run(session, std::make_unique<ScriptedVideo>(kFrames, kFrames), options);
  int notices = 0;
  run.onNotice([&](const std::string&, bool) { ++notices; });
  std::vector<long long> labelled;
  StreamRun::Step step = StreamRun::Step::Waiting;
  while (!StreamRun::over(step)) {
    LabelledFrame frame;
    step = run.step(1000ms, &frame);
    if (step == StreamRun::Step::Labelled) labelled.push_back(frame.result.frameIndex);
  }
  EXPECT_EQ(step, StreamRun::Step::Ended);
  EXPECT_EQ(labelled.size(), static_cast<size_t>(kFrames));
  EXPECT_EQ(run.framesLabelled(), kFrames);
  EXPECT_EQ(notices, 0);
  const StreamSummary summary = run.finish();
  EXPECT_EQ(summary.source, "clip");
  EXPECT_EQ(summary.framesLabelled, kFrames);
  EXPECT_EQ(fs::path(summary.videoPath).filename(), "stream_labelled.avi");
  EXPECT_TRUE(fs::exists(summary.videoPath)) << summary.videoPath;
  EXPECT_EQ(test::lines(writer.jsonlPath()).size(), static_cast<size_t>(kFrames));
  EXPECT_EQ(run.step(10ms), StreamRun::Step::Stopped);  // nothing more after finish()
}

TEST_F(StreamRunLoop, AFailingSourceIsLostAndWhatCameBeforeIsKept) {
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  StreamRunOptions options;
  options.source = fileMode();  // a camera that never drops a frame, then is unplugged
  StreamRun run(session, std::make_unique<ScriptedProvider>(3, false), options);
  EXPECT_EQ(toTheEnd(run), StreamRun::Step::Lost);
  EXPECT_NE(run.error().find("scripted: camera lost"), std::string::npos) << run.error();
  EXPECT_EQ(run.framesLabelled(), 3);
  const StreamSummary summary = run.finish();  // as both front ends end a lost stream
  EXPECT_EQ(summary.framesLabelled, 3);
  EXPECT_TRUE(fs::exists(summary.videoPath)) << summary.videoPath;
}

TEST_F(StreamRunLoop, NoticesAreReportedOncePerChange) {
  LabelSession session(*pipeline);
  StreamRunOptions options;
  options.source.maxReconnects = 2;
  options.source.reconnectDelay = 200ms;
  // 20 frames, a drop, 20 frames again, a drop for good.
  StreamRun run(session, std::make_unique<FlakyStream>(20, 1), options);
  std::vector<std::string> notices;
  run.onNotice([&](const std::string& notice, bool framesAgain) {
    notices.push_back(framesAgain ? "frames again" : notice.empty() ? "gone" : notice);
  });
  EXPECT_EQ(toTheEnd(run), StreamRun::Step::Lost);
  EXPECT_EQ(notices, (std::vector<std::string>{
                         "no frames from flaky: reconnecting (attempt 1 of 2)", "frames again",
                         "no frames from flaky: reconnecting (attempt 1 of 2)",
                         "no frames from flaky: reconnecting (attempt 2 of 2)", "gone"}));
  EXPECT_EQ(run.source().reconnects(), 3);
  EXPECT_GT(run.framesLabelled(), 0);
}

TEST_F(StreamRunLoop, StoppedOrAbortedLeavesNoLabelledVideo) {
  ResultsWriter writer((dir / "out").string());
  LabelSession session(*pipeline, writer);
  {  // the stop check, then abort()
    StreamRun run(session, std::make_unique<FlakyStream>(1000, 0));
    run.stopWhen([&] { return run.framesLabelled() == 3; });
    EXPECT_EQ(toTheEnd(run), StreamRun::Step::Stopped);
    EXPECT_EQ(videos(), 1u);  // being written
    run.abort();
    EXPECT_EQ(videos(), 0u);
  }
  {  // the time limit, then neither finish() nor abort(): the destructor aborts
    StreamRunOptions options;
    options.seconds = 0.2;
    StreamRun run(session, std::make_unique<FlakyStream>(1000, 0), options);
    EXPECT_EQ(toTheEnd(run), StreamRun::Step::Stopped);
    EXPECT_GT(run.framesLabelled(), 0);
  }
  EXPECT_EQ(videos(), 0u);
  {  // labelling fails: the error comes out of step(), the destructor aborts
    session.onFrame([](const FrameResult& r, const cv::Mat&) {
      if (r.frameIndex >= 2) throw std::runtime_error("disk full");
    });
    StreamRun run(session, std::make_unique<FlakyStream>(1000, 0));
    EXPECT_THROW(toTheEnd(run), std::runtime_error);
  }
  EXPECT_EQ(videos(), 0u);
  EXPECT_FALSE(session.streaming());
}

// An hour of video at 25 FPS in at most 100 points per track, and the means still exact:
// "happy" rises linearly with time, so each point's mean is its mean time's value.
TEST(ExpressionTimeline, AnHourInBoundedPointsWithExactMeans) {
  TimelineLimits limits;
  limits.maxPointsPerTrack = 100;
  ExpressionTimeline timeline(limits);
  constexpr long long kFrames = 25LL * 3600;
  constexpr double kSpanMs = 40.0 * (kFrames - 1);
  for (long long i = 0; i < kFrames; ++i) {
    const double t = 40.0 * static_cast<double>(i);
    std::array<float, kNumEmotions> rising{};
    rising[3] = static_cast<float>(t / kSpanMs);      // happy
    rising[6] = static_cast<float>(1 - t / kSpanMs);  // neutral
    timeline.add(7, t, rising);
    if (i % 2 == 0) {  // every other frame, a face without a track: always sad
      std::array<float, kNumEmotions> sad{};
      sad[4] = 1;
      timeline.add(-1, t, sad);
    }
  }
  const auto tracks = timeline.tracks();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].id, -1) << "by id, the untracked first";
  EXPECT_EQ(tracks[1].id, 7);
  EXPECT_EQ(timeline.tracksSeen(), 2);
  EXPECT_DOUBLE_EQ(timeline.firstMs(), 0);
  EXPECT_DOUBLE_EQ(timeline.lastMs(), kSpanMs);

  const ExpressionTimeline::Track& rising = tracks[1];
  EXPECT_EQ(rising.faces, kFrames);
  EXPECT_LE(rising.points.size(), 100u);
  EXPECT_GE(rising.points.size(), 50u) << "coarsening halves the points at most";
  long long faces = 0;
  double previous = -1;
  for (const auto& p : rising.points) {
    faces += p.faces;
    EXPECT_GT(p.timeMs, previous) << "in time order";
    previous = p.timeMs;
    EXPECT_NEAR(p.probs[3], p.timeMs / kSpanMs, 1e-4) << "at " << p.timeMs << " ms";
    EXPECT_NEAR(p.probs[3] + p.probs[6], 1.0, 1e-4);
  }
  EXPECT_EQ(faces, kFrames) << "merged buckets keep every face";
  EXPECT_NEAR(rising.mean[3], 0.5, 1e-6);
  EXPECT_NEAR(rising.mean[6], 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(rising.firstMs, 0);
  EXPECT_DOUBLE_EQ(rising.lastMs, kSpanMs);

  const ExpressionTimeline::Track& untracked = tracks[0];
  EXPECT_EQ(untracked.faces, (kFrames + 1) / 2);
  EXPECT_LE(untracked.points.size(), 100u);
  for (const auto& p : untracked.points) EXPECT_FLOAT_EQ(p.probs[4], 1.0f);
}

TEST(ExpressionTimeline, KeepsTheLargestTracksWithinItsLimitAndDrawsAPanelEach) {
  TimelineLimits limits;
  limits.maxTracks = 4;
  ExpressionTimeline timeline(limits);
  std::array<float, kNumEmotions> happy{};
  happy[3] = 1;
  // Tracks 0..9 one after another, track k with k + 1 faces: the one on screen (the newest)
  // and the three largest that ended stay.
  double t = 0;
  for (int id = 0; id < 10; ++id)
    for (int n = 0; n <= id; ++n, t += 40) timeline.add(id, t, happy);
  const auto tracks = timeline.tracks();
  ASSERT_EQ(tracks.size(), 4u);
  EXPECT_EQ(timeline.tracksSeen(), 10);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(tracks[i].id, static_cast<int>(6 + i));
    EXPECT_EQ(tracks[i].faces, 7 + static_cast<long long>(i));
    EXPECT_DOUBLE_EQ(tracks[i].mean[3], 1.0);
  }

  // One panel per track, up to maxPanels; an empty timeline still makes a picture.
  TimelineDrawOptions draw;
  draw.title = "clip.avi";
  draw.maxPanels = 3;
  const cv::Mat capped = drawTimeline(timeline, draw);
  EXPECT_EQ(capped.type(), CV_8UC3);
  EXPECT_EQ(capped.size(), timelinePictureSize(3, draw));
  draw.maxPanels = 8;
  EXPECT_EQ(drawTimeline(timeline, draw).size(), timelinePictureSize(4, draw));
  EXPECT_GT(timelinePictureSize(4, draw).height, timelinePictureSize(3, draw).height);
  EXPECT_EQ(drawTimeline(ExpressionTimeline(), draw).size(), timelinePictureSize(1, draw));
}

TEST(Tracker, IdsAreStableAndLabelsSmoothed) {
  FaceTracker t;
  FrameResult a = oneFace(10, 3);
  t.update(a);
  FrameResult b = oneFace(14, 3);
  t.update(b);
  EXPECT_EQ(a.faces[0].trackId, b.faces[0].trackId);
  FrameResult flicker = oneFace(16, 4);  // one frame says "sad"
  t.update(flicker);
  EXPECT_EQ(flicker.faces[0].prediction.label, 3) << "a single outlier frame does not flip";
  FrameResult far = oneFace(400, 4);  // a different face
  t.update(far);
  EXPECT_NE(far.faces[0].trackId, a.faces[0].trackId);
  EXPECT_EQ(far.faces[0].prediction.label, 4);
}

// One rule turns averaged probabilities into the label the user sees (classifier, tracker,
// eval's ensembles): the argmax, the lower index on a tie, uncertain strictly below.
TEST(Prediction, SettleTakesTheArgmaxAndJudgesTheThreshold) {
  Prediction p;
  p.probs = {0.1f, 0.05f, 0.05f, 0.3f, 0.3f, 0.1f, 0.1f};
  p.uncertainBelow = 0.3f;
  p.settle();
  EXPECT_EQ(p.label, 3);
  EXPECT_FLOAT_EQ(p.confidence, 0.3f);
  EXPECT_FALSE(p.uncertain) << "at the threshold is not below it";
  p.probs = {0.1f, 0.05f, 0.05f, 0.2f, 0.1f, 0.1f, 0.4f};
  p.uncertainBelow = 0.5f;
  p.settle();
  EXPECT_EQ(p.label, 6);
  EXPECT_FLOAT_EQ(p.confidence, 0.4f);
  EXPECT_TRUE(p.uncertain);
}

TEST(ResultsWriter, NeverOverwritesAndEscapesCsv) {
  const auto dir = test::tempDir("writer");
  const fs::path out = dir / "new" / "results";  // missing: created
  ResultsWriter w(out.string());
  const cv::Mat img(20, 20, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto p1 = w.writeLabelledImage("/a/face.jpg", img);
  const auto p2 = w.writeLabelledImage("/b/face.jpg", img);  // same name, other folder
  EXPECT_NE(p1, p2);
  EXPECT_TRUE(fs::exists(p1));
  EXPECT_TRUE(fs::exists(p2));
  FrameResult r = oneFace(1, 2);
  r.source = "odd, \"name\".jpg";
  w.append(r);
  std::ifstream csv(w.csvPath());
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  EXPECT_EQ(row.rfind("\"odd, \"\"name\"\".jpg\",0,,0,", 0), 0u) << row;  // no timestamp: an image
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << e.path();
}

// A results folder written before prediction_age existed: appended rows keep the file's
// columns, so every row still matches its header; a new folder gets the full layout.
TEST(ResultsWriter, RowsFollowTheLayoutOfAnEarlierResultsCsv) {
  const auto dir = test::tempDir("writer-old");
  const std::string header = ResultsWriter::csvHeader();
  const std::string earlier = header.substr(0, header.rfind(','));
  ASSERT_EQ(header.substr(header.rfind(',') + 1), "prediction_age");
  const auto columns = [](const std::string& line) {
    return std::count(line.begin(), line.end(), ',') + 1;
  };
  for (const bool old : {true, false}) {
    const fs::path out = dir / (old ? "old" : "new");
    fs::create_directories(out);
    if (old) std::ofstream(out / "results.csv") << earlier << '\n';
    {
      ResultsWriter w(out.string());
      w.append(oneFace(1, 2));
    }
    std::ifstream csv(out / "results.csv");
    std::string first, row, extra;
    std::getline(csv, first);
    std::getline(csv, row);
    EXPECT_FALSE(std::getline(csv, extra)) << "one header, one row";
    EXPECT_EQ(first, old ? earlier : header);
    EXPECT_EQ(columns(row), columns(first)) << row;
  }
}

TEST(ResultsWriter, UnwritableFolderIsAClearError) {
  if (geteuid() == 0) {
    // root ignores permissions: use a path below a regular file instead.
    const auto dir = test::tempDir("unwritable");
    std::ofstream(dir / "file") << "x";
    EXPECT_THROW(ResultsWriter((dir / "file" / "results").string()), std::runtime_error);
    return;
  }
  EXPECT_THROW(ResultsWriter("/proc/microfer-results"), std::runtime_error);
}

class BadInputs : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::tempDir("inputs"); }
  std::string write(const std::string& name, const std::string& bytes) {
    std::ofstream((dir / name), std::ios::binary) << bytes;
    return (dir / name).string();
  }
  void expectError(const std::string& path, const std::string& fragment) {
    try {
      readImage(path);
      FAIL() << path << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "names the input";
    }
  }
  fs::path dir;
};

TEST_F(BadInputs, EachGetsAClearMessage) {
  expectError(write("empty.jpg", ""), "empty file");
  expectError(write("text.jpg", "hello, I am text"), "not an image file");
  std::vector<uchar> png;
  cv::Mat img(64, 64, CV_8UC3);
  cv::randu(img, 0, 255);
  cv::imencode(".png", img, png);
  expectError(write("trunc.png", std::string(png.begin(), png.begin() + png.size() / 3)),
              "corrupt or truncated");
  // A PNG header claiming 30000 x 30000: refused before decoding.
  std::string huge(png.begin(), png.end());
  const unsigned char dims[8] = {0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30};
  huge.replace(16, 8, reinterpret_cast<const char*>(dims), 8);
  expectError(write("huge.png", huge), "exceeds the limit");
  expectError((dir / "missing.png").string(), "no such file");
}

TEST_F(BadInputs, UnusualButValidFormatsBecomeBgr) {
  cv::Mat g16(40, 30, CV_16UC1, cv::Scalar(40000));
  cv::imwrite((dir / "g16.png").string(), g16);
  cv::Mat rgba(40, 30, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  cv::imwrite((dir / "rgba.png").string(), rgba);
  cv::Mat gray(40, 30, CV_8UC1, cv::Scalar(7));
  cv::imwrite((dir / "gray.jpg").string(), gray);
  cv::Mat tiny(1, 1, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::imwrite((dir / "tiny.png").string(), tiny);
  for (const char* f : {"g16.png", "rgba.png", "gray.jpg", "tiny.png"}) {
    const cv::Mat m = readImage((dir / f).string());
    EXPECT_EQ(m.type(), CV_8UC3) << f;
    EXPECT_FALSE(m.empty()) << f;
  }
  EXPECT_EQ(readImage((dir / "g16.png").string()).size(), cv::Size(30, 40));
}

TEST(Inputs, FolderExpansionSkipsNonImagesAndSymlinkLoops) {
  const auto dir = test::tempDir("expand");
  fs::create_directories(dir / "a" / "b");
  cv::imwrite((dir / "a" / "x.png").string(), cv::Mat(4, 4, CV_8UC3, cv::Scalar(0)));
  cv::imwrite((dir / "a" / "b" / "y.jpg").string(), cv::Mat(4, 4, CV_8UC3, cv::Scalar(0)));
  std::ofstream(dir / "a" / "readme.md") << "x";
  fs::create_directory_symlink(dir / "a", dir / "a" / "b" / "loop");
  const ExpandedInputs e = expandInputs({dir.string()});
  ASSERT_EQ(e.files.size(), 2u);
  bool sawText = false;
  for (const auto& [p, why] : e.skipped) sawText |= p.find("readme.md") != std::string::npos;
  EXPECT_TRUE(sawText);
}

TEST(Detector, IouOfHandMadeBoxes) {
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.f / 150.f);
  EXPECT_FLOAT_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.f);
}

}  // namespace
}  // namespace microfer

namespace microfer {
namespace {

// A JPEG with an EXIF APP1 segment whose Orientation tag is `orientation`.
std::string jpegWithOrientation(const cv::Mat& img, uint16_t orientation) {
  std::vector<uchar> jpg;
  cv::imencode(".jpg", img, jpg);
  const unsigned char tiff[] = {'I',
                                'I',
                                42,
                                0,
                                8,
                                0,
                                0,
                                0,  // little-endian TIFF, IFD at 8
                                1,
                                0,  // one entry
                                0x12,
                                0x01,
                                3,
                                0,
                                1,
                                0,
                                0,
                                0,  // Orientation, SHORT, count 1
                                static_cast<unsigned char>(orientation),
                                0,
                                0,
                                0,
                                0,
                                0,
                                0,
                                0};  // no next IFD
  std::string app1 = "Exif";
  app1.push_back('\0');
  app1.push_back('\0');
  app1.append(reinterpret_cast<const char*>(tiff), sizeof tiff);
  const size_t len = app1.size() + 2;
  std::string out(jpg.begin(), jpg.begin() + 2);  // SOI
  out += "\xFF\xE1";
  out.push_back(static_cast<char>(len >> 8));
  out.push_back(static_cast<char>(len & 0xff));
  out += app1;
  out.append(jpg.begin() + 2, jpg.end());
  return out;
}

TEST_F(BadInputs, ExifOrientationIsHonoured) {
  cv::Mat img(20, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  img(cv::Rect(0, 0, 10, 20)).setTo(cv::Scalar(255, 255, 255));  // white on the left
  const cv::Mat m = readImage(write("rotated.jpg", jpegWithOrientation(img, 6)));
  // Orientation 6: the stored image is shown rotated 90° clockwise.
  ASSERT_EQ(m.size(), cv::Size(20, 40));
  EXPECT_GT(cv::mean(m(cv::Rect(0, 0, 20, 8)))[0], 200.0) << "the white band is now on top";
  EXPECT_LT(cv::mean(m(cv::Rect(0, 30, 20, 10)))[0], 60.0);
}

TEST(Inputs, CmykJpegIsConvertedToBgr) {
  // tests/data/cmyk.jpg: 32x24 random colours saved as a CMYK JPEG (made for this test).
  const cv::Mat m = readImage(test::sourceDir() + "/tests/data/cmyk.jpg");
  EXPECT_EQ(m.type(), CV_8UC3);
  EXPECT_EQ(m.size(), cv::Size(32, 24));
}

}  // namespace
}  // namespace microfer
