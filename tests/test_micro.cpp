// Micro-expressions: the CASME II-style loader, leave-one-subject-out, UF1/UAR. No
// micro-expression data can be had here, so every test draws its own tiny CASME II-like
// fixture: 4 subjects x 5 episodes (one per class of the 5-class protocol).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "microfer/train/cross_validation.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/train/micro_dataset.hpp"
#include "microfer/classify/model_file.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

constexpr int kSubjects = 4, kClasses = 5;
const std::string kHeader =
    "\xEF\xBB\xBFSubject,Filename, OnsetFrame ,Apex Frame,offsetframe,Action Units,estimated "
    "emotion";

// Frame `frame` of an episode of class `cls`: a background level that rises with the frame
// number (so frames differ), and the class pattern, strongest at the apex.
cv::Mat drawFrame(int cls, int subject, int frame, int apex) {
  const int bg = 30 + 6 * (frame % 10);  // up to 84: + 160 at the apex does not saturate
  cv::Mat img(80, 64, CV_8UC1, cv::Scalar(bg));
  const int amp = std::max(0, 160 - 50 * std::abs(frame - apex));
  const cv::Scalar ink(bg + amp);
  const int o = subject;  // subjects differ a little
  switch (cls) {
    case 0:  // happiness: horizontal bars
      for (int y = 10; y < 80; y += 16) cv::rectangle(img, {0, y + o, 64, 6}, ink, cv::FILLED);
      break;
    case 1:  // disgust: vertical bars
      for (int x = 6; x < 64; x += 16) cv::rectangle(img, {x + o, 0, 6, 80}, ink, cv::FILLED);
      break;
    case 2:  // repression: a disc
      cv::circle(img, {32 + o, 40}, 18, ink, cv::FILLED);
      break;
    case 3:  // surprise: a cross
      cv::line(img, {0, o}, {63, 79}, ink, 6);
      cv::line(img, {63, o}, {0, 79}, ink, 6);
      break;
    default:  // others: a frame
      cv::rectangle(img, {8 + o, 8, 46, 62}, ink, 5);
  }
  cv::Mat bgr;
  cv::cvtColor(img, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

struct Fixture {
  fs::path dir, root, sheet;
  std::vector<std::string> rows;  ///< sheet rows after the header (line = index + 2)
  int slashLine = 0;              ///< the row with ApexFrame '/'
  int auLine = 0;                 ///< the row with a quoted Action Units cell
};

int apexOf(int cls, int subject) {
  return 10 * (cls + 1) + subject + 2 + cls % 3;
}

void writeSheet(const Fixture& fx, const std::vector<std::string>& rows,
                const std::string& header = kHeader) {
  std::ofstream f(fx.sheet, std::ios::binary);
  f << header << "\r\n";  // Excel writes CRLF
  for (const auto& r : rows) f << r << "\r\n";
  f << std::string(6, header.find(';') != std::string::npos ? ';' : ',')
    << "\r\n";  // and trailing empty rows
}

// Frames for 4 subjects x 5 classes; the sheet spells subjects "01", "2", "sub03", "4" and
// has one fear row (dropped by the 5-class protocol) and one row with ApexFrame '/'.
Fixture makeFixture(const std::string& tag) {
  Fixture fx;
  fx.dir = test::tempDir(tag);
  fx.root = fx.dir / "CASME2";
  fx.sheet = fx.dir / "labels.csv";
  const char* spelling[] = {"01", "2", "sub03", "4"};
  const auto& names = casme2FiveClasses();
  for (int s = 1; s <= kSubjects; ++s) {
    char sub[16];
    std::snprintf(sub, sizeof sub, "sub%02d", s);
    for (int c = 0; c < kClasses; ++c) {
      char ep[32];
      std::snprintf(ep, sizeof ep, "EP%02d_%02d%s", c + 1, s, c % 2 ? "f" : "");
      const fs::path epDir = fx.root / sub / ep;
      fs::create_directories(epDir);
      const int apex = apexOf(c, s), onset = apex - 2 - c % 3, offset = onset + 6;
      for (int t = onset; t <= offset; ++t)
        cv::imwrite((epDir / ("img" + std::to_string(t) + ".jpg")).string(),
                    drawFrame(c, s, t, apex));
      std::string name = names[c];
      name[0] = static_cast<char>(std::toupper(name[0]));
      const std::string aus = c == 2 && s == 3 ? "\"4,L10\"" : "12";
      if (c == 2 && s == 3) fx.auLine = static_cast<int>(fx.rows.size()) + 2;
      fx.rows.push_back(std::string(spelling[s - 1]) + "," + ep + "," + std::to_string(onset) +
                        "," + std::to_string(apex) + "," + std::to_string(offset) + "," + aus +
                        "," + name);
    }
    if (s == 1) fx.rows.push_back("01,EP09_01,5,9,14,4+7,fear");
    if (s == 2) {
      fx.slashLine = static_cast<int>(fx.rows.size()) + 2;
      fx.rows.push_back("02,EP10_02,5,/,14,4,others");
    }
  }
  writeSheet(fx, fx.rows);
  return fx;
}

cv::Mat expectedCrop(const fs::path& frame, int size = 48) {
  cv::Mat gray = toGray(readImage(frame.string()));
  cv::resize(gray, gray, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  return gray;
}

TEST(Casme2, LoadsTheApexFramesWithSubjectsAndLabels) {
  const Fixture fx = makeFixture("casme");
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string());
  ASSERT_EQ(ds.data.samples.size(), size_t(kSubjects * kClasses));
  ASSERT_EQ(ds.episodes.size(), ds.data.samples.size());
  EXPECT_EQ(ds.data.classNames, casme2FiveClasses());
  EXPECT_EQ(ds.dropped, 1) << "the fear row";
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_NE(ds.skipped[0].find("labels.csv:" + std::to_string(fx.slashLine) + ": no apex"),
            std::string::npos)
      << ds.skipped[0];
  EXPECT_EQ(ds.data.classCounts(), std::vector<int>(kClasses, kSubjects));
  std::set<std::string> subjects;
  for (size_t i = 0; i < ds.data.samples.size(); ++i) {
    const Sample& s = ds.data.samples[i];
    const MicroEpisode& e = ds.episodes[i];
    subjects.insert(s.subject);
    EXPECT_EQ(s.subject, e.subject);
    const int subject = std::stoi(s.subject.substr(3));
    EXPECT_EQ(e.apex, apexOf(s.label, subject)) << e.where;
    const fs::path dir = fx.root / s.subject / e.episode;
    EXPECT_EQ(fs::path(s.path), dir / ("img" + std::to_string(e.apex) + ".jpg"));
    ASSERT_EQ(s.image.type(), CV_8UC1);
    ASSERT_EQ(s.image.size(), cv::Size(48, 48));
    EXPECT_EQ(cv::norm(s.image, expectedCrop(s.path), cv::NORM_INF), 0) << s.path;
    for (int t : {e.apex - 1, e.apex + 1})
      EXPECT_GT(
          cv::norm(s.image, expectedCrop(dir / ("img" + std::to_string(t) + ".jpg")), cv::NORM_INF),
          20)
          << "frame " << t << " of " << e.where << " looks like the apex";
  }
  EXPECT_EQ(subjects, (std::set<std::string>{"sub01", "sub02", "sub03", "sub04"}));
  const auto au = std::find_if(ds.episodes.begin(), ds.episodes.end(), [&](const auto& e) {
    return e.where == fx.sheet.string() + ":" + std::to_string(fx.auLine);
  });
  ASSERT_NE(au, ds.episodes.end());
  EXPECT_EQ(au->actionUnits, "4,L10");
  EXPECT_EQ(au->emotion, "repression");
}

// Expects loadCasme2 to throw a DatasetError whose message contains `fragment`.
void expectLoadError(const Fixture& fx, const std::string& fragment, const MicroOptions& o = {}) {
  try {
    loadCasme2(fx.root.string(), fx.sheet.string(), o);
    ADD_FAILURE() << "no error; expected '" << fragment << "'";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Casme2, ClassSetIsAnOption) {
  const Fixture fx = makeFixture("classes");
  MicroOptions o;
  o.classes = {"surprise", "happiness"};
  const MicroDataset two = loadCasme2(fx.root.string(), fx.sheet.string(), o);
  EXPECT_EQ(two.data.classNames, o.classes);
  EXPECT_EQ(two.data.classCounts(), (std::vector<int>{kSubjects, kSubjects}));
  EXPECT_EQ(two.dropped, kSubjects * 3 + 2) << "3 classes, fear, and the '/' row of others";
  for (size_t i = 0; i < two.data.samples.size(); ++i)
    EXPECT_EQ(two.episodes[i].emotion, o.classes[two.data.samples[i].label]);
  // Fear in the class set: its row (line 7) is used, and its frames are missing.
  o.classes = {"surprise", "fear"};
  expectLoadError(fx, "labels.csv:7: episode folder '", o);
}

TEST(Casme2, MalformedRowsAndMissingFilesNameFileAndLine) {
  const Fixture fx = makeFixture("bad");
  const std::vector<std::string> good(fx.rows.begin(), fx.rows.begin() + 2);  // lines 2, 3
  const auto with = [&](const std::string& row) {
    auto rows = good;
    rows.push_back(row);  // line 4
    writeSheet(fx, rows);
  };
  with("01,EP01_01,11,abc,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: ApexFrame 'abc' is not a frame number");
  with("01,EP01_01,11,13");
  expectLoadError(fx, "labels.csv:4: expected at least 7 columns, found 4");
  with("01,EP01_01,11,13,17,12,hapiness");
  expectLoadError(fx, "labels.csv:4: emotion 'hapiness' is neither in the class set");
  with("x1,EP01_01,11,13,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: subject 'x1' is not a number");
  with("09,EP01_01,11,13,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: subject folder '");
  with("01,EP77_01,11,13,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: episode folder '" + (fx.root / "sub01" / "EP77_01").string() +
                          "' not found");
  with("01,EP01_01,11,99,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: apex frame 99 not found: no img99.jpg");
  with("01,\"EP01_01,11,13,17,12,happiness");
  expectLoadError(fx, "labels.csv:4: unterminated quote");
  fs::remove(fx.root / "sub02" / "EP01_02" / "img14.jpg");
  with("2,EP01_02,12,14,18,12,happiness");
  expectLoadError(fx, "labels.csv:4: apex frame 14 not found");
  writeSheet(fx, good, "Subject,Filename,OnsetFrame,OffsetFrame,Estimated Emotion");
  expectLoadError(fx, "labels.csv:1: no 'ApexFrame' column");
  writeSheet(fx, {"01,EP77_01,11,13,17,12,happiness"});
  expectLoadError(fx, "labels.csv:2: episode folder");
  std::ofstream(fx.sheet, std::ios::trunc).flush();
  expectLoadError(fx, "labels.csv:1: empty file");
  expectLoadError(Fixture{fx.dir, fx.dir / "nowhere", fx.sheet, {}, 0, 0}, "frame folder '");
}

TEST(Casme2, StrictModeRejectsARowWithoutApex) {
  const Fixture fx = makeFixture("strict");
  MicroOptions o;
  o.skipRowsWithoutApex = false;
  expectLoadError(fx, "labels.csv:" + std::to_string(fx.slashLine) + ": no apex frame number", o);
}

TEST(Casme2, SemicolonSheetAndRegImgFramesOfTheCroppedRelease) {
  const Fixture fx = makeFixture("cropped");
  // Rename sub01's frames as in the Cropped release and write the sheet with semicolons.
  for (const auto& f : fs::recursive_directory_iterator(fx.root / "sub01"))
    if (f.is_regular_file())
      fs::rename(f.path(), f.path().parent_path() / ("reg_" + f.path().filename().string()));
  std::vector<std::string> rows;
  for (std::string r : fx.rows) {
    for (char& c : r)
      if (c == ',') c = ';';
    rows.push_back(r);
  }
  std::string header = kHeader;
  for (char& c : header)
    if (c == ',') c = ';';
  writeSheet(fx, rows, header);
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string());
  EXPECT_EQ(ds.data.samples.size(), size_t(kSubjects * kClasses));
  EXPECT_NE(ds.data.samples[0].path.find("reg_img"), std::string::npos) << ds.data.samples[0].path;
}

TEST(Casme2, OnsetDifferenceImage) {
  const Fixture fx = makeFixture("diff");
  MicroOptions o;
  o.input = MicroInput::ApexMinusOnset;
  o.differenceGain = 2.f;
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string(), o);
  ASSERT_EQ(ds.data.samples.size(), size_t(kSubjects * kClasses));
  for (size_t i = 0; i < ds.data.samples.size(); i += 7) {
    const MicroEpisode& e = ds.episodes[i];
    const fs::path dir = fx.root / e.subject / e.episode;
    cv::Mat apex, onset, expected;
    expectedCrop(dir / ("img" + std::to_string(e.apex) + ".jpg")).convertTo(apex, CV_32F);
    expectedCrop(dir / ("img" + std::to_string(e.onset) + ".jpg")).convertTo(onset, CV_32F);
    cv::Mat(2.f * (apex - onset) + 128.f).convertTo(expected, CV_8U);
    EXPECT_LE(cv::norm(ds.data.samples[i].image, expected, cv::NORM_INF), 1) << e.where;
  }
}

TEST(Casme2, AlignsFacesWhenGivenADetector) {
  std::unique_ptr<FaceDetector> detector;
  try {
    detector = createFaceDetector({});
  } catch (const DetectorSetupError& e) {
    GTEST_SKIP() << "no Haar cascades: " << e.what();
  }
  const Fixture fx = makeFixture("align");
  // sub01's happiness apex becomes a real face; every other frame is a drawing (no face).
  const MicroEpisode first = readMicroLabelSheet(fx.sheet.string()).front();
  const fs::path apex =
      fx.root / "sub01" / first.episode / ("img" + std::to_string(first.apex) + ".jpg");
  cv::imwrite(apex.string(), cv::imread(test::sourceDir() + "/assets/astronaut.png"));
  MicroOptions o;
  o.detector = detector.get();
  o.classes = {"happiness", "surprise"};
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string(), o);
  ASSERT_EQ(ds.data.samples.size(), size_t(2 * kSubjects));
  EXPECT_EQ(ds.unaligned, 2 * kSubjects - 1);
  const cv::Mat& crop = ds.data.samples[0].image;
  ASSERT_EQ(crop.size(), cv::Size(48, 48));
  EXPECT_GT(cv::norm(crop, expectedCrop(apex), cv::NORM_L1), 48 * 48 * 5)
      << "the face was aligned, not the whole frame resized";
}

