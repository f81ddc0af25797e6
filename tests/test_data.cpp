// Data sets (folders, fer2013.csv, CK+ subject folds), metrics and plots.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "microfer/train/dataset.hpp"
#include "microfer/train/ferplus.hpp"
#include "microfer/train/metrics.hpp"
#include "microfer/train/plot.hpp"
#include "microfer/types.hpp"
#include "test_util.hpp"

namespace microfer {
namespace {
namespace fs = std::filesystem;

std::string pixels(int value, int count = 2304) {
  std::string s;
  for (int i = 0; i < count; ++i) s += (i ? " " : "") + std::to_string(value);
  return s;
}

fs::path writeCsv(const std::string& body) {
  const auto dir = test::tempDir("csv");
  const auto p = dir / "fer2013.csv";
  std::ofstream(p) << body;
  return p;
}

TEST(Fer2013Csv, ParsesRowsAndUsage) {
  const auto p = writeCsv("emotion,pixels,Usage\n3," + pixels(10) + ",Training\n0," + pixels(200) +
                          ",PublicTest\n6," + pixels(7) + ",PrivateTest\n");
  const Dataset all = loadFer2013Csv(p.string());
  ASSERT_EQ(all.samples.size(), 3u);
  EXPECT_EQ(all.samples[0].label, 3);
  EXPECT_EQ(all.samples[1].image.at<uchar>(47, 47), 200);
  EXPECT_EQ(all.samples[2].path, p.string() + ":4");
  EXPECT_EQ(loadFer2013Csv(p.string(), CsvUsage::Training).samples.size(), 1u);
  EXPECT_EQ(loadFer2013Csv(p.string(), CsvUsage::PrivateTest).samples[0].label, 6);
}

FerPlusVotes votes(std::initializer_list<float> v) {
  FerPlusVotes out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

// FER+ order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
TEST(FerPlus, TargetDropsContemptUnknownNotAFaceAndLoneVotes) {
  // 6 neutral, 3 happy, 1 anger (a lone vote: dropped).
  auto t = ferPlusTarget(votes({6, 3, 0, 0, 1, 0, 0, 0, 0, 0}));
  ASSERT_EQ(t.size(), 7u);
  EXPECT_NEAR(t[6], 6.f / 9, 1e-6);  // neutral
  EXPECT_NEAR(t[3], 3.f / 9, 1e-6);  // happy
  EXPECT_EQ(t[0], 0.f);              // angry: one rater alone
  // Contempt and unknown dropped, the rest renormalised.
  t = ferPlusTarget(votes({0, 0, 0, 4, 3, 0, 0, 2, 1, 0}));
  EXPECT_NEAR(t[4], 4.f / 7, 1e-6);  // sad
  EXPECT_NEAR(t[0], 3.f / 7, 1e-6);  // angry
  // Every vote alone: none dropped.
  t = ferPlusTarget(votes({1, 1, 0, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_NEAR(t[2], 1.f / 3, 1e-6);  // fear
  // Mostly not a face, or unknown: no target.
  EXPECT_TRUE(ferPlusTarget(votes({2, 0, 0, 0, 0, 0, 0, 0, 0, 8})).empty());
  EXPECT_TRUE(ferPlusTarget(votes({3, 0, 0, 0, 0, 0, 0, 0, 5, 2})).empty());
  EXPECT_TRUE(ferPlusTarget(votes({0, 0, 0, 0, 0, 0, 0, 6, 0, 0})).empty());  // contempt only
}

TEST(FerPlus, MajorityMustBeUniqueAndOneOfTheSeven) {
  EXPECT_EQ(ferPlusMajority(votes({1, 0, 0, 0, 9, 0, 0, 0, 0, 0})), 0);  // anger -> angry
  EXPECT_EQ(ferPlusMajority(votes({5, 5, 0, 0, 0, 0, 0, 0, 0, 0})), -1);  // tie
  EXPECT_EQ(ferPlusMajority(votes({2, 0, 0, 0, 0, 0, 0, 6, 2, 0})), -1);  // contempt
  EXPECT_EQ(ferPlusMajority(votes({2, 0, 0, 0, 0, 0, 0, 0, 2, 6})), -1);  // not a face
  EXPECT_EQ(ferPlusMajority(votes({0, 0, 8, 0, 0, 0, 2, 0, 0, 0})), 5);   // surprise
}

// Users holding the original fer2013.csv pair it with FER+'s fer2013new.csv row by row.
TEST(FerPlus, PairsFer2013CsvWithFer2013NewRowByRow) {
  const auto csv = writeCsv("emotion,pixels,Usage\n3," + pixels(10) + ",Training\n0," +
                            pixels(200) + ",PublicTest\n6," + pixels(7) + ",PublicTest\n4," +
                            pixels(9) + ",PublicTest\n");
  const auto votesFile = csv.parent_path() / "fer2013new.csv";
  std::ofstream(votesFile)
      << "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,"
         "unknown,NF\n"
      << "Training,fer0000000.png,0,10,0,0,0,0,0,0,0,0\n"
      << "PublicTest,fer0000001.png,7,0,0,0,3,0,0,0,0,0\n"   // angry in FER2013: neutral here
      << "PublicTest,,0,0,0,0,0,0,0,0,0,10\n"                 // left out by FER+
      << "PublicTest,fer0000003.png,4,0,0,4,0,0,0,0,2,0\n";  // a tie: no unique majority
  const FerPlusTable table = readFerPlusVotes(votesFile.string());
  EXPECT_EQ(table.size(), 3u);
  Dataset pub = loadFer2013Csv(csv.string(), CsvUsage::PublicTest);
  const FerPlusApplied r = applyFerPlusVotes(pub, table, FerPlusUse::Majority);
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.unmatched, 1);
  EXPECT_EQ(r.kept, 1);
  ASSERT_EQ(pub.samples.size(), 1u);
  EXPECT_EQ(pub.samples[0].label, 6);  // neutral, the raters' majority
  EXPECT_EQ(pub.samples[0].originalLabel, 0);
  EXPECT_EQ(pub.samples[0].image.at<uchar>(0, 0), 200);
  // As a training target the tie keeps its distribution (sad and neutral, half each).
  Dataset all = loadFer2013Csv(csv.string());
  applyFerPlusVotes(all, table, FerPlusUse::Target);
  ASSERT_EQ(all.samples.size(), 3u);
  EXPECT_NEAR(all.samples[2].target[4], 0.5f, 1e-6);
  EXPECT_EQ(all.samples[0].label, 3);
}

TEST(FerPlus, SharedFormIsKeyedByFileAndOnlyTouchesVotedSources) {
  const auto dir = test::tempDir("ferplus");
  std::ofstream(dir / "ferplus.csv")
      << "file,usage,ferplus_image,neutral,happiness,surprise,sadness,anger,disgust,fear,"
         "contempt,unknown,NF,match_rmse\n"
      << "train/sad/Training_1.jpg,Training,fer1.png,1,8,0,1,0,0,0,0,0,0,1.2\n"
      << "train/sad/Training_2.jpg,Training,,,,,,,,,,,,\n"
      << "train/angry/Training_1.jpg,Training,fer3.png,0,0,0,0,7,0,0,0,0,0,1.0\n";
  // FER2013's file names repeat across class folders: the key is part/class/file.
  const FerPlusTable table = readFerPlusVotes((dir / "ferplus.csv").string());
  ASSERT_EQ(table.size(), 2u);
  Dataset d;
  const cv::Mat img(48, 48, CV_8UC1, cv::Scalar(0));
  d.samples.push_back({img, 4, "/x/fer2013/train/sad/Training_1.jpg", "", 0});
  d.samples.push_back({img, 4, "/x/fer2013/train/sad/Training_2.jpg", "", 0});
  d.samples.push_back({img, 0, "/x/lfw/angry/Some_One_0001.jpg", "", 1});
  const FerPlusApplied r = applyFerPlusVotes(d, table, FerPlusUse::Target);
  EXPECT_EQ(r.kept, 1);
  EXPECT_EQ(r.unmatched, 1);  // source 0's image without votes is left out
  ASSERT_EQ(d.samples.size(), 2u);
  EXPECT_EQ(d.samples[0].label, 3);  // happy
  EXPECT_NEAR(d.samples[0].target[3], 1.f, 1e-6);  // the lone neutral and sad votes dropped
  EXPECT_EQ(d.samples[1].label, 0);  // another source: untouched
  EXPECT_TRUE(d.samples[1].target.empty());
  std::ofstream(dir / "bad.csv") << "file,usage,ferplus_image,neutral,happiness,surprise,sadness,"
                                    "anger,disgust,fear,contempt,unknown,NF,match_rmse\n"
                                 << "a.jpg,Training,f.png,1,x,0,0,0,0,0,0,0,0,1\n";
  EXPECT_THROW(readFerPlusVotes((dir / "bad.csv").string()), DatasetError);
}

void expectCsvError(const std::string& body, const std::string& fragment) {
  const auto p = writeCsv(body);
  try {
    loadFer2013Csv(p.string());
    FAIL() << "no error; expected '" << fragment << "'";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Fer2013Csv, MalformedRowsNameTheLine) {
  const std::string h = "emotion,pixels,Usage\n";
  const std::string good = "1," + pixels(5) + ",Training\n";
  expectCsvError(h + good + "9," + pixels(5) + ",Training\n", ":3: unknown label '9'");
  expectCsvError(h + "x," + pixels(5) + ",Training\n", ":2: unknown label 'x'");
  expectCsvError(h + good + good + "2," + pixels(5, 2000) + ",Training\n",
                 ":4: expected 2304 pixels, found 2000");
  expectCsvError(h + "2," + pixels(300) + ",Training\n", ":2: pixel 0 is '300'");
  expectCsvError(h + "2," + pixels(5) + "\n", ":2: expected 3 columns");
  expectCsvError(h + "2," + pixels(5) + ",Validation\n", ":2: unknown Usage 'Validation'");
  expectCsvError("label,data\n", ":1: bad header");
  expectCsvError("", ":1: empty file");
}

TEST(ImageFolder, UnknownAndEmptyClassFoldersAreClearErrors) {
  const auto dir = test::tempDir("folder");
  fs::create_directories(dir / "happy");
  cv::imwrite((dir / "happy" / "a.png").string(), cv::Mat(48, 48, CV_8U, cv::Scalar(9)));
  fs::create_directories(dir / "bored");
  cv::imwrite((dir / "bored" / "b.png").string(), cv::Mat(48, 48, CV_8U, cv::Scalar(9)));
  try {
    loadImageFolder(dir.string());
    FAIL() << "unknown class accepted";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown expression 'bored'"), std::string::npos);
  }
  fs::remove_all(dir / "bored");
  fs::create_directories(dir / "sad");
  try {
    loadImageFolder(dir.string());
    FAIL() << "empty class folder accepted";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find("contains no images"), std::string::npos);
  }
  fs::remove_all(dir / "sad");
  const Dataset ds = loadImageFolder(dir.string());
  ASSERT_EQ(ds.samples.size(), 1u);
  EXPECT_EQ(ds.samples[0].label, 3);
}

TEST(ImageFolder, UpperCaseExtensionsAndUtf8NamesAreImages) {
  const auto dir = test::tempDir("folder-names");
  fs::create_directories(dir / "happy");
  const cv::Mat face(48, 48, CV_8U, cv::Scalar(9));
  cv::imwrite((dir / "happy" / "FACE.PNG").string(), face);
  cv::imwrite((dir / "happy" / "\xC3\xA9t\xC3\xA9.Jpg").string(), face);  // "ete" with accents
  std::ofstream(dir / "happy" / "NOTES.TXT") << "not an image";
  EXPECT_EQ(loadImageFolder(dir.string()).samples.size(), 2u);
  // Only A-Z change: UTF-8 bytes stay as they are.
  EXPECT_EQ(asciiLower("MTCNN .JPG Auto-9 \xC3\x89"), "mtcnn .jpg auto-9 \xC3\x89");
}

TEST(CkPlus, SubjectFoldsNeverShareASubject) {
  MICROFER_REQUIRE_SHARED("data/ckplus48");
  const Dataset ds = loadImageFolder(test::sharedDir() + "/data/ckplus48");
  // contempt is skipped: 981 crops minus 54 contempt.
  EXPECT_EQ(ds.samples.size(), 927u);
  std::set<std::string> subjects;
  for (const auto& s : ds.samples) {
    ASSERT_FALSE(s.subject.empty()) << s.path;
    subjects.insert(s.subject);
  }
  EXPECT_GE(subjects.size(), 100u);
  const auto folds = subjectFolds(ds.samples, 10, 7);
  std::map<std::string, int> foldOf;
  std::vector<int> sizes(10, 0);
  for (size_t i = 0; i < ds.samples.size(); ++i) {
    ASSERT_GE(folds[i], 0);
    ++sizes[folds[i]];
    auto [it, inserted] = foldOf.emplace(ds.samples[i].subject, folds[i]);
    EXPECT_EQ(it->second, folds[i]) << "subject " << ds.samples[i].subject << " in two folds";
  }
  for (int s : sizes) EXPECT_GT(s, 50) << "folds are balanced";
}

TEST(CkPlus, SubjectFromFileName) {
  EXPECT_EQ(ckSubject("S005_001_00000011.png"), "S005");
  EXPECT_EQ(ckSubject("Training_123.jpg"), "");
}

TEST(Metrics, HandMadeConfusionMatrix) {
  ConfusionMatrix cm(3);
  // truth 0: 8 right, 2 as class 1; truth 1: 5 right, 5 as class 2; truth 2: all 10 right.
  for (int i = 0; i < 8; ++i) cm.add(0, 0);
  for (int i = 0; i < 2; ++i) cm.add(0, 1);
  for (int i = 0; i < 5; ++i) cm.add(1, 1);
  for (int i = 0; i < 5; ++i) cm.add(1, 2);
  for (int i = 0; i < 10; ++i) cm.add(2, 2);
  EXPECT_EQ(cm.total(), 30);
  EXPECT_NEAR(cm.accuracy(), 23.0 / 30, 1e-12);
  const auto m = cm.perClass();
  EXPECT_NEAR(m[0].precision, 1.0, 1e-12);
  EXPECT_NEAR(m[0].recall, 0.8, 1e-12);
  EXPECT_NEAR(m[1].precision, 5.0 / 7, 1e-12);
  EXPECT_NEAR(m[1].recall, 0.5, 1e-12);
  EXPECT_NEAR(m[2].precision, 10.0 / 15, 1e-12);
  EXPECT_NEAR(m[2].f1, 2 * (10.0 / 15) / (10.0 / 15 + 1), 1e-12);
  const double f1_0 = 2 * 0.8 / 1.8, f1_1 = 2 * (5.0 / 7) * 0.5 / (5.0 / 7 + 0.5);
  EXPECT_NEAR(cm.macroF1(), (f1_0 + f1_1 + m[2].f1) / 3, 1e-12);
  const std::string report = cm.report({"a", "b", "c"});
  EXPECT_NE(report.find("accuracy=0.7667 macro_f1="), std::string::npos) << report;
  EXPECT_NE(report.find("n=30"), std::string::npos);
}

TEST(Plot, ConfusionAndCurvesAreWritten) {
  ConfusionMatrix cm(2);
  cm.add(0, 0);
  cm.add(1, 0);
  const auto dir = test::tempDir("plot");
  writeImageAtomically((dir / "cm.png").string(), plotConfusion(cm, {"x", "y"}, "t"));
  writeImageAtomically((dir / "c.png").string(),
                       plotSeries("t", {{"acc", {0.1, 0.5, 0.7}, cv::Scalar(0, 0, 255), false}}));
  EXPECT_FALSE(cv::imread((dir / "cm.png").string()).empty());
  EXPECT_FALSE(cv::imread((dir / "c.png").string()).empty());
  for (const auto& e : fs::directory_iterator(dir))  // no temporary file left behind
    EXPECT_NE(e.path().filename().string().rfind(".tmp-", 0), 0u) << e.path();
}


TEST(PersonSplit, PersonIsTheNameBeforeTheTrailingNumber) {
  EXPECT_EQ(photoPerson("George_W_Bush_0012.jpg"), "George_W_Bush");
  EXPECT_EQ(photoPerson("Dwarakish_14.png"), "Dwarakish");
  EXPECT_EQ(photoPerson("facial-expressions_2868588k.jpg"), "facial-expressions_2868588k");
  EXPECT_EQ(photoPerson("Cher.jpg"), "Cher");
  EXPECT_EQ(photoPerson("odd_.jpg"), "odd_");
}

TEST(PersonSplit, FolderKeepsOnlyThePersonsOfOnePart) {
  const auto dir = test::tempDir("split");
  fs::create_directories(dir / "happy");
  fs::create_directories(dir / "sad");
  const cv::Mat img(48, 48, CV_8UC1, cv::Scalar(90));
  for (const char* f : {"happy/Ann_Lee_0001.png", "happy/Bob_0002.png", "sad/Ann_Lee_0003.png",
                        "sad/Cy_0001.png"})
    cv::imwrite((dir / f).string(), img);
  std::ofstream(dir / "split.csv") << "# a comment\nperson,part\nAnn_Lee,train\nBob,val\nCy,test\n";
  FolderOptions o;
  o.splitFile = (dir / "split.csv").string();
  std::map<std::string, size_t> sizes;
  for (const char* part : {"train", "val", "test"}) {
    o.splitPart = part;
    const Dataset d = loadImageFolder(dir.string(), o);
    sizes[part] = d.samples.size();
    for (const auto& s : d.samples)
      EXPECT_EQ(readPersonSplit(o.splitFile).at(photoPerson(fs::path(s.path).filename().string())),
                part);
  }
  EXPECT_EQ(sizes["train"], 2u);
  EXPECT_EQ(sizes["val"], 1u);
  EXPECT_EQ(sizes["test"], 1u);
  // A person the list does not name, and a malformed list, are errors.
  cv::imwrite((dir / "sad" / "Dee_0001.png").string(), img);
  EXPECT_THROW(loadImageFolder(dir.string(), o), DatasetError);
  std::ofstream(dir / "bad.csv") << "Ann_Lee,holdout\n";
  EXPECT_THROW(readPersonSplit((dir / "bad.csv").string()), DatasetError);
}

// Several lists joined by commas are merged (lfw-expressions and CK+48 in one recipe); a
// person two lists put in different parts is refused, the same part twice is not.
TEST(PersonSplit, SeveralListsMergeAndMayNotDisagree) {
  const auto dir = test::tempDir("split-merge");
  std::ofstream(dir / "a.csv") << "person,part\nAnn,train\nBob,val\n";
  std::ofstream(dir / "b.csv") << "person,part\nS010_004,test\nBob,val\n";
  std::ofstream(dir / "c.csv") << "person,part\nAnn,test\n";
  const auto merged = readPersonSplit((dir / "a.csv").string() + "," + (dir / "b.csv").string());
  EXPECT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged.at("Ann"), "train");
  EXPECT_EQ(merged.at("S010_004"), "test");
  EXPECT_THROW(readPersonSplit((dir / "a.csv").string() + "," + (dir / "c.csv").string()),
               DatasetError);
  EXPECT_THROW(readPersonSplit((dir / "a.csv").string() + ","), DatasetError);
}

// The committed CK+48 split (rule w): every sequence listed, each subject in one part only.
TEST(PersonSplit, CommittedCkPlusListKeepsSubjectsApart) {
  MICROFER_REQUIRE_SHARED("data/ckplus48");
  const auto split = readPersonSplit(test::sourceDir() + "/data/ckplus-split.csv");
  std::map<std::string, std::string> partOfSubject;
  std::map<std::string, int> images;
  for (const auto& cls : fs::directory_iterator(test::sharedDir() + "/data/ckplus48")) {
    if (!cls.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(cls.path())) {
      const std::string name = f.path().filename().string();
      const auto it = split.find(photoPerson(name));
      ASSERT_NE(it, split.end()) << f.path();
      const auto [s, fresh] = partOfSubject.emplace(ckSubject(name), it->second);
      EXPECT_EQ(s->second, it->second) << "subject " << ckSubject(name) << " split across parts";
      ++images[it->second];
    }
  }
  EXPECT_EQ(partOfSubject.size(), 118u);
  EXPECT_GT(images["train"], 2 * images["test"]);
  EXPECT_GT(images["val"], 100);
  EXPECT_GT(images["test"], 100);
}

// The committed lfw-expressions split: every photo's person in exactly one part, every part
// holding each class with at least 20 images overall.
TEST(PersonSplit, CommittedLfwListCoversTheDataAndKeepsPersonsApart) {
  MICROFER_REQUIRE_SHARED("data/lfw-expressions");
  const auto split = readPersonSplit(test::sourceDir() + "/data/lfw-expressions-split.csv");
  std::map<std::string, std::map<std::string, int>> perPart;  // part -> class -> images
  int photos = 0;
  for (const auto& cls : fs::directory_iterator(test::sharedDir() + "/data/lfw-expressions")) {
    if (!cls.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(cls.path())) {
      const auto it = split.find(photoPerson(f.path().filename().string()));
      ASSERT_NE(it, split.end()) << f.path();
      ++perPart[it->second][cls.path().filename().string()];
      ++photos;
    }
  }
  EXPECT_EQ(photos, 13681);
  for (const char* cls : {"angry", "happy", "neutral", "sad", "surprise"})
    for (const char* part : {"train", "val", "test"})
      EXPECT_GE(perPart[part][cls], 20) << cls << " in " << part;
  EXPECT_GT(perPart["train"]["happy"], 3 * perPart["test"]["happy"]);
}

}  // namespace
}  // namespace microfer
