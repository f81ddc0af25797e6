// End to end: microfer-cli label on a folder of real faces.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <sstream>

#include "microfer/runtime/checksum.hpp"
#include "microfer/train/device_trainer.hpp"
#include "microfer/classify/expression_classifier.hpp"
#include "microfer/classify/model_file.hpp"
#include "microfer/classify/network.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/output/timeline.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/types.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

using test::slurp;

using test::lines;

int run(const std::string& args, const fs::path& dir, const char* program = MICROFER_CLI) {
  const std::string cmd = std::string(program) + " " + args + " >" +
                          (dir / "stdout.txt").string() + " 2>" + (dir / "stderr.txt").string();
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::tempDir("cli");
    in = dir / "in folder ü";  // spaces and non-ASCII in names
    fs::create_directories(in / "nested");
    model = test::writeRandomModel(dir);
  }
  fs::path dir, in;
  std::string model;
};

TEST_F(CliTest, LabelsAFolderOfRealFaces) {
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / "astronaut.png");
  fs::copy_file(test::sharedDir() + "/data/dlib-faces/2008_002470.jpg",
                in / "nested" / "group.jpg");
  fs::copy_file(test::sharedDir() + "/data/dlib-faces/dogs.jpg", in / "dogs.jpg");
  std::ofstream(in / "broken.jpg") << "this is text, not a JPEG";
  std::ofstream(in / "notes.txt") << "not an image";
  std::map<std::string, std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(in))
    if (e.is_regular_file()) before[e.path().string()] = slurp(e.path());

  const fs::path out = dir / "results";
  const int rc =
      run("label \"" + in.string() + "\" --out \"" + out.string() + "\" --model " + model, dir);
  const std::string err = slurp(dir / "stderr.txt"), stdoutText = slurp(dir / "stdout.txt");
  EXPECT_EQ(rc, 1) << "one input failed\n" << err;
  EXPECT_NE(err.find("broken.jpg"), std::string::npos) << err;
  EXPECT_NE(err.find("not an image file"), std::string::npos) << err;
  EXPECT_NE(err.find("notes.txt"), std::string::npos) << "non-image reported\n" << err;
  EXPECT_NE(stdoutText.find("summary: 4 inputs"), std::string::npos) << stdoutText;
  // The default detector is "auto", settled as the desktop app settles it, and named.
  const std::string detector = microfer::toString(microfer::resolveDetectorChoice("auto"));
  EXPECT_NE(stdoutText.find("; detector " + detector + ", TTA flip;"), std::string::npos)
      << stdoutText;

  // Inputs untouched, byte for byte.
  for (const auto& [path, bytes] : before) EXPECT_EQ(slurp(path), bytes) << path;

  // One CSV row per detected face; JSONL one record per labelled image.
  const auto csv = lines(out / "results.csv");
  ASSERT_FALSE(csv.empty());
  EXPECT_EQ(csv[0], ResultsWriter::csvHeader());
  const auto jsonl = lines(out / "results.jsonl");
  EXPECT_EQ(jsonl.size(), 3u) << "astronaut, group, dogs";
  size_t faces = 0;
  for (const auto& l : jsonl) {
    const auto j = nlohmann::json::parse(l);
    faces += j.at("faces").size();
    // No human face in dogs.jpg: MTCNN sees none; YuNet (the automatic choice where its models
    // are) takes two of the three dogs' faces for people's (docs/DETECTORS.md, known limits).
    if (j.at("source").get<std::string>().find("dogs.jpg") != std::string::npos)
      EXPECT_LE(j.at("faces").size(), detector == "yunet" ? 2u : 0u) << "dogs.jpg";
  }
  EXPECT_EQ(csv.size() - 1, faces);
  EXPECT_GE(faces, 4u) << "the astronaut and the group photo's faces";
  EXPECT_TRUE(fs::exists(out / "astronaut_labelled.png"));
  EXPECT_TRUE(fs::exists(out / "nested" / "group_labelled.jpg")) << "the folder's tree mirrored";

  // A second run never overwrites: new names, rows appended.
  EXPECT_EQ(run("label \"" + (in / "astronaut.png").string() + "\" --out \"" + out.string() +
                    "\" --model " + model,
                dir),
            0);
  EXPECT_TRUE(fs::exists(out / "astronaut_labelled_1.png"));
  EXPECT_EQ(lines(out / "results.csv").size(), csv.size() + 1);
}

// --json: stdout is one JSON object per input (the results.jsonl record, or an error) and
// nothing else; run.json records what produced the folder; field names are the same in
// results.csv and results.jsonl; a GIF is named as unsupported.
TEST_F(CliTest, JsonOnStdoutRunRecordAndOneNamePerField) {
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / "astronaut.png");
  std::ofstream(in / "anim.gif", std::ios::binary) << std::string("GIF89a\x01\x00\x01\x00", 10);
  const fs::path out = dir / "results";
  const int rc = run("label \"" + (in / "astronaut.png").string() + "\" \"" +
                         (in / "anim.gif").string() + "\" --json --out \"" + out.string() +
                         "\" --model " + model + " --detector haar",
                     dir);
  EXPECT_EQ(rc, 1) << "the GIF failed";
  const std::string err = slurp(dir / "stderr.txt");
  EXPECT_NE(err.find("GIF is not supported"), std::string::npos) << err;
  EXPECT_NE(err.find("summary: 2 inputs"), std::string::npos) << "summary on stderr\n" << err;
  const auto stdoutLines = lines(dir / "stdout.txt");
  ASSERT_EQ(stdoutLines.size(), 2u) << slurp(dir / "stdout.txt");
  const auto image = nlohmann::json::parse(stdoutLines[0]);
  const auto gif = nlohmann::json::parse(stdoutLines[1]);
  EXPECT_EQ(image.at("source"), (in / "astronaut.png").string());
  EXPECT_TRUE(image.at("timestamp_ms").is_null()) << "a still image has no timestamp";
  // label keeps the user's settings; a still image is searched whole (detect every 1).
  EXPECT_EQ(image.at("quality"), "flip/1/40") << "TTA / detect every / min face";
  EXPECT_EQ(image.at("image_width"), 512);
  EXPECT_EQ(gif.at("source"), (in / "anim.gif").string());
  EXPECT_NE(gif.at("error").get<std::string>().find("GIF"), std::string::npos);
  EXPECT_EQ(image, nlohmann::json::parse(lines(out / "results.jsonl").at(0)))
      << "the results.jsonl record";

  // Every CSV column is a key of the JSONL face, with the same value.
  const auto csv = lines(out / "results.csv");
  ASSERT_EQ(csv.size(), 1 + image.at("faces").size());
  ASSERT_GE(csv.size(), 2u) << "Haar finds the astronaut";
  std::vector<std::string> header, row;
  for (std::stringstream h(csv[0]); h.good();) header.emplace_back(), std::getline(h, header.back(), ',');
  for (std::stringstream r(csv[1]); r.good();) row.emplace_back(), std::getline(r, row.back(), ',');
  ASSERT_EQ(header.size(), row.size());
  const auto& face = image.at("faces").at(0);
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    if (name == "source" || name == "frame" || name == "timestamp_ms" || name == "quality") {
      EXPECT_TRUE(image.contains(name)) << name;
      if (name == "quality") EXPECT_EQ(image.at(name).get<std::string>(), row[c]) << name;
      continue;
    }
    ASSERT_TRUE(face.contains(name)) << "JSONL face lacks CSV column " << name;
    if (face.at(name).is_number())
      EXPECT_NEAR(face.at(name).get<double>(), std::stod(row[c]), 0.051) << name;
    else if (face.at(name).is_boolean())
      EXPECT_EQ(face.at(name).get<bool>() ? "1" : "0", row[c]) << name;
    else
      EXPECT_EQ(face.at(name).get<std::string>(), row[c]) << name;
  }

  // run.json: the program, the model and its checksum, the settings, the inputs, the counts.
  const auto runs = test::runRecords(out);
  ASSERT_EQ(runs.size(), 1u);
  const auto& r = runs[0];
  EXPECT_EQ(r.at("program").get<std::string>().rfind("microfer-cli ", 0), 0u);
  char sum[17];
  std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(fnv1a64File(model)));
  EXPECT_EQ(r.at("model").at("fnv1a64"), sum);
  EXPECT_EQ(r.at("detector"), "haar");
  EXPECT_EQ(r.at("tta"), "flip");
  EXPECT_EQ(r.at("inputs").size(), 2u);
  EXPECT_EQ(r.at("images"), 1);
  EXPECT_EQ(r.at("failures"), 1);
  EXPECT_FALSE(r.at("started").get<std::string>().empty());

  // --quiet: nothing on stdout, no warning on stderr (an option given twice announces itself
  // otherwise); a second run writes a run record of its own beside the first.
  EXPECT_EQ(run("label \"" + (in / "astronaut.png").string() + "\" --quiet --out \"" +
                    out.string() + "\" --model " + model + " --detector mtcnn --detector haar",
                dir),
            0);
  EXPECT_EQ(slurp(dir / "stdout.txt"), "");
  EXPECT_EQ(slurp(dir / "stderr.txt"), "");
  EXPECT_EQ(test::runRecords(out).size(), 2u);
  EXPECT_FALSE(fs::exists(out / "run.json"));
}

