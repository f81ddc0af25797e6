// Damaged videos and a results folder that fills up. The fixtures are made here: videos with
// cv::VideoWriter (MJPG), then bytes overwritten; "disk full" is a file size limit
// (ulimit -f, SIGXFSZ ignored) on a microfer-cli child, so its writes fail with EFBIG
// exactly where a full disk would fail them with ENOSPC.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <chrono>
#include <thread>
#include <set>

#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/runtime/file_io.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kFrames = 20;

using test::slurp;

using test::lines;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A face for the detector: the astronaut at 256 px, a moving bar so that frames differ.
cv::Mat faceFrame(int i) {
  static const cv::Mat astronaut = [] {
    cv::Mat m = cv::imread(test::sourceDir() + "/assets/astronaut.png");
    if (!m.empty()) cv::resize(m, m, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
    return m;
  }();
  cv::Mat f =
      astronaut.empty() ? cv::Mat(256, 256, CV_8UC3, cv::Scalar(90, 120, 150)) : astronaut.clone();
  cv::rectangle(f, cv::Rect(0, 250 - 2 * i, 256, 6), cv::Scalar(0, 255, 0), cv::FILLED);
  return f;
}

// Noise does not compress: a size that the file size limit is sure to cut.
cv::Mat noiseFrame(int seed) {
  cv::Mat f(256, 256, CV_8UC3);
  cv::RNG rng(static_cast<uint64>(seed) + 1);
  rng.fill(f, cv::RNG::UNIFORM, 0, 256);
  return f;
}

void writeVideo(const fs::path& path, int frames, bool noise) {
  cv::VideoWriter w(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                    cv::Size(256, 256), true);
  ASSERT_TRUE(w.isOpened()) << "cannot make the fixture " << path;
  for (int i = 0; i < frames; ++i) w.write(noise ? noiseFrame(i) : faceFrame(i));
}

// Overwrites 1.5 frames' worth of bytes from 40 % into the file with fixed noise.
void corruptMiddle(const fs::path& path) {
  std::string bytes = slurp(path);
  const size_t at = bytes.size() * 4 / 10, len = bytes.size() * 3 / (2 * kFrames);
  std::mt19937 rng(7);
  for (size_t i = at; i < at + len && i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(rng() & 0xff);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

int decodableFrames(const fs::path& path) {
  cv::VideoCapture cap(path.string());
  int n = 0;
  for (cv::Mat f; cap.read(f) && !f.empty();) ++n;
  return n;
}

std::string quoted(const fs::path& p) {
  return "\"" + p.string() + "\"";
}

// Runs microfer-cli with `args`; stdout and stderr go to files in `dir`. `fileSizeLimit`
// bytes > 0: no file the CLI writes may grow beyond that (SIGXFSZ ignored, so the write
// fails with EFBIG as it would with ENOSPC on a full disk).
int runCli(const std::string& args, const fs::path& dir, long fileSizeLimit = 0) {
  std::string cmd = std::string(MICROFER_CLI) + " " + args + " >" + quoted(dir / "stdout.txt") +
                    " 2>" + quoted(dir / "stderr.txt");
  if (fileSizeLimit > 0)  // the shell counts ulimit -f in 512-byte blocks
    cmd = "trap '' XFSZ; ulimit -f " + std::to_string(fileSizeLimit / 512) + " && exec " + cmd;
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// No temporary left behind, and nothing under `finalName`.
void expectNoPartialOutput(const fs::path& out, const std::string& finalName) {
  EXPECT_FALSE(fs::exists(out / finalName)) << "a half-written file under its final name";
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_NE(e.path().filename().string().rfind(".tmp", 0), 0u) << e.path() << " left behind";
}

class DamagedVideo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("video");
    fs::create_directories(dir / "in");
  }
  fs::path dir;
};

TEST_F(DamagedVideo, FrameSourceDeliversTheFramesThatDecodeThenFinishes) {
  const fs::path clip = dir / "in" / "corrupt.avi";
  writeVideo(clip, kFrames, false);
  ASSERT_EQ(decodableFrames(clip), kFrames) << "the fixture before the damage";
  corruptMiddle(clip);
  const int decodable = decodableFrames(clip);
  EXPECT_GE(decodable, kFrames * 4 / 10 - 1) << "the frames before the damage";
  EXPECT_LT(decodable, kFrames) << "the damage must cost frames, or the test proves nothing";

  FrameSource::Options o;
  o.queueSize = 4;
  o.dropOldest = false;
  FrameSource src(openVideoProvider(clip.string()), o);
  Frame f;
  long long got = 0;
  while (src.next(f, 5000ms)) {
    EXPECT_EQ(f.index, got++);
    EXPECT_EQ(f.image.size(), cv::Size(256, 256));
  }
  EXPECT_EQ(got, decodable);
  EXPECT_EQ(src.state(), FrameSource::State::Finished) << src.error();
  EXPECT_EQ(src.framesDropped(), 0);
}

TEST_F(DamagedVideo, EmptyVideosAreClearErrorsOrEndAtOnce) {
  const fs::path zero = dir / "in" / "empty.avi";
  std::ofstream(zero, std::ios::binary).flush();  // 0 bytes
  try {
    openVideoProvider(zero.string());
    FAIL() << "a 0-byte video opened";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), zero.string())) << e.what();
  }

  // A valid container with no frame in it.
  const fs::path none = dir / "in" / "noframes.avi";
  writeVideo(none, 0, false);
  ASSERT_TRUE(fs::exists(none));
  std::unique_ptr<FrameProvider> provider;
  try {
    provider = openVideoProvider(none.string());
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), none.string())) << e.what();
    return;  // a backend that refuses it outright: also a clear error
  }
  FrameSource src(std::move(provider), FrameSource::Options{});
  Frame f;
  EXPECT_FALSE(src.next(f, 5000ms));
  EXPECT_EQ(src.state(), FrameSource::State::Finished) << src.error();
  EXPECT_EQ(src.framesCaptured(), 0);
}