TEST(Metrics, UnweightedF1AndRecallOfAHandMadeConfusion) {
  ConfusionMatrix cm(4);
  // truth 0: 4 right, 1 as 1; truth 1: 2 right, 2 as 2; truth 2: 1 right; class 3 absent.
  cm.counts = {{4, 1, 0, 0}, {0, 2, 2, 0}, {0, 0, 1, 0}, {0, 0, 0, 0}};
  // Recall 4/5, 2/4, 1/1. F1 = 2TP / (2TP + FP + FN): 8/9, 4/7, 2/4.
  EXPECT_NEAR(cm.unweightedAverageRecall(), (0.8 + 0.5 + 1.0) / 3, 1e-12);
  EXPECT_NEAR(cm.macroF1(), (8.0 / 9 + 4.0 / 7 + 0.5) / 3, 1e-12);
  ConfusionMatrix other(4);
  other.add(3, 0);
  cm += other;
  EXPECT_EQ(cm.total(), 11);
  EXPECT_NEAR(cm.unweightedAverageRecall(), (0.8 + 0.5 + 1.0 + 0.0) / 4, 1e-12);
  EXPECT_THROW(cm += ConfusionMatrix(3), std::invalid_argument);
}

TEST(Loso, FoldsNeedSubjects) {
  std::vector<Sample> samples(3);
  samples[0].subject = samples[1].subject = "sub01";
  samples[2].path = "x.jpg";
  EXPECT_THROW(leaveOneSubjectOutFolds(samples), DatasetError);
  samples[2].subject = "sub01";
  EXPECT_THROW(leaveOneSubjectOutFolds(samples), DatasetError) << "one subject";
  samples[1].subject = "sub07";
  std::vector<std::string> subjects;
  EXPECT_EQ(leaveOneSubjectOutFolds(samples, &subjects), (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(subjects, (std::vector<std::string>{"sub01", "sub07"}));
}

TrainConfig tinyConfig(const fs::path& out, int numClasses) {
  TrainConfig c;
  c.network.width = 4;
  c.network.numClasses = numClasses;
  c.epochs = 1;
  c.batchSize = 8;
  c.lr = 0.05;
  c.warmupEpochs = 0;
  c.quiet = true;
  c.outDir = out.string();
  return c;
}

TEST(Loso, EverySubjectIsHeldOutOnceAndNeverTrainedOn) {
  torch::set_num_threads(1);
  const Fixture fx = makeFixture("loso");
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string());
  const auto& samples = ds.data.samples;
  std::vector<std::string> subjects;
  const auto fold = leaveOneSubjectOutFolds(samples, &subjects);
  std::set<std::string> outDirs;
  const auto folds = crossValidate(ds.data, fold, [&](int f) {
    TrainConfig c = tinyConfig(fx.dir / "runs" / subjects.at(f), kClasses);
    c.seed = 1 + f;
    outDirs.insert(c.outDir);
    return c;
  });
  ASSERT_EQ(folds.size(), size_t(kSubjects));
  EXPECT_EQ(outDirs.size(), size_t(kSubjects));
  std::map<std::string, int> heldOut;
  size_t predictions = 0;
  for (const auto& r : folds) {
    std::set<std::string> train, test;
    for (size_t i : r.trainIndices) train.insert(samples[i].subject);
    for (size_t i : r.testIndices) test.insert(samples[i].subject);
    ASSERT_EQ(test.size(), 1u) << "fold " << r.fold;
    EXPECT_EQ(*test.begin(), subjects[r.fold]);
    ++heldOut[*test.begin()];
    EXPECT_EQ(train.count(*test.begin()), 0u) << "fold " << r.fold << " trains on its test subject";
    EXPECT_EQ(train.size(), size_t(kSubjects - 1));
    EXPECT_EQ(r.trainIndices.size() + r.testIndices.size(), samples.size());
    ASSERT_EQ(r.predicted.size(), r.testIndices.size());
    for (int p : r.predicted) EXPECT_TRUE(p >= 0 && p < kClasses) << p;
    EXPECT_EQ(r.confusion.total(), int(r.testIndices.size()));
    predictions += r.predicted.size();
  }
  for (const auto& s : subjects) EXPECT_EQ(heldOut[s], 1) << s;
  EXPECT_EQ(predictions, samples.size());
  EXPECT_EQ(pooledConfusion(folds, kClasses).total(), int(samples.size()));
}

TEST(Training, NewClassifierKeepsEveryOtherWeightOfTheInitModel) {
  torch::set_num_threads(1);
  const Fixture fx = makeFixture("newhead");
  const MicroDataset ds = loadCasme2(fx.root.string(), fx.sheet.string());
  const std::string init = test::writeRandomModel(fx.dir, 4);  // 7 FER2013 classes
  TrainConfig c = tinyConfig(fx.dir / "run", kClasses);
  c.initModel = init;
  EXPECT_THROW(train(ds.data, nullptr, c), std::invalid_argument) << "7 vs 5 classes";
  c.initNewClassifier = true;
  c.lr = 0;  // the weights stay where they started
  const TrainResult r = train(ds.data, nullptr, c);
  ModelInfo ii, ti;
  auto from = loadModel(init, ii);
  auto trained = loadModel(r.lastModel, ti);
  EXPECT_EQ(ti.classNames, casme2FiveClasses());
  auto start = from->named_parameters();
  for (const auto& p : trained->named_parameters()) {
    if (p.key().rfind("fc.", 0) == 0) {
      EXPECT_EQ(p.value().size(0), kClasses) << p.key();
    } else {
      EXPECT_TRUE(torch::equal(start[p.key()], p.value())) << p.key();
    }
  }
}

// Runs microfer-train with `args`; stdout and stderr go to files in `dir`.
int runTool(const std::string& args, const fs::path& dir) {
  const std::string cmd = std::string(MICROFER_TRAIN) + " " + args + " >" +
                          (dir / "stdout.txt").string() + " 2>" + (dir / "stderr.txt").string();
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(Loso, CliPrintsPerSubjectAccuracyAndMegcMetricsAndWritesCsv) {
  const Fixture fx = makeFixture("losocli");
  const std::string common = "loso --casme '" + fx.root.string() + "' --labels '" +
                             fx.sheet.string() + "' --epochs 1 --batch 8 --threads 1 --out '" +
                             (fx.dir / "runs").string() + "'";
  ASSERT_EQ(runTool(common + " --width 4", fx.dir), 0) << slurp(fx.dir / "stderr.txt");
  const std::string out = slurp(fx.dir / "stdout.txt");
  EXPECT_NE(out.find("samples 20 (happiness=4 disgust=4 repression=4 surprise=4 others=4) from "
                     "4 subjects; 1 rows of other emotions dropped, 1 rows skipped"),
            std::string::npos)
      << out;
  for (const char* s : {"sub01: train 15 test 5 accuracy", "sub04: train 15 test 5 accuracy",
                        " uf1=", " uar=", "subjects=4 n=20 scratch"})
    EXPECT_NE(out.find(s), std::string::npos) << s << "\n" << out;
  // Warnings are logs: on stderr, never among the results on stdout.
  const std::string err = slurp(fx.dir / "stderr.txt");
  EXPECT_NE(err.find("labels.csv:" + std::to_string(fx.slashLine) + ": skipped"), std::string::npos)
      << "the warning names the line\n"
      << err;
  EXPECT_EQ(out.find("labels.csv:" + std::to_string(fx.slashLine) + ": skipped"), std::string::npos);
  std::ifstream csv(fx.dir / "runs" / "loso.csv");
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "subject,episode,onset_frame,apex_frame,truth,predicted,correct,sheet_row");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, kSubjects * kClasses);

  // Transfer from a 7-class model: its width is used, the classifier is new.
  const std::string init = test::writeRandomModel(fx.dir, 4);
  ASSERT_EQ(runTool(common + " --init '" + init + "' --csv '" + (fx.dir / "t.csv").string() + "'",
                    fx.dir),
            0)
      << slurp(fx.dir / "stderr.txt");
  EXPECT_NE(slurp(fx.dir / "stdout.txt").find("subjects=4 n=20 transfer"), std::string::npos);
  EXPECT_TRUE(fs::exists(fx.dir / "t.csv"));

  EXPECT_EQ(runTool(common + " --input both", fx.dir), 2);
  EXPECT_EQ(runTool("loso --casme '" + fx.root.string() + "' --labels '" +
                       (fx.dir / "missing.csv").string() + "'",
                   fx.dir),
            3);
  EXPECT_NE(slurp(fx.dir / "stderr.txt").find("missing.csv"), std::string::npos);
}

}  // namespace
}  // namespace microfer