// On a terminal (here a pseudo-terminal made by script(1)) label shows i/N, rate and ETA;
// in a pipe (every other test) it does not.
TEST_F(CliTest, ProgressOnATerminalOnly) {
  if (std::system("command -v script >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "script(1) (Debian: bsdutils) is not installed";
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / "a.png");
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / "b.png");
  const std::string args = "label '" + in.string() + "' --out '" + (dir / "results").string() +
                           "' --model " + model + " --detector haar";
  const std::string cmd = "script -qec \"" + std::string(MICROFER_CLI) + " " + args +
                          "\" /dev/null </dev/null >'" +
                          (dir / "tty.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string tty = slurp(dir / "tty.txt");
  EXPECT_NE(tty.find("label 2/2"), std::string::npos) << tty;
  EXPECT_NE(tty.find("ETA"), std::string::npos) << tty;
  ASSERT_EQ(run(args, dir), 0);
  EXPECT_EQ(slurp(dir / "stderr.txt").find("ETA"), std::string::npos) << "not in a pipe";
}

TEST_F(CliTest, ShardsMergeIntoOneRun) {
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  for (const char* f :
       {"2008_002470.jpg", "2008_001322.jpg", "2009_004587.jpg", "dogs.jpg", "2007_007763.jpg"})
    fs::copy_file(test::sharedDir() + "/data/dlib-faces/" + f, in / f);
  ASSERT_EQ(run("label \"" + in.string() + "\" --out \"" + (dir / "whole").string() +
                    "\" --model " + model,
                dir),
            0);
  std::string parts;
  for (int k = 1; k <= 3; ++k) {
    const fs::path part = dir / ("part" + std::to_string(k));
    ASSERT_EQ(run("label \"" + in.string() + "\" --shard " + std::to_string(k) + "/3 --out \"" +
                      part.string() + "\" --model " + model,
                  dir),
              0);
    parts += " \"" + part.string() + "\"";
  }
  ASSERT_EQ(run("merge \"" + (dir / "merged").string() + "\"" + parts, dir), 0)
      << slurp(dir / "stderr.txt");
  const std::string merged = slurp(dir / "merged" / "results.csv");
  EXPECT_EQ(merged.find(ResultsWriter::csvHeader()), 0u);
  EXPECT_EQ(merged.find(ResultsWriter::csvHeader(), 1), std::string::npos) << "one header";
  EXPECT_EQ(test::lines(dir / "merged" / "results.jsonl").size(),
            test::lines(dir / "whole" / "results.jsonl").size());
  EXPECT_EQ(test::runRecords(dir / "merged").size(), 3u);
  // Merging never writes over results.
  EXPECT_EQ(run("merge \"" + (dir / "merged").string() + "\"" + parts, dir), 3);
  // Row order differs between a sharded and a whole run; the sets of rows are equal.
  auto sorted = [](const std::string& text) {
    std::vector<std::string> v;
    std::istringstream s(text);
    for (std::string l; std::getline(s, l);) v.push_back(l);
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(merged), sorted(slurp(dir / "whole" / "results.csv")));
}

// A folder's labelled copies mirror its tree (two x.png in two subfolders do not clash);
// --files-from takes a manifest (also on stdin) and mirrors each path; --no-images writes
// records only; each process writes its own run record and list of finished inputs.
TEST_F(CliTest, FilesFromNoImagesAndAMirroredTree) {
  for (const char* sub : {"a", "b"}) {
    fs::create_directories(in / sub);
    fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / sub / "x.png");
  }
  const std::string common = " --model " + model + " --detector haar --quiet";
  ASSERT_EQ(run("label \"" + in.string() + "\" --out \"" + (dir / "r1").string() + "\"" + common,
                dir),
            0)
      << slurp(dir / "stderr.txt");
  EXPECT_TRUE(fs::exists(dir / "r1" / "a" / "x_labelled.png"));
  EXPECT_TRUE(fs::exists(dir / "r1" / "b" / "x_labelled.png"));

  std::ofstream(dir / "list.txt") << (in / "a" / "x.png").string() << "\n\n"
                                  << (in / "b" / "x.png").string() << "\r\n";
  ASSERT_EQ(run("label --files-from \"" + (dir / "list.txt").string() + "\" --no-images --out \"" +
                    (dir / "r2").string() + "\"" + common,
                dir),
            0)
      << slurp(dir / "stderr.txt");
  ASSERT_EQ(run("label --files-from - --out \"" + (dir / "r3").string() + "\"" + common + " < \"" +
                    (dir / "list.txt").string() + "\"",
                dir),
            0)
      << slurp(dir / "stderr.txt");
  for (const auto& e : fs::recursive_directory_iterator(dir / "r2"))
    EXPECT_NE(e.path().extension(), ".png") << "--no-images wrote " << e.path();
  const auto records = test::lines(dir / "r2" / "results.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(records[1]).at("source"), (in / "b" / "x.png").string());
  EXPECT_EQ(test::slurp(dir / "r2" / "results.csv"), test::slurp(dir / "r3" / "results.csv"));
  // The manifest's paths are mirrored whole under --out.
  EXPECT_TRUE(fs::exists(dir / "r3" / fs::path(in.relative_path()) / "b" / "x_labelled.png"));
  const auto runs = test::runRecords(dir / "r2");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("images"), 2);
  int doneLists = 0;
  for (const auto& e : fs::directory_iterator(dir / "r2" / "runs"))
    if (e.path().extension() == ".done") {
      ++doneLists;
      EXPECT_EQ(test::lines(e.path()).size(), 2u);
    }
  EXPECT_EQ(doneLists, 1);
  EXPECT_EQ(run("label --files-from \"" + (dir / "missing.txt").string() + "\"" + common, dir), 2);
}

// A short video (10 FPS) of two astronauts side by side: two faces, two tracks.
void writeTwoFaceVideo(const fs::path& path, int frames) {
  const cv::Mat face = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(face.empty());
  cv::Mat pair;
  cv::hconcat(face, face, pair);
  cv::resize(pair, pair, cv::Size(768, 384));
  cv::VideoWriter writer(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                         pair.size());
  ASSERT_TRUE(writer.isOpened()) << path;
  for (int i = 0; i < frames; ++i) writer.write(pair);
}

// The track ids of results.csv's faces.
std::set<std::string> trackIds(const fs::path& csv) {
  const auto records = parseCsv(slurp(csv));
  std::set<std::string> ids;
  if (records.empty()) return ids;
  const auto& header = records[0].fields;
  const auto col = std::find(header.begin(), header.end(), "track") - header.begin();
  for (size_t i = 1; i < records.size(); ++i)
    if (static_cast<size_t>(col) < records[i].fields.size())
      ids.insert(records[i].fields[static_cast<size_t>(col)]);
  return ids;
}

// Every *_timeline.png under `dir`.
std::vector<fs::path> timelines(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find("_timeline") != std::string::npos) found.push_back(e.path());
  return found;
}