TEST_F(DamagedVideo, CliLabelsWhatDecodesAndNamesWhatCannot) {
  const std::string model = test::writeRandomModel(dir);
  const fs::path clip = dir / "in" / "corrupt.avi";
  writeVideo(clip, kFrames, false);
  corruptMiddle(clip);
  const int decodable = decodableFrames(clip);
  std::ofstream(dir / "in" / "empty.avi", std::ios::binary).flush();
  writeVideo(dir / "in" / "noframes.avi", 0, false);

  const fs::path out = dir / "results";
  const int rc =
      runCli("label " + quoted(dir / "in") + " --out " + quoted(out) + " --model " + model, dir);
  const std::string err = slurp(dir / "stderr.txt"), stdoutText = slurp(dir / "stdout.txt");
  EXPECT_EQ(rc, 1) << "the two empty videos failed\n" << err;
  EXPECT_TRUE(contains(err, "cannot open video '" + (dir / "in" / "empty.avi").string())) << err;
  EXPECT_TRUE(contains(err, (dir / "in" / "noframes.avi").string() + "' has no readable frames") ||
              contains(err, "cannot open video '" + (dir / "in" / "noframes.avi").string()))
      << err;
  EXPECT_TRUE(contains(err, "warning: video '" + clip.string() + "': only " +
                                std::to_string(decodable) + " of its " + std::to_string(kFrames) +
                                " frames"))
      << err;
  EXPECT_TRUE(
      contains(stdoutText, clip.string() + ": " + std::to_string(decodable) + " frames labelled"))
      << stdoutText;
  EXPECT_TRUE(contains(stdoutText, "summary: 3 inputs")) << stdoutText;
  EXPECT_TRUE(contains(stdoutText, "2 failures")) << stdoutText;
  // One clear line per failed input: OpenCV's own log ("[ WARN:0@...] ...") stays silent.
  EXPECT_FALSE(contains(err, "[ WARN")) << err;
  EXPECT_FALSE(contains(err, "[ERROR")) << err;

  // Every frame that decoded is accounted for: one JSONL record each, in order, and one CSV
  // row per face in them.
  const auto jsonl = lines(out / "results.jsonl");
  ASSERT_EQ(jsonl.size(), static_cast<size_t>(decodable));
  size_t faces = 0;
  for (size_t i = 0; i < jsonl.size(); ++i) {
    const auto j = nlohmann::json::parse(jsonl[i]);
    EXPECT_EQ(j.at("source").get<std::string>(), clip.string());
    EXPECT_EQ(j.at("frame").get<long long>(), static_cast<long long>(i));
    // The fixture is written at 10 FPS: frame i is at i * 100 ms.
    EXPECT_DOUBLE_EQ(j.at("timestamp_ms").get<double>(), 100.0 * static_cast<double>(i));
    faces += j.at("faces").size();
  }
  const auto csv = lines(out / "results.csv");
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv.size() - 1, faces);
  EXPECT_GT(faces, 0u) << "the astronaut's face in the frames that decoded";
  EXPECT_EQ(decodableFrames(out / "corrupt_labelled.avi"), decodable);
  expectNoPartialOutput(out, "empty_labelled.avi");
  EXPECT_FALSE(fs::exists(out / "noframes_labelled.avi"));
}

class DiskFull : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("diskfull");
    out = dir / "results";
    fs::create_directories(dir / "in");
    fs::create_directories(out);
    model = test::writeRandomModel(dir);
  }
  std::string label(const fs::path& input) {
    return "label " + quoted(input) + " --out " + quoted(out) + " --model " + model;
  }
  fs::path dir, out;
  std::string model;
};

TEST_F(DiskFull, LabelledImageThatDoesNotFitLeavesNothingBehind) {
  const fs::path input = dir / "in" / "noise.png";
  ASSERT_TRUE(cv::imwrite(input.string(), noiseFrame(1)));
  ASSERT_GT(fs::file_size(input), 150000u);
  const int rc = runCli(label(input), dir, 64 * 1024);
  const std::string err = slurp(dir / "stderr.txt");
  EXPECT_EQ(rc, 1) << err;
  EXPECT_TRUE(contains(err, "cannot write '" + (out / "noise_labelled.png").string() + "'")) << err;
  EXPECT_TRUE(contains(err, "File too large")) << err;
  expectNoPartialOutput(out, "noise_labelled.png");
  EXPECT_EQ(slurp(out / "results.csv"), ResultsWriter::csvHeader() + "\n");
  EXPECT_EQ(slurp(out / "results.jsonl"), "") << "no record for an image that was not written";
  EXPECT_TRUE(contains(slurp(dir / "stdout.txt"), "1 failures"));
}

TEST_F(DiskFull, ResultsRowThatDoesNotFitIsCutBackToTheLastWholeRecord) {
  const fs::path input = dir / "in" / "astronaut.png";
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", input);
  // An earlier run left results.csv just under the limit: the next row fits only in part.
  const long limit = 2 * 1024 * 1024;
  std::string csv = ResultsWriter::csvHeader() + "\n";
  const std::string row =
      "earlier.jpg,0,0,1.0,2.0,3.0,4.0,0.9,happy,0.4,0.1,0.1,0.1,0.4,0.1,0.1,0.1,-1\n";
  while (csv.size() + row.size() < static_cast<size_t>(limit) - 40) csv += row;
  std::ofstream(out / "results.csv", std::ios::binary) << csv;
  std::ofstream(out / "results.jsonl", std::ios::binary) << "{\"earlier\":true}\n";

  const int rc = runCli(label(input), dir, limit);
  const std::string err = slurp(dir / "stderr.txt");
  EXPECT_EQ(rc, 1) << err;
  EXPECT_TRUE(contains(err, "cannot write '" + (out / "results.csv").string() + "'")) << err;
  EXPECT_TRUE(contains(err, "File too large")) << err;
  EXPECT_EQ(slurp(out / "results.csv"), csv) << "no half row at the end";
  EXPECT_EQ(slurp(out / "results.jsonl"), "{\"earlier\":true}\n") << "CSV and JSONL agree";
  for (const auto& e : fs::directory_iterator(out))
    EXPECT_NE(e.path().filename().string().rfind(".tmp", 0), 0u) << e.path();
}

TEST_F(DiskFull, LabelledVideoThatDoesNotFitIsRemoved) {
  const fs::path clip = dir / "in" / "clip.avi";
  writeVideo(clip, kFrames, true);
  const long limit = 256 * 1024;
  ASSERT_GT(fs::file_size(clip), static_cast<uintmax_t>(3 * limit))
      << "the fixture must not fit the limit";
  const int rc = runCli(label(clip), dir, limit);
  const std::string err = slurp(dir / "stderr.txt");
  EXPECT_EQ(rc, 1) << err;
  EXPECT_TRUE(contains(err, "cannot write video '" + (out / "clip_labelled.avi").string() + "'"))
      << err;
  expectNoPartialOutput(out, "clip_labelled.avi");
  // What was recorded is whole records: the CSV and JSONL end with a complete line.
  for (const char* name : {"results.csv", "results.jsonl"}) {
    const std::string text = slurp(out / name);
    EXPECT_TRUE(text.empty() || text.back() == '\n') << name;
  }
  for (const auto& l : lines(out / "results.jsonl")) EXPECT_NO_THROW(nlohmann::json::parse(l));
}


// A writer killed mid-write (SIGKILL: no destructor, no handler runs) leaves the file it was
// replacing whole: the old content or the new, never a torn mix or a short file.
TEST(AtomicWrite, AKilledWriterLeavesTheOldFileOrTheNewNeverATornOne) {
  const auto dir = test::tempDir("atomic-kill");
  const std::string path = (dir / "run.json").string();
  const size_t size = 4 << 20;  // big enough that a kill often lands inside a write
  const std::string a(size, 'a'), b(size, 'b');
  writeFileAtomically(path, a);
  std::mt19937 rng(7);
  int sawB = 0;
  for (int round = 0; round < 12; ++round) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0;; ++i) writeFileAtomically(path, i % 2 ? a : b);  // until killed
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer did not die by the signal";
    const std::string now = slurp(path);
    ASSERT_EQ(now.size(), size) << "round " << round << ": a short file";
    const char c = now.front();
    ASSERT_TRUE(c == 'a' || c == 'b') << "round " << round;
    EXPECT_EQ(now.find_first_not_of(c), std::string::npos) << "round " << round << ": torn";
    sawB += c == 'b';
  }
  // The writer did replace the file in some rounds (the check above saw both contents or at
  // least the new one): the kills landed while it was working.
  EXPECT_GT(sawB, 0);
  // Killed writers leave their temporary files, each with a name of its own (pid and count).
  std::set<std::string> temps;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) temps.insert(e.path().string());
  EXPECT_LE(temps.size(), 12u);
  EXPECT_NE(temporaryPathFor(path), temporaryPathFor(path)) << "two calls, two names";
}

}  // namespace
}  // namespace microfer