// A labelled video gets its expression timeline beside the results: a picture with one
// panel per face track of results.csv, each with curves in the expressions' colours.
TEST_F(CliTest, VideoGetsATimelineWithAPanelPerTrackBesideItsResults) {
  const fs::path clip = in / "two faces.avi";
  writeTwoFaceVideo(clip, 12);
  const fs::path out = dir / "out";
  ASSERT_EQ(run("label \"" + clip.string() + "\" --out \"" + out.string() + "\" --model " + model +
                    " --detector haar --tta off",
                dir),
            0)
      << slurp(dir / "stderr.txt");
  const fs::path png = out / "two faces_timeline.png";
  ASSERT_TRUE(fs::exists(png)) << slurp(dir / "stdout.txt");
  EXPECT_NE(slurp(dir / "stdout.txt").find(png.string()), std::string::npos)
      << "the label line names it: " << slurp(dir / "stdout.txt");
  EXPECT_EQ(timelines(out).size(), 1u) << "one picture per video";
  const cv::Mat picture = cv::imread(png.string());
  ASSERT_FALSE(picture.empty()) << "not a readable image: " << png;

  const auto ids = trackIds(out / "results.csv");
  ASSERT_GE(ids.size(), 2u) << "both astronauts are tracked";
  EXPECT_EQ(ids.count("-1"), 0u) << "smoothing is on: every face has a track";
  const int panels = std::min<int>(static_cast<int>(ids.size()), TimelineDrawOptions{}.maxPanels);
  EXPECT_EQ(picture.size(), timelinePictureSize(panels)) << panels << " panels";
  // Each panel's plot holds coloured curves (the grid and the text are grey or black).
  for (int i = 0; i < panels; ++i) {
    const cv::Rect panel = timelinePanel(i);
    int coloured = 0;
    for (int y = panel.y + 24; y < panel.y + panel.height; ++y)
      for (int x = 0; x < panel.width; ++x) {
        const cv::Vec3b p = picture.at<cv::Vec3b>(y, x);
        coloured += std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) > 60;
      }
    EXPECT_GT(coloured, 50) << "panel " << i << " has no curves";
  }
}

TEST_F(CliTest, NoImagesWritesNoTimeline) {
  const fs::path clip = in / "clip.avi";
  writeTwoFaceVideo(clip, 6);
  const fs::path out = dir / "out";
  ASSERT_EQ(run("label \"" + clip.string() + "\" --no-images --out \"" + out.string() +
                    "\" --model " + model + " --detector haar --tta off",
                dir),
            0)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(test::lines(out / "results.jsonl").size(), 6u) << "the records are written";
  EXPECT_TRUE(timelines(out).empty()) << "--no-images wrote " << timelines(out).front();
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_NE(e.path().extension(), ".png") << "--no-images wrote " << e.path();
}

TEST_F(CliTest, StillImageWritesNoTimeline) {
  fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / "astronaut.png");
  const fs::path out = dir / "out";
  ASSERT_EQ(run("label \"" + (in / "astronaut.png").string() + "\" --out \"" + out.string() +
                    "\" --model " + model + " --detector haar --tta off",
                dir),
            0)
      << slurp(dir / "stderr.txt");
  EXPECT_TRUE(fs::exists(out / "astronaut_labelled.png"));
  EXPECT_TRUE(timelines(out).empty()) << "a still image has no time: " << timelines(out).front();
}

// --resume after a killed run: the inputs the run finished are skipped, the records of one it
// did not finish and a half-written last line are dropped, and each input ends up recorded
// exactly once. A folder without lists of finished inputs cannot be resumed.
TEST_F(CliTest, ResumeSkipsFinishedInputsAndRepairsAKilledRun) {
  for (const char* name : {"a.png", "b.png", "c.png"})
    fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / name);
  const fs::path out = dir / "r";
  const std::string common = " --out \"" + out.string() + "\" --model " + model + " --detector haar";
  ASSERT_EQ(run("label \"" + (in / "a.png").string() + "\"" + common, dir), 0)
      << slurp(dir / "stderr.txt");
  const auto rowsOfA = test::lines(out / "results.csv");
  ASSERT_GE(rowsOfA.size(), 2u) << "a header and at least one face";
  // What a run killed while labelling b.png leaves: b's records (never marked done) and a
  // half-written line at the end of each file.
  const std::string b = (in / "b.png").string();
  std::ofstream(out / "results.csv", std::ios::app) << csvField(b) << ",0,,0,1,2,3,4\n"
                                                    << csvField(b) << ",0,,1,5";
  std::ofstream(out / "results.jsonl", std::ios::app)
      << nlohmann::json{{"source", b}, {"frame", 0}, {"faces", nlohmann::json::array()}}.dump()
      << "\n{\"source\": \"" << b;
  ASSERT_EQ(run("label \"" + in.string() + "\" --resume" + common, dir), 0)
      << slurp(dir / "stderr.txt");
  const std::string err = slurp(dir / "stderr.txt");
  EXPECT_NE(err.find("1 inputs already done, 2 to label"), std::string::npos) << err;
  EXPECT_NE(err.find("dropped 2 CSV rows and 2 JSONL records"), std::string::npos) << err;
  std::map<std::string, int> recordsOf;
  for (const auto& line : test::lines(out / "results.jsonl"))
    ++recordsOf[nlohmann::json::parse(line).at("source").get<std::string>()];  // all whole
  EXPECT_EQ(recordsOf.size(), 3u);
  for (const auto& [source, n] : recordsOf) EXPECT_EQ(n, 1) << source;
  const auto rows = test::lines(out / "results.csv");
  EXPECT_EQ(std::count(rows.begin(), rows.end(), rowsOfA[1]), 1);
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(),
                          [&](const std::string& r) { return r.rfind(csvField(b) + ",0,,0,1,", 0) == 0; }),
            0);
  EXPECT_EQ(rows.size(), 1 + 3 * (rowsOfA.size() - 1)) << "the same faces in each copy";
  // Once everything is done, a resumed run labels nothing.
  ASSERT_EQ(run("label \"" + in.string() + "\" --resume" + common, dir), 0);
  EXPECT_NE(slurp(dir / "stderr.txt").find("3 inputs already done, 0 to label"), std::string::npos);
  fs::remove_all(out / "runs");
  EXPECT_EQ(run("label \"" + in.string() + "\" --resume" + common, dir), 3);
  EXPECT_NE(slurp(dir / "stderr.txt").find("cannot be resumed"), std::string::npos);
}

// The cluster routes of README "Millions of images" at small scale: a Slurm array (the
// script run once per task with the variables Slurm sets) and GNU parallel (the manifest cut
// into blocks on stdin), each merged, give the rows of one whole run.
class ClusterRoute : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    {
      std::ofstream list(dir / "manifest.txt");
      for (const char* name : {"a.png", "b.png", "nested/c.png", "nested/d.png", "e.png"}) {
        fs::copy_file(test::sourceDir() + "/assets/astronaut.png", in / name);
        list << (in / name).string() << "\n";
      }
    }
    options = " --model " + model + " --detector haar";
    ASSERT_EQ(run("label --files-from \"" + (dir / "manifest.txt").string() + "\" --no-images --out \"" +
                      (dir / "whole").string() + "\"" + options,
                  dir),
              0);
  }
  // The merged rows, sorted, equal the whole run's; `parts` merged into dir/name.
  void expectSameRowsAsOneRun(const std::string& parts, const std::string& name) {
    ASSERT_EQ(run("merge \"" + (dir / name).string() + "\"" + parts, dir), 0)
        << slurp(dir / "stderr.txt");
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(sorted(test::lines(dir / name / "results.csv")),
              sorted(test::lines(dir / "whole" / "results.csv")));
    EXPECT_EQ(test::lines(dir / name / "results.jsonl").size(), 5u);
  }
  std::string options;
};

TEST_F(ClusterRoute, SlurmArrayTasksThenMerge) {
  std::string parts;
  for (int task = 1; task <= 3; ++task) {
    // Task 2 runs twice (a requeued task): --resume leaves its inputs recorded once.
    for (int attempt = 0; attempt < (task == 2 ? 2 : 1); ++attempt)
      ASSERT_EQ(std::system(("cd \"" + dir.string() + "\" && SLURM_ARRAY_TASK_ID=" +
                             std::to_string(task + 4) +
                             " SLURM_ARRAY_TASK_MIN=5 SLURM_ARRAY_TASK_COUNT=3 MICROFER_CLI=" +
                             MICROFER_CLI + " bash " + test::sourceDir() +
                             "/scripts/slurm-label.sh manifest.txt slurm" + options +
                             " 2>slurm.err")
                                .c_str()),
                0)
          << slurp(dir / "slurm.err");
    parts += " \"" + (dir / "slurm" / ("part-" + std::to_string(task))).string() + "\"";
  }
  EXPECT_EQ(test::runRecords(dir / "slurm" / "part-2").size(), 2u);
  for (const auto& e : fs::recursive_directory_iterator(dir / "slurm"))
    EXPECT_NE(e.path().extension(), ".png") << "records only by default: " << e.path();
  expectSameRowsAsOneRun(parts, "slurm-all");
}

TEST_F(ClusterRoute, GnuParallelBlocksOnStdinThenMerge) {
  if (std::system("command -v parallel >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "GNU parallel (Debian: parallel) is not installed";
  const std::string cmd = "cd \"" + dir.string() + "\" && parallel --will-cite --pipepart -a manifest.txt " +
                          "--block -2 -j 2 '" + MICROFER_CLI + " label --files-from - --threads 1 " +
                          "--no-images --quiet --out gnu/part{#}" + options + "' 2>parallel.err";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir / "parallel.err");
  std::string parts;
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir / "gnu")) {
    parts += " \"" + e.path().string() + "\"";
    ++n;
  }
  EXPECT_GE(n, 2) << "the manifest went to more than one process";
  expectSameRowsAsOneRun(parts, "gnu-all");
}

TEST_F(CliTest, InfoNamesTheModelAndEveryDetectorChoice) {
  EXPECT_EQ(run("info --model " + model, dir), 0) << slurp(dir / "stderr.txt");
  const std::string out = slurp(dir / "stdout.txt");
  EXPECT_NE(out.find("parameters: "), std::string::npos) << out;
  // The network's own count, in millions (test model: width 8, 48x48).
  microfer::ModelInfo info;
  char compute[64];
  std::snprintf(compute, sizeof compute, "compute: %.1f M multiply-adds a view (",
                microfer::loadModel(model, info)->multiplyAdds() / 1e6);
  EXPECT_NE(out.find(compute), std::string::npos) << out;
  EXPECT_NE(out.find("detector haar: available"), std::string::npos) << out;
  EXPECT_NE(out.find(microfer::findMtcnnDir().empty() ? "detector mtcnn: unavailable"
                                                      : "detector mtcnn: available"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("): " + microfer::toString(microfer::resolveDetectorChoice("auto")) + "\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(run("info --model /nonexistent.mfm", dir), 3);
}

TEST_F(CliTest, UsageAndSetupErrorsHaveTheirExitCodes) {
  EXPECT_EQ(run("label", dir), 2);
  EXPECT_EQ(run("label x.png --tta sideways", dir), 2);
  EXPECT_EQ(run("frobnicate", dir), 2);
  EXPECT_EQ(run("label \"" + test::sourceDir() +
                    "/assets/astronaut.png\" --model /nonexistent.mfm --out \"" +
                    (dir / "r").string() + "\"",
                dir),
            3);
  EXPECT_NE(slurp(dir / "stderr.txt").find("/nonexistent.mfm"), std::string::npos);
  EXPECT_EQ(
      run("label \"" + test::sourceDir() + "/assets/astronaut.png\" --detector mtcnn --model " +
              model + " --out \"" + (dir / "r").string() + "\"",
          dir),
      findMtcnnDir().empty() ? 3 : 0);
  for (const char* bad : {"0.4,0.5", "0.4,0.5,1.2", "a,b,c", "0.4,0.5,0.4,0.3"}) {
    EXPECT_EQ(run(std::string("label x.png --detector mtcnn --mtcnn-thresholds ") + bad, dir), 2)
        << bad;
    EXPECT_NE(slurp(dir / "stderr.txt").find("--mtcnn-thresholds"), std::string::npos) << bad;
  }
  // A teacher list per --data source: one entry each, no empty model name, not with --teacher.
  for (const char* bad : {"--data a,b --source-teachers x", "--data a --source-teachers x+",
                          "--data a --source-teachers x --teacher y", "--csv c --source-teachers x"}) {
    EXPECT_EQ(run(std::string("train ") + bad, dir, MICROFER_TRAIN), 2) << bad;
    EXPECT_NE(slurp(dir / "stderr.txt").find("--source-teachers"), std::string::npos) << bad;
  }
  // An option given twice with two values: the last is used, and a warning says so (the same
  // value twice says nothing). The refused value is the one used: --tta is checked.
  EXPECT_EQ(run("label x.png --tta flip --tta=sideways", dir), 2);
  EXPECT_NE(slurp(dir / "stderr.txt")
                .find("option --tta given twice ('flip', then 'sideways'): 'sideways' is used"),
            std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(run("label --tta flip --tta=flip", dir), 2);
  EXPECT_EQ(slurp(dir / "stderr.txt").find("given twice"), std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(run("--help", dir), 0);
  EXPECT_NE(slurp(dir / "stdout.txt").find("label PATH"), std::string::npos);
  EXPECT_EQ(run("label --help", dir), 0);
}

TEST_F(CliTest, PackWritesTheCropsOfAFolderAndCurvesPlotsAMetricsFile) {
  // Two classes of drawn 60x60 images; pack resizes them to --size.
  const fs::path data = dir / "crops";
  int n = 0;
  for (const char* cls : {"happy", "sad"}) {
    fs::create_directories(data / cls);
    for (int i = 0; i < 3; ++i, ++n) {
      cv::Mat img(60, 60, CV_8UC1, cv::Scalar(20 * n));
      cv::circle(img, {30, 30}, 10 + i, cv::Scalar(255), -1);
      cv::imwrite((data / cls / ("Training_" + std::to_string(i) + ".png")).string(), img);
    }
  }
  cv::imwrite((data / "sad" / "PublicTest_0.png").string(), cv::Mat(60, 60, CV_8UC1, cv::Scalar(7)));
  const fs::path pack = dir / "train.mfc";
  ASSERT_EQ(run("pack --data \"" + data.string() + "\" --split train --size 32 --out \"" +
                    pack.string() + "\"",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  const CropPack p = readCropPack(pack.string());
  EXPECT_EQ(p.size, 32);
  EXPECT_EQ(p.count(), 6u) << "the PublicTest_ file is not part of --split train";
  const auto counts = p.classCounts();
  EXPECT_EQ(counts[3], 3);  // happy
  EXPECT_EQ(counts[4], 3);  // sad
  // Pixels are the images', resized: the first happy image has a white disc in the middle.
  EXPECT_EQ(p.pixels[16 * 32 + 16], 255);
  EXPECT_EQ(run("pack --data \"" + data.string() + "\" --split sideways --out x.mfc", dir,
                MICROFER_TRAIN),
            2);

  const fs::path metrics = dir / "metrics.csv", png = dir / "curves.png";
  std::ofstream(metrics) << "epoch,train_loss,train_accuracy,val_accuracy,val_flip_accuracy,lr,"
                            "seconds,images_per_second\n1,1.9,0.3,0.35,0.36,0.1,2,100\n"
                            "2,1.5,0.5,0.45,0.47,0.05,2,100\n";
  ASSERT_EQ(run("curves --metrics \"" + metrics.string() + "\" --out \"" + png.string() + "\"",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  const cv::Mat plot = cv::imread(png.string());
  EXPECT_FALSE(plot.empty());
  std::ofstream(metrics, std::ios::app) << "3,oops,0.5,0.45,0.47,0.05,2,100\n";
  EXPECT_NE(run("curves --metrics \"" + metrics.string() + "\" --out \"" + png.string() + "\"",
                dir, MICROFER_TRAIN),
            0);
  EXPECT_NE(slurp(dir / "stderr.txt").find("metrics.csv':4: not a number"), std::string::npos)
      << slurp(dir / "stderr.txt");
}


// crops: the detector + aligner cut the face out of a photo set, once; eval reads the cache
// by person-level split; train refuses to validate on FER2013's test part.
TEST_F(CliTest, CropsCacheFacesOfAPhotoSetAndTrainingRefusesTheTestPart) {
  const fs::path photos = dir / "photos", cache = dir / "cache";
  fs::create_directories(photos / "happy");
  fs::create_directories(photos / "sad");
  const cv::Mat astronaut = cv::imread(test::sourceDir() + "/assets/astronaut.png");
  ASSERT_FALSE(astronaut.empty());
  cv::imwrite((photos / "happy" / "Eileen_Collins_0001.png").string(),
              astronaut(cv::Rect(140, 20, 200, 200)));
  cv::imwrite((photos / "sad" / "Nobody_0001.png").string(),
              cv::Mat(160, 160, CV_8UC3, cv::Scalar(120, 120, 120)));
  const std::string args = "crops --photos \"" + photos.string() + "\" --out \"" +
                           cache.string() + "\" --model " + model;
  ASSERT_EQ(run(args, dir, MICROFER_TRAIN), 0) << slurp(dir / "stderr.txt");
  EXPECT_NE(slurp(dir / "stdout.txt").find("face found in 1 of 2 photos (50.00%)"),
            std::string::npos)
      << slurp(dir / "stdout.txt");
  const cv::Mat crop = cv::imread((cache / "happy" / "Eileen_Collins_0001.png").string(),
                                  cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(crop.empty());
  EXPECT_EQ(crop.size(), cv::Size(48, 48));
  EXPECT_EQ(crop.type(), CV_8UC1);
  EXPECT_FALSE(fs::exists(cache / "sad" / "Nobody_0001.png"));
  EXPECT_EQ(lines(cache / "crops.csv").size(), 3u);  // header + every photo
  ASSERT_EQ(run(args, dir, MICROFER_TRAIN), 0);
  EXPECT_NE(slurp(dir / "stdout.txt").find("[cached]"), std::string::npos)
      << "the same settings reuse the cache";
  ASSERT_EQ(run(args + " --pad 0.3", dir, MICROFER_TRAIN), 0);
  EXPECT_EQ(slurp(dir / "stdout.txt").find("[cached]"), std::string::npos)
      << "other settings recompute it";

  // eval on the cache, by person-level split.
  std::ofstream(dir / "split.csv") << "person,part\nEileen_Collins,test\nNobody,train\n";
  ASSERT_EQ(run("eval --data \"" + cache.string() + "\" --split test --split-list \"" +
                    (dir / "split.csv").string() + "\" --model " + model,
                dir),
            0)
      << slurp(dir / "stderr.txt");
  EXPECT_NE(slurp(dir / "stdout.txt").find("n=1"), std::string::npos) << slurp(dir / "stdout.txt");
  EXPECT_EQ(run("eval --data \"" + cache.string() + "\" --split test --model " + model, dir), 2)
      << "a person split needs its list";

  // train: a validation prefix that reaches PrivateTest_ files is refused (exit 2).
  const fs::path fer = dir / "fer";
  fs::create_directories(fer / "happy");
  for (const char* f : {"Training_1.png", "PublicTest_1.png", "PrivateTest_1.png"})
    cv::imwrite((fer / "happy" / f).string(), cv::Mat(48, 48, CV_8UC1, cv::Scalar(100)));
  for (const char* prefix : {"PrivateTest_", "\"\"", "Priv"}) {
    EXPECT_EQ(run("train --data \"" + fer.string() + "\" --val \"" + fer.string() +
                      "\" --val-prefix " + prefix + " --epochs 1 --out \"" + (dir / "t").string() +
                      "\"",
                  dir, MICROFER_TRAIN),
              2)
        << prefix;
    EXPECT_NE(slurp(dir / "stderr.txt").find("PrivateTest_"), std::string::npos);
  }
  EXPECT_EQ(run("train --data \"" + fer.string() + "\" --weights 1,2 --epochs 1", dir,
                MICROFER_TRAIN),
            2)
      << "one weight per --data folder";
}


// train wires the micro-attention unit as told; a new run takes the prototxt's wiring (rule
// i), a fine-tuning run its start model's, and the two wirings never mix in one run.
TEST_F(CliTest, TrainWiresTheAttentionUnitAsToldOrAsItsStartModel) {
  const fs::path data = dir / "crops";
  for (const char* cls : {"happy", "sad"}) {
    fs::create_directories(data / cls);
    for (int i = 0; i < 8; ++i)
      cv::imwrite((data / cls / ("Training_" + std::to_string(i) + ".png")).string(),
                  cv::Mat(48, 48, CV_8UC1, cv::Scalar(cls[0] == 'h' ? 60 + i : 180 - i)));
  }
  const auto train = [&](const std::string& name, const std::string& extra) {
    return run("train --data \"" + data.string() + "\" --epochs 1 --width 4 --batch 8 "
               "--threads 1 --out \"" + (dir / name).string() + "\" " + extra,
               dir, MICROFER_TRAIN);
  };
  const auto wiring = [&](const std::string& name) {
    return attentionWiringName(readModelInfo((dir / name / "last.mfm").string()).network);
  };
  ASSERT_EQ(train("new", ""), 0) << slurp(dir / "stderr.txt");
  EXPECT_EQ(wiring("new"), "prototxt");
  ASSERT_EQ(train("old", "--attention-wiring microfer"), 0) << slurp(dir / "stderr.txt");
  EXPECT_EQ(wiring("old"), "microfer");
  const std::string fromOld = "--init \"" + (dir / "old" / "last.mfm").string() + "\"";
  ASSERT_EQ(train("tuned", fromOld), 0) << slurp(dir / "stderr.txt");
  EXPECT_EQ(wiring("tuned"), "microfer") << "--init keeps its model's wiring";
  EXPECT_NE(train("mixed", fromOld + " --attention-wiring prototxt"), 0)
      << "the same tensors wired otherwise would load silently";
  EXPECT_NE(slurp(dir / "stderr.txt").find("has attention on,"), std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(train("bad", "--attention-wiring caffe"), 2);
  EXPECT_EQ(train("bad", "--no-attention --attention-wiring microfer"), 2);
}


// microfer-bench on frames: each stage of the pipeline, and MTCNN's own stages (P-, R-, O-Net)
// with the boxes each passes on.
TEST_F(CliTest, BenchFramesTimesThePipelineAndTheDetectorsStages) {
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  if (microfer::findMtcnnDir().empty()) GTEST_SKIP() << "no MTCNN weights";
  const fs::path json = dir / "bench.json";
  ASSERT_EQ(run("--detector mtcnn --tta off --frames 3 --warmup 1 --model " + model +
                    " --json '" + json.string() + "'",
                dir, MICROFER_BENCH),
            0)
      << slurp(dir / "stderr.txt");
  const std::string out = slurp(dir / "stdout.txt");
  EXPECT_NE(out.find("detector stages (the same frames again, through the detector alone):\n"
                     "  p-net "),
            std::string::npos)
      << out;
  const nlohmann::json r = nlohmann::json::parse(slurp(json));
  const auto& stages = r.at("detect_stages");
  for (const char* name : {"p-net", "r-net", "o-net"}) {
    ASSERT_TRUE(stages.contains(name)) << stages.dump();
    EXPECT_GE(stages.at(name).at("p50_ms").get<double>(), 0) << name;
    EXPECT_GE(stages.at(name).at("p95_ms").get<double>(),
              stages.at(name).at("p50_ms").get<double>())
        << name;
  }
  EXPECT_GT(stages.at("p-net").at("p50_ms").get<double>(), 0);  // 8 pyramid levels
  // One planted face a frame: O-Net passes it on, P-Net many candidates.
  EXPECT_GE(stages.at("o-net").at("boxes_p50").get<double>(), 1);
  EXPECT_GE(stages.at("p-net").at("boxes_p50").get<double>(),
            stages.at("r-net").at("boxes_p50").get<double>());
  // Haar has no stages of its own.
  ASSERT_EQ(run("--detector haar --tta off --frames 2 --warmup 0 --model " + model + " --json '" +
                    json.string() + "'",
                dir, MICROFER_BENCH),
            0);
  EXPECT_FALSE(nlohmann::json::parse(slurp(json)).contains("detect_stages"));
}

// microfer-bench roofline: the network's own operation count, a measured throughput, and each
// TTA mode's classify time beside the least it could take (views x operations / throughput).
TEST_F(CliTest, RooflineSetsClassifyTimesAgainstTheNetworksArithmetic) {
  const fs::path json = dir / "roofline.json";
  ASSERT_EQ(run("roofline --model " + model + " --threads 1 --repeats 3 --json '" +
                    json.string() + "'",
                dir, MICROFER_BENCH),
            0)
      << slurp(dir / "stderr.txt");
  const std::vector<std::string> out = lines(dir / "stdout.txt");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().rfind("gflop_per_view=", 0), 0u) << out.back();
  EXPECT_NE(out.back().find(" least_flip_ms="), std::string::npos) << out.back();
  const nlohmann::json r = nlohmann::json::parse(slurp(json));
  microfer::ModelInfo info;
  const int64_t macs = microfer::loadModel(model, info)->multiplyAdds();
  EXPECT_EQ(r.at("multiply_adds_per_view").get<int64_t>(), macs);
  EXPECT_NEAR(r.at("gflop_per_view").get<double>(), 2.0 * macs / 1e9, 1e-9);
  EXPECT_EQ(r.at("torch_threads").get<int>(), 1);
  const double gflops = r.at("matmul_gflops_1").get<double>();
  EXPECT_GT(gflops, 0);
  // On one thread the least time of a mode is all its views' operations at one thread's
  // measured throughput.
  const std::map<std::string, int> views = {{"off", 1}, {"flip", 2}, {"full", 8}};
  for (const auto& [mode, n] : views) {
    EXPECT_GT(r.at("classify_" + mode + "_ms").get<double>(), 0) << mode;
    EXPECT_NEAR(r.at("least_" + mode + "_ms").get<double>(), n * 2.0 * macs / 1e9 / gflops * 1e3,
                0.01 + 0.01 * n)
        << mode;
  }
  EXPECT_EQ(run("roofline --repeats 0", dir, MICROFER_BENCH), 2);
}

// --version names the program, the model (with its checksum) and the libraries; -h is help
// on every command; logs never reach stdout.
TEST_F(CliTest, VersionShortHelpAndLogsOnStderr) {
  ASSERT_EQ(run("--version", dir), 0);
  const std::string v = slurp(dir / "stdout.txt");
  for (const char* part : {"microfer-cli ", "model: ", "FNV-1a 64 ", "LibTorch ", "OpenCV "})
    EXPECT_NE(v.find(part), std::string::npos) << part << " missing from: " << v;
  for (const char* cmd : {"label", "merge", "eval", "info"}) {
    EXPECT_EQ(run(std::string(cmd) + " -h", dir), 0) << cmd;
    EXPECT_NE(slurp(dir / "stdout.txt").find(cmd), std::string::npos) << cmd;
  }
  // microfer-train, the research tool: the same set-up, --version and help on its commands.
  ASSERT_EQ(run("--version", dir, MICROFER_TRAIN), 0);
  EXPECT_EQ(slurp(dir / "stdout.txt").rfind("microfer-train ", 0), 0u) << slurp(dir / "stdout.txt");
  for (const char* cmd : {"train", "cv", "loso", "baseline", "export", "pack", "crops", "calibrate",
                          "average", "curves", "geometry"}) {
    EXPECT_EQ(run(std::string(cmd) + " -h", dir, MICROFER_TRAIN), 0) << cmd;
    EXPECT_NE(slurp(dir / "stdout.txt").find(std::string("microfer-train ") + cmd),
              std::string::npos)
        << cmd << ": " << slurp(dir / "stdout.txt");
  }
  // microfer-bench: the same set-up, --version and help on its commands.
  ASSERT_EQ(run("--version", dir, MICROFER_BENCH), 0);
  EXPECT_EQ(slurp(dir / "stdout.txt").rfind("microfer-bench ", 0), 0u) << slurp(dir / "stdout.txt");
  for (const char* cmd : {"bench", "soak", "roofline"}) {
    EXPECT_EQ(run(std::string(cmd) + " -h", dir, MICROFER_BENCH), 0) << cmd;
    EXPECT_NE(slurp(dir / "stdout.txt").find(std::string("microfer-bench ") + cmd),
              std::string::npos)
        << cmd;
  }
  // A verbose run logs (debug lines) on stderr; stdout holds only the results.
  ASSERT_EQ(run("label \"" + test::sourceDir() + "/assets/astronaut.png\" --verbose --model " +
                    model + " --out \"" + (dir / "r").string() + "\"",
                dir),
            0);
  EXPECT_NE(slurp(dir / "stderr.txt").find("[debug]"), std::string::npos);
  for (const auto& line : lines(dir / "stdout.txt"))
    EXPECT_EQ(line.find("[debug]"), std::string::npos) << line;
}


/// Copies the first `perClass` images of each class folder of `from` into `to` (real crops).
int copyRealCrops(const fs::path& from, const fs::path& to, int perClass,
                  const std::string& prefix = "") {
  int n = 0;
  for (const auto& cls : fs::directory_iterator(from)) {
    if (!cls.is_directory() || cls.path().filename() == "contempt") continue;
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(cls.path()))
      if (prefix.empty() || f.path().filename().string().rfind(prefix, 0) == 0)
        files.push_back(f.path());
    std::sort(files.begin(), files.end());
    fs::create_directories(to / cls.path().filename());
    for (int i = 0; i < perClass && i < static_cast<int>(files.size()); ++i, ++n)
      fs::copy_file(files[i], to / cls.path().filename() / files[i].filename());
  }
  return n;
}

double lastFigure(const std::string& text, const std::string& key) {
  const auto at = text.rfind(key);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
}

// eval on a tiny real set: --split keeps only that part's files, and the accuracy is the
// shipped model's own answers on those crops.
TEST_F(CliTest, EvalKeepsItsSplitAndCountsTheModelsAnswers) {
  MICROFER_REQUIRE_SHARED("data/fer2013/test");
  const fs::path data = dir / "fer";
  const int pub = copyRealCrops(test::sharedDir() + "/data/fer2013/test", data, 3, "PublicTest_");
  const int priv = copyRealCrops(test::sharedDir() + "/data/fer2013/test", data, 2, "PrivateTest_");
  ASSERT_EQ(pub, 21);
  ASSERT_EQ(priv, 14);
  for (const auto& [split, n] : std::vector<std::pair<std::string, int>>{
           {"public", pub}, {"private", priv}, {"all", pub + priv}}) {
    ASSERT_EQ(run("eval --data \"" + data.string() + "\" --split " + split + " --tta off", dir), 0)
        << slurp(dir / "stderr.txt");
    const std::string out = slurp(dir / "stdout.txt");
    EXPECT_NE(out.find("n=" + std::to_string(n) + "\n"), std::string::npos) << split << "\n" << out;
  }
  // The same crops through the library: the accuracy eval printed for "all".
  const std::string out = slurp(dir / "stdout.txt");
  ExpressionClassifier clf(ClassifierConfig{"", TtaConfig{TtaMode::Off}});
  int right = 0, total = 0;
  for (const auto& cls : fs::directory_iterator(data))
    for (const auto& f : fs::directory_iterator(cls.path())) {
      right += clf.classify(cv::imread(f.path().string(), cv::IMREAD_GRAYSCALE)).label ==
               emotionIndex(cls.path().filename().string());
      ++total;
    }
  // Batched and one-by-one passes may differ in the last bits: at most a near-tie's flip.
  EXPECT_NEAR(lastFigure(out, "accuracy="), double(right) / total, 1.5 / total) << out;

  // --probs: one row an image, with the file, its true class, the label (the most probable
  // class), and probabilities that sum to 1 and agree with the library's.
  const fs::path probs = dir / "answers.csv";
  ASSERT_EQ(run("eval --data \"" + data.string() + "\" --split private --tta off --probs \"" +
                    probs.string() + "\"",
                dir),
            0)
      << slurp(dir / "stderr.txt");
  const auto rows = lines(probs);
  ASSERT_EQ(rows.size(), size_t(priv) + 1);
  EXPECT_EQ(rows[0], "file,truth,label,confidence,uncertain,angry,disgust,fear,happy,sad,"
                     "surprise,neutral");
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<std::string> f;
    std::istringstream in(rows[r]);
    for (std::string field; std::getline(in, field, ',');) f.push_back(field);
    ASSERT_EQ(f.size(), 12u) << rows[r];
    EXPECT_EQ(fs::path(f[0]).parent_path().filename().string(), f[1]) << rows[r];
    std::array<float, kNumEmotions> p{};
    float sum = 0;
    for (int c = 0; c < kNumEmotions; ++c) sum += p[c] = std::stof(f[5 + c]);
    EXPECT_NEAR(sum, 1.f, 1e-4) << rows[r];
    const int label = int(std::max_element(p.begin(), p.end()) - p.begin());
    EXPECT_EQ(emotionNames()[label], f[2]) << rows[r];
    EXPECT_FLOAT_EQ(std::stof(f[3]), p[label]) << rows[r];
    const Prediction lib = clf.classify(cv::imread(f[0], cv::IMREAD_GRAYSCALE));
    for (int c = 0; c < kNumEmotions; ++c) EXPECT_NEAR(p[c], lib.probs[c], 1e-4) << rows[r];
  }

  // An ensemble (--model A,B): the argmax of the mean of the members' probabilities. Its
  // confusion matrix is compared with the one the library's own members give, cell by cell.
  const std::string v3 = test::sourceDir() + "/models/microfer-resnet10-v7.mfm";
  const std::string v2 = test::sourceDir() + "/models/microfer-resnet10-fer2013.mfm";
  ASSERT_EQ(run("eval --data \"" + data.string() + "\" --tta off --model " + v3 + "," + v2, dir), 0)
      << slurp(dir / "stderr.txt");
  const std::string ensembleOut = slurp(dir / "stdout.txt");
  EXPECT_NE(ensembleOut.find("ensemble of 2 models"), std::string::npos) << ensembleOut;
  std::vector<std::vector<int>> printed;  // rows: true class, columns: predicted
  {
    std::istringstream in(ensembleOut.substr(ensembleOut.find("confusion (rows")));
    std::string line;
    std::getline(in, line);
    std::getline(in, line);  // the column names
    for (int t = 0; t < kNumEmotions && std::getline(in, line); ++t) {
      std::istringstream row(line);
      std::string name;
      row >> name;
      printed.emplace_back(kNumEmotions);
      for (int& v : printed.back()) row >> v;
    }
  }
  ASSERT_EQ(printed.size(), size_t(kNumEmotions)) << ensembleOut;
  ExpressionClassifier first(ClassifierConfig{v3, TtaConfig{TtaMode::Off}});
  ExpressionClassifier second(ClassifierConfig{v2, TtaConfig{TtaMode::Off}});
  std::vector<std::vector<int>> ensemble(kNumEmotions, std::vector<int>(kNumEmotions)),
      firstOnly = ensemble;
  for (const auto& cls : fs::directory_iterator(data))
    for (const auto& f : fs::directory_iterator(cls.path())) {
      const cv::Mat crop = cv::imread(f.path().string(), cv::IMREAD_GRAYSCALE);
      const Prediction p = first.classify(crop), q = second.classify(crop);
      std::array<float, kNumEmotions> mean{};
      for (int c = 0; c < kNumEmotions; ++c) mean[c] = p.probs[c] + q.probs[c];
      const int truth = emotionIndex(cls.path().filename().string());
      ++ensemble[truth][std::max_element(mean.begin(), mean.end()) - mean.begin()];
      ++firstOnly[truth][p.label];
    }
  const auto distance = [](const auto& a, const auto& b) {
    int d = 0;
    for (int t = 0; t < kNumEmotions; ++t)
      for (int c = 0; c < kNumEmotions; ++c) d += std::abs(a[t][c] - b[t][c]);
    return d;
  };
  ASSERT_GT(distance(firstOnly, ensemble), 2)
      << "these crops must tell the ensemble from its first model, or the check below shows nothing";
  // Batched and one-by-one passes may differ in the last bits: at most a near-tie's flip
  // (one crop moves between two cells).
  EXPECT_LE(distance(printed, ensemble), 2) << ensembleOut;
}

// average on two shipped models of one lineage: weights 0,1 give the second model's weights
// exactly, 1,1 the midpoint of every tensor; the result is uncalibrated and names its members
// and its command; a weight list of the wrong length, a negative weight, one model and another
// architecture are usage errors.
TEST_F(CliTest, AverageWritesTheWeightedMeanOfModelsOfOneArchitecture) {
  // v7 descends from the FER2013-only model (fine-tuned, never re-initialised): one lineage.
  const std::string v5 = test::sourceDir() + "/models/microfer-resnet10-fer2013.mfm";
  const std::string v6 = test::sourceDir() + "/models/microfer-resnet10-v7.mfm";
  const std::string both = "average --model \"" + v5 + "," + v6 + "\"";
  const fs::path same = dir / "same ü.mfm", mid = dir / "mid.mfm";
  ASSERT_EQ(run(both + " --weights 0,1 --out \"" + same.string() + "\"", dir, MICROFER_TRAIN), 0)
      << slurp(dir / "stderr.txt");
  EXPECT_NE(slurp(dir / "stdout.txt").find("calibrate"), std::string::npos);
  ASSERT_EQ(run(both + " --out \"" + mid.string() + "\" --name m", dir, MICROFER_TRAIN), 0)
      << slurp(dir / "stderr.txt");
  ModelInfo i5, i6, is, im;
  MicroAttentionResNet n5 = loadModel(v5, i5), n6 = loadModel(v6, i6);
  MicroAttentionResNet ns = loadModel(same.string(), is), nm = loadModel(mid.string(), im);
  auto p5 = n5->named_parameters(), p6 = n6->named_parameters(), ps = ns->named_parameters();
  size_t differing = 0;
  for (const auto& p : nm->named_parameters()) {
    EXPECT_TRUE(ps[p.key()].equal(p6[p.key()])) << p.key();
    EXPECT_TRUE(torch::allclose(p.value(), 0.5 * (p5[p.key()] + p6[p.key()]), 1e-6, 1e-7))
        << p.key();
    differing += !p5[p.key()].equal(p6[p.key()]);
  }
  EXPECT_GT(differing, 0u);  // the two members really differ
  EXPECT_EQ(im.name, "m");
  EXPECT_EQ(im.temperature, 1.f);
  EXPECT_EQ(im.uncertainBelow, 0.f);
  EXPECT_NE(i6.temperature, 1.f);  // the member was calibrated; the average is not
  EXPECT_NE(im.notes.find("0.5000 x " + v5), std::string::npos) << im.notes;
  EXPECT_NE(im.notes.find("0.5000 x " + v6), std::string::npos) << im.notes;
  EXPECT_NE(im.notes.find("averaged by: microfer-train average"), std::string::npos) << im.notes;
  EXPECT_EQ(im.crop.leftEyeX, i6.crop.leftEyeX);

  const std::string out = " --out \"" + (dir / "x.mfm").string() + "\"";
  EXPECT_EQ(run(both + " --weights 1" + out, dir, MICROFER_TRAIN), 2);
  EXPECT_EQ(run(both + " --weights 1,-1" + out, dir, MICROFER_TRAIN), 2);
  EXPECT_EQ(run(both + " --weights 0,0" + out, dir, MICROFER_TRAIN), 2);
  EXPECT_EQ(run(both, dir, MICROFER_TRAIN), 2);
  // One model is no average; v7 and the shipped model differ in width (32, 8).
  EXPECT_EQ(run("average --model \"" + v6 + "\"" + out, dir, MICROFER_TRAIN), 2);
  EXPECT_EQ(run("average --model \"" + v6 + "," + model + "\"" + out, dir, MICROFER_TRAIN), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("cannot average"), std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_FALSE(fs::exists(dir / "x.mfm"));
}

// cv end to end on real CK+ crops: folds by subject, and the summary is the mean and the
// population standard deviation of the per-fold accuracies it printed; its folds' wiring.
TEST_F(CliTest, CrossValidationSummaryIsMeanAndStdOfItsFolds) {
  MICROFER_REQUIRE_SHARED("data/ckplus48");
  const fs::path data = dir / "ck";
  copyRealCrops(test::sharedDir() + "/data/ckplus48", data, 12);
  ASSERT_EQ(run("cv --data \"" + data.string() + "\" --folds 3 --epochs 1 --width 4 --batch 16 "
                "--threads 1 --out \"" + (dir / "cv").string() + "\"",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  const auto out = lines(dir / "stdout.txt");
  std::vector<double> acc;
  size_t tested = 0;
  for (const auto& l : out)
    if (l.rfind("fold ", 0) == 0) {
      acc.push_back(lastFigure(l, "accuracy "));
      tested += std::stoul(l.substr(l.find(" test ") + 6));
    }
  ASSERT_EQ(acc.size(), 3u);
  EXPECT_EQ(tested, 12u * 6) << "every crop is tested once (6 classes without contempt)";
  double mean = 0, var = 0;
  for (double a : acc) mean += a / 3;
  for (double a : acc) var += (a - mean) * (a - mean) / 3;
  const std::string all = slurp(dir / "stdout.txt");
  EXPECT_NEAR(lastFigure(all, "cv_accuracy_mean="), mean, 1e-4);
  EXPECT_NEAR(lastFigure(all, "cv_accuracy_std="), std::sqrt(var), 1e-4);

  // Its folds are wired as train's runs are: the prototxt's from scratch, or as told.
  const auto foldWiring = [&](const std::string& run) {
    return attentionWiringName(readModelInfo((dir / run / "fold0" / "last.mfm").string()).network);
  };
  EXPECT_EQ(foldWiring("cv"), "prototxt");
  ASSERT_EQ(run("cv --data \"" + data.string() + "\" --folds 2 --epochs 1 --width 4 --batch 16 "
                "--threads 1 --attention-wiring microfer --out \"" + (dir / "cvm").string() + "\"",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(foldWiring("cvm"), "microfer");
}

// cv reads the FER+ votes as train does: each image learns its raters' distribution and is
// scored against its top class. Votes that call every crop happy are what the folds score.
TEST_F(CliTest, CrossValidationReadsFerPlusVotes) {
  MICROFER_REQUIRE_SHARED("data/ckplus48");
  const fs::path data = dir / "ck";
  const int perClass = 4;
  copyRealCrops(test::sharedDir() + "/data/ckplus48", data, perClass);
  {
    std::ofstream votes(dir / "votes.csv");
    votes << "file,usage,ferplus_image,neutral,happiness,surprise,sadness,anger,disgust,fear,"
             "contempt,unknown,NF,match_rmse\n";
    for (const auto& e : fs::recursive_directory_iterator(data))
      if (e.is_regular_file())
        votes << "ck/" << e.path().parent_path().filename().string() << "/"
              << e.path().filename().string() << ",Training,x.png,0,10,0,0,0,0,0,0,0,0,1.0\n";
  }
  ASSERT_EQ(run("cv --data \"" + data.string() + "\" --folds 2 --epochs 1 --width 4 --batch 16 "
                "--threads 1 --ferplus \"" + (dir / "votes.csv").string() + "\" --out \"" +
                (dir / "cv").string() + "\"",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  const std::string out = slurp(dir / "stdout.txt");
  const int n = perClass * 6;  // 6 classes without contempt
  EXPECT_NE(out.find("FER+ votes: " + std::to_string(n) + " images learn"), std::string::npos)
      << out;
  // Every held-out crop's truth is now happy: the pooled report's happy line (precision,
  // recall, f1, support) has all of them as its support.
  const auto at = out.find("\nhappy ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string line = out.substr(at + 1, out.find('\n', at + 1) - at - 1);
  EXPECT_EQ(std::stoi(line.substr(line.find_last_of(' ') + 1)), n) << line;
  // A votes file that names none of the images is refused.
  std::ofstream(dir / "none.csv") << "file,usage,ferplus_image,neutral,happiness,surprise,"
                                     "sadness,anger,disgust,fear,contempt,unknown,NF,match_rmse\n"
                                     "x/y/z.png,Training,x.png,0,10,0,0,0,0,0,0,0,0,1.0\n";
  EXPECT_EQ(run("cv --data \"" + data.string() + "\" --folds 2 --epochs 1 --width 4 --ferplus \"" +
                    (dir / "none.csv").string() + "\" --out \"" + (dir / "cv2").string() + "\"",
                dir, MICROFER_TRAIN),
            2);
}

// The LBP + SVM baseline end to end on real crops: it trains, tests on the other part and
// reports every test image.
TEST_F(CliTest, BaselineTrainsAndReportsEveryTestImage) {
  MICROFER_REQUIRE_SHARED("data/fer2013/train");
  const fs::path train = dir / "train", testDir = dir / "test";
  copyRealCrops(test::sharedDir() + "/data/fer2013/train", train, 15);
  const int n = copyRealCrops(test::sharedDir() + "/data/fer2013/test", testDir, 4, "PrivateTest_");
  ASSERT_EQ(run("baseline --features lbp --train \"" + train.string() + "\" --test \"" +
                    testDir.string() + "\" --split private",
                dir, MICROFER_TRAIN),
            0)
      << slurp(dir / "stderr.txt");
  const std::string out = slurp(dir / "stdout.txt");
  EXPECT_NE(out.find("n=" + std::to_string(n) + "\n"), std::string::npos) << out;
  EXPECT_NE(out.find("features: lbp"), std::string::npos) << out;
}

}  // namespace
}  // namespace microfer

namespace microfer {
namespace {

/// The paragraph of `option` ("  --min-face PX ...", continuation lines included) in a help.
std::string optionParagraph(const std::string& help, const std::string& option) {
  std::istringstream in(help);
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("  --", 0) == 0 || line.empty() || line[0] != ' ')
      inside = line.rfind("  --" + option + " ", 0) == 0 || line == "  --" + option;
    if (inside) out += line + "\n";
  }
  return out;
}

// One description of each pipeline option: every command that takes it prints the same
// paragraph, with the core's defaults; a command refuses the options it does not take; bench
// and soak (to microfer-bench) and the research commands (to microfer-train) moved out of the
// product CLI and say where to.
TEST(CliOptions, EachPipelineOptionHasOneDescriptionWithTheCoresDefaults) {
  const fs::path dir = test::tempDir("cli-options");
  struct Help {
    const char* program;
    const char* command;
  };
  const Help helps[] = {{MICROFER_CLI, "label"}, {MICROFER_CLI, "eval"},
                        {MICROFER_TRAIN, "crops"}, {MICROFER_BENCH, "bench"}};
  std::map<std::string, std::string> first;  // option -> its paragraph in label's help
  for (const auto& h : helps) {
    ASSERT_EQ(run(std::string(h.command) + " --help", dir, h.program), 0) << h.command;
    const std::string help = slurp(dir / "stdout.txt");
    for (const char* option :
         {"detector", "min-face", "mtcnn-thresholds", "yunet-thresholds", "threads"}) {
      const std::string paragraph = optionParagraph(help, option);
      ASSERT_FALSE(paragraph.empty()) << h.command << " --" << option << " in:\n" << help;
      if (!first.count(option)) first[option] = paragraph;
      EXPECT_EQ(paragraph, first[option]) << h.command << " --" << option;
    }
  }
  const PipelineConfig defaults;
  EXPECT_NE(first["min-face"].find("(default " + std::to_string(defaults.detector.minFaceSize) +
                                   ")"),
            std::string::npos)
      << first["min-face"];
  ASSERT_EQ(run("label --help", dir), 0);
  const std::string label = slurp(dir / "stdout.txt");
  EXPECT_NE(optionParagraph(label, "tta").find("(default " +
                                               toString(defaults.classifier.tta.mode) + ")"),
            std::string::npos)
      << label;
  EXPECT_NE(optionParagraph(label, "detect-every")
                .find("(default " + std::to_string(defaults.detectEvery) + ";"),
            std::string::npos)
      << label;
  // crops detects and aligns only: no TTA.
  EXPECT_EQ(run("crops --photos a --out b --tta flip", dir, MICROFER_TRAIN), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("unknown option --tta"), std::string::npos);
  // An unknown first word points to the tool's own help; -v is --verbose, not an input.
  EXPECT_EQ(run("frobnicate", dir), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("unknown command 'frobnicate' (try: microfer-cli --help)"),
            std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(run("clip.avi", dir, MICROFER_BENCH), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("(try: microfer-bench --help)"), std::string::npos);
  EXPECT_EQ(run("label", dir, MICROFER_TRAIN), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("unknown command 'label' (try: microfer-train --help)"),
            std::string::npos)
      << slurp(dir / "stderr.txt");
  EXPECT_EQ(run("label -v", dir), 2);
  EXPECT_NE(slurp(dir / "stderr.txt").find("give at least one image"), std::string::npos)
      << slurp(dir / "stderr.txt");
  for (const char* moved : {"bench", "soak"}) {
    EXPECT_EQ(run(std::string(moved) + " --frames 1", dir), 2) << moved;
    EXPECT_NE(slurp(dir / "stderr.txt").find(std::string("microfer-bench ") + moved),
              std::string::npos)
        << slurp(dir / "stderr.txt");
  }
  // The research commands moved to microfer-train: one line names their new home.
  for (const std::string moved : {"train", "cv", "loso", "baseline", "export", "pack", "crops",
                                  "calibrate", "average", "curves", "geometry"}) {
    EXPECT_EQ(run(moved + " --help", dir), 2) << moved;
    EXPECT_EQ(slurp(dir / "stderr.txt"), "microfer-cli: '" + moved +
                                             "' is a command of microfer-train now (see: "
                                             "microfer-train " + moved + " --help)\n")
        << moved;
  }
}

}  // namespace
}  // namespace microfer
