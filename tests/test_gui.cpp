// The desktop window, driven through its real actions under QT_QPA_PLATFORM=offscreen.
#include <QAccessible>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QKeySequence>
#include <QStandardPaths>
#include <QLabel>
#include <QMenu>
#include <QMimeData>
#include <QProcess>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <nlohmann/json.hpp>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QSignalSpy>
#include <QTimer>
#include <QUrl>
#include <QtTest/QTest>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core_bridge.hpp"
#include "face_panel.hpp"
#include "image_view.hpp"
#include "main_window.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/classify/model_info.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/output/results_writer.hpp"
#include "pipeline_worker.hpp"
#include "review_dialog.hpp"
#include "review_model.hpp"
#include "settings_dialog.hpp"
#include "test_util.hpp"
#include "translations.hpp"

namespace fs = std::filesystem;
using microfer::gui::AppSettings;
using microfer::gui::MainWindow;
using microfer::gui::FacePanel;
using microfer::gui::FaceView;

namespace {

/// One QApplication for the whole test program; settings go to a private folder so a
/// developer's own MicroFER settings are never read or changed.
QApplication& app() {
  static int argc = 1;
  static char name[] = "test_gui";
  static char* argv[] = {name, nullptr};
  static QApplication* instance = [] {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    const fs::path settingsDir =
        fs::temp_directory_path() / ("microfer-test-gui-settings-" + std::to_string(::getpid()));
    fs::create_directories(settingsDir);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(settingsDir.string()));
    auto* a = new QApplication(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("MicroFER-test"));
    QApplication::setApplicationName(QStringLiteral("microfer-test"));
    microfer::configureRuntime(2);
    return a;
  }();
  return *instance;
}

std::string sampleImage() {
  const fs::path astronaut = fs::path(microfer::test::sourceDir()) / "assets/astronaut.png";
  if (fs::exists(astronaut)) return astronaut.string();
  const fs::path dlib = fs::path(microfer::test::sharedDir()) / "data/dlib-faces/2008_001009.jpg";
  return fs::exists(dlib) ? dlib.string() : std::string();
}

std::vector<std::string> dlibFaces(size_t n) {
  std::vector<std::string> out;
  const fs::path dir = fs::path(microfer::test::sharedDir()) / "data/dlib-faces";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".jpg") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  if (out.size() > n) out.resize(n);
  return out;
}

/// results.csv as rows of cells (header first). The writer quotes no field we read here.
std::vector<std::vector<std::string>> readCsv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

int column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

size_t countLines(const fs::path& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n;
}

/// For a microfer process of a test: offscreen, its settings under `config`.
QProcessEnvironment offscreenEnvironment(const fs::path& config) {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  env.insert(QStringLiteral("XDG_CONFIG_HOME"), QString::fromStdString(config.string()));
  return env;
}

QAction* action(MainWindow& w, const char* name) {
  auto* a = w.findChild<QAction*>(QString::fromLatin1(name));
  EXPECT_NE(a, nullptr) << "no action " << name;
  return a;
}

/// Opens Settings, enters `settings` and presses OK, as a user would; false without a dialog.
bool acceptInSettingsDialog(MainWindow& window, const AppSettings& settings) {
  action(window, "actionSettings")->trigger();
  auto* dialog =
      window.findChild<microfer::gui::SettingsDialog*>(QStringLiteral("settingsDialog"));
  if (!dialog) return false;
  dialog->setSettings(settings);
  dialog->accept();
  return true;
}

class Gui : public ::testing::Test {
 protected:
  void SetUp() override {
    app();
    QSettings().clear();
    results_ = microfer::test::tempDir("gui");
  }
  /// Settings for a test window: its own results folder, Haar + flip (the CLI defaults).
  AppSettings testSettings() const {
    AppSettings s;
    s.resultsDir = QString::fromStdString(results_.string());
    s.detector = microfer::DetectorChoice::Haar;
    s.tta = microfer::TtaMode::Flip;
    return s;
  }
  static bool haveModel() { return !microfer::gui::installedModelPath().empty(); }
  std::string labelsEqualMicroferCli(const QString& detector);
  fs::path results_;
};

#define REQUIRE_MODEL()                                                                     \
  do {                                                                                      \
    if (!haveModel())                                                                       \
      GTEST_SKIP() << "no trained model installed (microfer::defaultModelPath() is empty; " \
                      "train one or set MICROFER_MODEL)";                                   \
  } while (0)

}  // namespace

// An uncertain face is grey and names its two most likely expressions; the figures stay
// visible in a narrow panel with a long title.
TEST_F(Gui, UncertainFaceNamesBothLabelsAndFiguresStayVisibleWhenNarrow) {
  FacePanel panel;
  FaceView sure, unsure;
  sure.label = 5;  // surprise
  sure.confidence = 0.83f;
  sure.probs = {0.02f, 0.01f, 0.05f, 0.03f, 0.02f, 0.83f, 0.04f};
  sure.trackId = 123456;
  unsure = sure;
  unsure.label = 3;  // happy
  unsure.confidence = 0.38f;
  unsure.uncertain = true;
  unsure.probs = {0.05f, 0.02f, 0.04f, 0.38f, 0.1f, 0.1f, 0.31f};
  panel.setFaces({sure, unsure});
  panel.resize(300, 400);
  panel.show();
  QApplication::processEvents();
  ASSERT_NE(panel.entry(1), nullptr);
  EXPECT_EQ(panel.entry(0)->verdict(), QStringLiteral("surprise 83%"));
  EXPECT_EQ(panel.entry(1)->verdict(), QStringLiteral("uncertain: happy 38% or neutral 31%"));
  EXPECT_EQ(panel.labels(), (QStringList{"surprise", "happy"})) << "the argmax label is kept";
  EXPECT_EQ(panel.entry(0)->title(), QStringLiteral("Face 1 (track 123456)"));

  const auto* verdict = panel.entry(1)->findChildren<QLabel*>().back();
  for (QLabel* l : panel.entry(1)->findChildren<QLabel*>())
    if (l->text() == panel.entry(1)->verdict()) verdict = l;
  EXPECT_GE(verdict->height(), verdict->heightForWidth(verdict->width()))
      << "every wrapped line of the verdict fits: no figure is cut off";

  // A kept prediction (the live view's classify-every-Nth-frame levels) says how old it is,
  // on a line that a followed face always has: the entry keeps its height from frame to frame.
  const auto laidOutHeight = [&](int i) {
    return panel.entry(i)->heightForWidth(panel.entry(i)->width());
  };
  EXPECT_EQ(panel.entry(0)->age(), QString());
  const int freshHeight = laidOutHeight(0);
  sure.predictionAge = 1;
  unsure.predictionAge = 2;
  panel.setFaces({sure, unsure});
  QApplication::processEvents();
  EXPECT_EQ(panel.entry(0)->title(), QStringLiteral("Face 1 (track 123456)"));
  EXPECT_EQ(panel.entry(0)->age(), QStringLiteral("label 1 frame old"));
  EXPECT_EQ(panel.entry(1)->age(), QStringLiteral("label 2 frames old"));
  EXPECT_EQ(laidOutHeight(0), freshHeight);
  // An unfollowed face's label can be kept too (its box matched); the panel says so.
  sure.trackId = -1;
  panel.setFaces({sure});
  QApplication::processEvents();
  EXPECT_EQ(panel.entry(0)->age(), QStringLiteral("label 1 frame old"));
  bool ageShown = false;
  for (QLabel* l : panel.entry(0)->findChildren<QLabel*>())
    ageShown |= l->text() == panel.entry(0)->age() && l->isVisible();
  EXPECT_TRUE(ageShown);
  const int withAge = laidOutHeight(0);
  sure.predictionAge = 0;
  panel.setFaces({sure});
  QApplication::processEvents();
  EXPECT_LT(laidOutHeight(0), withAge) << "no empty line for an unfollowed face's fresh label";
}

TEST(GuiView, FrameViewCopiesEveryFaceFieldTheWindowShows) {
  // The worker's one conversion from the pipeline's result to what the window draws: a field
  // it forgot would show a default (a kept label as fresh, every face as track -1).
  microfer::FrameResult result;
  result.source = "clip.avi";
  result.frameIndex = 41;
  microfer::FaceResult face;
  face.aligned.crop = cv::Mat(48, 48, CV_8UC1, cv::Scalar(90));
  face.prediction.label = 4;
  face.prediction.confidence = 0.41f;
  face.prediction.uncertain = true;
  face.prediction.probs = {0.1f, 0.f, 0.1f, 0.f, 0.41f, 0.f, 0.39f};
  face.detection.box = cv::Rect2f(10.4f, 20.6f, 30.f, 40.f);
  face.trackId = 7;
  face.predictionAge = 2;
  result.faces = {face, face};
  result.faces[1].predictionAge = 0;
  const cv::Mat annotated(60, 80, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto view = microfer::gui::PipelineWorker::makeView(result, annotated, 12.5);
  EXPECT_EQ(view.source, QStringLiteral("clip.avi"));
  EXPECT_EQ(view.frameIndex, 41);
  EXPECT_DOUBLE_EQ(view.processMs, 12.5);
  EXPECT_EQ(view.annotated.size(), QSize(80, 60));
  ASSERT_EQ(view.faces.size(), 2);
  const auto& f = view.faces[0];
  EXPECT_EQ(f.label, 4);
  EXPECT_FLOAT_EQ(f.confidence, 0.41f);
  EXPECT_TRUE(f.uncertain);
  EXPECT_FLOAT_EQ(f.probs[6], 0.39f);
  EXPECT_EQ(f.box, QRect(10, 21, 30, 40));
  EXPECT_EQ(f.trackId, 7);
  EXPECT_EQ(f.predictionAge, 2);
  EXPECT_EQ(view.faces[1].predictionAge, 0);
  EXPECT_EQ(f.crop.size(), QSize(48, 48));
}

TEST_F(Gui, OpenImageListsFacesAndWritesResults) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";

  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  window.setFileChooser([&](MainWindow::ChooserKind) { return QString::fromStdString(image); });
  window.show();
  QSignalSpy shown(&window, &MainWindow::resultShown);
  action(window, "actionOpenImage")->trigger();
  ASSERT_TRUE(shown.wait(120000)) << "no result for " << image << ": "
                                  << window.lastMessage().toStdString();

  const QStringList labels = window.facePanel()->labels();
  ASSERT_GT(labels.size(), 0) << "no face listed for " << image;
  EXPECT_FALSE(window.currentView().annotated.isNull());
  const fs::path labelled = window.currentView().labelledImagePath.toStdString();
  EXPECT_TRUE(fs::exists(labelled)) << labelled;
  EXPECT_TRUE(fs::exists(results_ / "results.csv"));
  EXPECT_TRUE(fs::exists(results_ / "results.jsonl"));

  // One core, two front ends: the same Pipeline on the same settings gives the same labels.
  microfer::Pipeline pipeline(testSettings().pipelineConfig());
  const microfer::FrameResult direct = pipeline.process(cv::imread(image), image);
  ASSERT_EQ(direct.faces.size(), static_cast<size_t>(labels.size())) << image;
  for (size_t i = 0; i < direct.faces.size(); ++i) {
    EXPECT_EQ(labels[static_cast<int>(i)].toStdString(),
              microfer::emotionNames()[static_cast<size_t>(direct.faces[i].prediction.label)])
        << "face " << i << " of " << image;
    EXPECT_NEAR(window.currentView().faces[static_cast<int>(i)].confidence,
                direct.faces[i].prediction.confidence, 1e-3f);
  }

  // The window's CSV lists the same labels.
  const auto rows = readCsv(results_ / "results.csv");
  ASSERT_GE(rows.size(), 2u);
  const int labelCol = column(rows[0], "label");
  ASSERT_GE(labelCol, 0) << "results.csv has no 'label' column";
  ASSERT_EQ(rows.size() - 1, static_cast<size_t>(labels.size()));
  for (size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(rows[i][static_cast<size_t>(labelCol)],
              labels[static_cast<int>(i - 1)].toStdString());

  // Snapshot: the labelled picture on screen is saved into the results folder.
  QSignalSpy snapshot(&window, &MainWindow::snapshotSaved);
  action(window, "actionSnapshot")->trigger();
  ASSERT_TRUE(snapshot.wait(30000)) << window.lastMessage().toStdString();
  const fs::path snap = snapshot.first().first().toString().toStdString();
  EXPECT_TRUE(fs::exists(snap)) << snap;
  EXPECT_EQ(snap.parent_path(), results_);
}

// The app writes as the CLI does (run.json included), and not at all for a single image when
// the user turned that off.
TEST_F(Gui, SingleImageResultsFollowTheSaveImagesSetting) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  for (bool save : {true, false}) {
    AppSettings settings = testSettings();
    const fs::path out = results_ / (save ? "on" : "off");
    settings.resultsDir = QString::fromStdString(out.string());
    settings.saveImages = save;
    MainWindow window(settings);
    window.setMessageBoxesEnabled(false);
    window.setFileChooser([&](MainWindow::ChooserKind) { return QString::fromStdString(image); });
    QSignalSpy shown(&window, &MainWindow::resultShown);
    action(window, "actionOpenImage")->trigger();
    ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
    EXPECT_GT(window.facePanel()->labels().size(), 0) << "shown either way";
    if (!save) {
      EXPECT_FALSE(fs::exists(out)) << "nothing written when saving images is off";
      EXPECT_TRUE(window.currentView().labelledImagePath.isEmpty());
      continue;
    }
    EXPECT_TRUE(fs::exists(window.currentView().labelledImagePath.toStdString()));
    const auto runs = microfer::test::runRecords(out);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].at("program").get<std::string>().rfind("microfer ", 0), 0u);
    EXPECT_EQ(runs[0].at("detector"), "haar");
    EXPECT_EQ(runs[0].at("inputs").at(0), image);
  }
}

TEST_F(Gui, DroppedImageIsLabelled) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  window.show();
  QSignalSpy shown(&window, &MainWindow::resultShown);
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(QString::fromStdString(image))});
  QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&window, &enter);
  EXPECT_TRUE(enter.isAccepted());
  QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&window, &drop);
  ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
  EXPECT_EQ(window.currentView().source.toStdString(), image);
  EXPECT_GT(window.facePanel()->faceCount(), 0);
}

/// Labels the sample with microfer-cli and with the window, both with `detector` ("" = each
/// program's default), and checks that they found the same faces and gave the same labels,
/// and that they name the same detector. Returns that detector's name.
std::string Gui::labelsEqualMicroferCli(const QString& detector) {
  const std::string image = sampleImage();
  if (image.empty()) {
    ADD_FAILURE() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
    return "";
  }
  const fs::path cliOut = results_ / "cli";
  QStringList args{QStringLiteral("label"), QString::fromStdString(image), QStringLiteral("--out"),
                   QString::fromStdString(cliOut.string()), QStringLiteral("--tta"),
                   QStringLiteral("flip")};
  if (!detector.isEmpty()) args << QStringLiteral("--detector") << detector;
  QProcess cli;
  cli.start(QStringLiteral(MICROFER_CLI), args);
  EXPECT_TRUE(cli.waitForFinished(180000));
  const QString err = QString::fromLocal8Bit(cli.readAllStandardError());
  EXPECT_EQ(cli.exitCode(), 0) << err.toStdString();
  // "summary: ...; detector mtcnn, TTA flip; results in ..."
  const QString out = QString::fromLocal8Bit(cli.readAllStandardOutput());
  const QRegularExpressionMatch m =
      QRegularExpression(QStringLiteral("; detector (\\w+), TTA")).match(out);
  EXPECT_TRUE(m.hasMatch()) << out.toStdString();
  const QString cliDetector = m.captured(1);

  AppSettings settings = testSettings();
  settings.detector = detector.isEmpty() ? AppSettings().detector
                                         : microfer::parseDetectorChoice(detector.toStdString());
  settings.resultsDir = QString::fromStdString((results_ / "gui").string());
  MainWindow window(settings);
  window.setMessageBoxesEnabled(false);
  QSignalSpy shown(&window, &MainWindow::resultShown);
  window.openImage(QString::fromStdString(image));
  EXPECT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
  QString status;
  for (const QLabel* label : window.findChildren<QLabel*>())
    if (label->text().startsWith(QStringLiteral("Detector: "))) status = label->text();
  EXPECT_TRUE(status.startsWith(QStringLiteral("Detector: ") + cliDetector))
      << "the window uses another detector than microfer-cli: " << status.toStdString() << " vs "
      << cliDetector.toStdString();

  const auto cliRows = readCsv(cliOut / "results.csv");
  const auto guiRows = readCsv(results_ / "gui" / "results.csv");
  EXPECT_GE(cliRows.size(), 2u) << "a header and at least one face";
  EXPECT_EQ(cliRows.size(), guiRows.size()) << "face count differs for " << image;
  if (cliRows.empty() || cliRows.size() != guiRows.size()) return cliDetector.toStdString();
  const int cliLabel = column(cliRows[0], "label");
  const int guiLabel = column(guiRows[0], "label");
  EXPECT_GE(cliLabel, 0);
  EXPECT_GE(guiLabel, 0);
  if (cliLabel < 0 || guiLabel < 0) return cliDetector.toStdString();
  for (size_t i = 1; i < cliRows.size(); ++i)
    EXPECT_EQ(cliRows[i][static_cast<size_t>(cliLabel)], guiRows[i][static_cast<size_t>(guiLabel)])
        << "face " << i - 1 << " of " << image;
  return cliDetector.toStdString();
}

TEST_F(Gui, LabelsEqualMicroferCli) {
  REQUIRE_MODEL();
  if (sampleImage().empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  EXPECT_EQ(labelsEqualMicroferCli(QStringLiteral("haar")), "haar");
}

TEST_F(Gui, DefaultDetectorIsMicroferClisDefault) {
  REQUIRE_MODEL();
  if (sampleImage().empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  // Both default to "auto": MTCNN where its weights are found, else Haar, decided by the same
  // core function, so on one machine they use one detector and give the same labels.
  EXPECT_EQ(AppSettings().detector, microfer::DetectorChoice::Auto);
  EXPECT_EQ(labelsEqualMicroferCli(QString()),
            microfer::toString(microfer::resolveDetectorChoice("auto")));
}

TEST_F(Gui, BatchCancelledPartWayKeepsConsistentResults) {
  REQUIRE_MODEL();
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  const fs::path folder = microfer::test::tempDir("gui-batch-in");
  // Enough images that the batch is still running when Cancel is pressed.
  for (int copy = 0; copy < 6; ++copy)
    for (const std::string& f : dlibFaces(12))
      fs::copy_file(f,
                    folder / ("c" + std::to_string(copy) + "_" + fs::path(f).filename().string()));
  std::ofstream(folder / "notes.txt") << "not an image";

  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  window.setFileChooser(
      [&](MainWindow::ChooserKind) { return QString::fromStdString(folder.string()); });
  window.show();
  QSignalSpy done(&window, &MainWindow::batchCompleted);
  action(window, "actionBatchFolder")->trigger();

  // Cancel through the progress dialog once a few images are done.
  QProgressDialog* progress = nullptr;
  ASSERT_TRUE(QTest::qWaitFor(
      [&] {
        progress = window.findChild<QProgressDialog*>(QStringLiteral("batchProgress"));
        return (progress && progress->value() >= 3) || !done.isEmpty();
      },
      180000));
  if (done.isEmpty()) {
    // Click Cancel as a user would (QProgressDialog::cancel() alone does not emit canceled()).
    auto* cancel = progress->findChild<QPushButton*>();
    ASSERT_NE(cancel, nullptr);
    cancel->click();
  }
  ASSERT_TRUE(done.wait(180000) || !done.isEmpty());

  const microfer::gui::BatchSummary& s = window.lastBatchSummary();
  EXPECT_TRUE(s.cancelled);
  EXPECT_GE(s.images, 3);
  EXPECT_LT(s.images, s.total);
  EXPECT_TRUE(s.failures.isEmpty());
  ASSERT_FALSE(s.csvPath.isEmpty());

  // Everything the summary counts is in results.csv, and nothing more.
  const auto rows = readCsv(s.csvPath.toStdString());
  ASSERT_GE(rows.size(), 1u);
  EXPECT_EQ(rows.size() - 1, static_cast<size_t>(s.faces));
  const int labelCol = column(rows[0], "label");
  ASSERT_GE(labelCol, 0);
  std::map<std::string, int> perLabel;
  for (size_t i = 1; i < rows.size(); ++i) ++perLabel[rows[i][static_cast<size_t>(labelCol)]];
  for (int k = 0; k < microfer::kNumEmotions; ++k)
    EXPECT_EQ(perLabel[microfer::emotionNames()[static_cast<size_t>(k)]],
              s.perExpression[static_cast<size_t>(k)])
        << microfer::emotionNames()[static_cast<size_t>(k)];
  EXPECT_EQ(countLines(fs::path(s.outDir.toStdString()) / "results.jsonl"),
            static_cast<size_t>(s.images));
  // The non-image was reported, not failed.
  EXPECT_FALSE(s.skipped.isEmpty());
}

TEST_F(Gui, VideoRunsToItsEndWhileTheWindowStaysResponsive) {
  REQUIRE_MODEL();
  MICROFER_REQUIRE_SHARED("data/dlib-faces");
  const fs::path video = results_ / "faces.avi";
  const int kFrames = 12;
  {
    const auto faces = dlibFaces(3);
    ASSERT_EQ(faces.size(), 3u);
    cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                           cv::Size(480, 360));
    ASSERT_TRUE(writer.isOpened());
    for (int i = 0; i < kFrames; ++i) {
      cv::Mat frame = cv::imread(faces[static_cast<size_t>(i / 4)]);
      cv::resize(frame, frame, cv::Size(480, 360));
      writer.write(frame);
    }
  }

  AppSettings settings = testSettings();
  settings.saveVideo = true;
  settings.smoothing = true;
  MainWindow window(settings);
  window.setMessageBoxesEnabled(false);
  window.setFileChooser(
      [&](MainWindow::ChooserKind) { return QString::fromStdString(video.string()); });
  window.show();

  // A timer on the GUI thread measures how long the event loop is ever blocked.
  int ticks = 0;
  qint64 longestGapMs = 0;
  QElapsedTimer sinceTick;
  sinceTick.start();
  QTimer heartbeat;
  QObject::connect(&heartbeat, &QTimer::timeout, [&] {
    ++ticks;
    longestGapMs = std::max(longestGapMs, sinceTick.restart());
  });
  heartbeat.start(10);

  QSignalSpy ended(&window, &MainWindow::streamEnded);
  QSignalSpy frames(&window, &MainWindow::frameShown);
  // A video file is labelled at the user's settings, as `microfer-cli label` does: no
  // adaptive quality (that is for live sources), so no quality level in the status bar.
  QStringList qualityShown;
  auto* qualityLabel = window.findChild<QLabel*>(QStringLiteral("qualityLabel"));
  ASSERT_NE(qualityLabel, nullptr);
  QObject::connect(&window, &MainWindow::frameShown, &window, [&] {
    qualityShown << (qualityLabel->isVisibleTo(&window) ? qualityLabel->text() : QString());
  });
  action(window, "actionOpenVideo")->trigger();

  // Pause after the first frame: frames stop arriving; Play resumes to the end.
  ASSERT_TRUE(frames.wait(120000)) << window.lastMessage().toStdString();
  if (ended.isEmpty()) {
    ASSERT_TRUE(action(window, "actionPause")->isEnabled());
    action(window, "actionPause")->trigger();
    QTest::qWait(1500);  // frames already in flight still land
    const qsizetype whilePaused = frames.size();
    QTest::qWait(1000);
    EXPECT_EQ(frames.size(), whilePaused) << "frames kept coming while paused";
    EXPECT_TRUE(ended.isEmpty());
    action(window, "actionPause")->trigger();
  }
  ASSERT_TRUE(ended.wait(240000) || !ended.isEmpty()) << window.lastMessage().toStdString();
  heartbeat.stop();

  const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
  EXPECT_TRUE(end.error.isEmpty()) << end.error.toStdString();
  EXPECT_EQ(end.framesProcessed, kFrames);
  EXPECT_GT(ticks, 10);
  EXPECT_LT(longestGapMs, 2000) << "the GUI thread was blocked";
  EXPECT_FALSE(window.isStreaming());

  const fs::path outDir = end.outDir.toStdString();
  EXPECT_EQ(countLines(outDir / "results.jsonl"), static_cast<size_t>(kFrames));
  const auto rows = readCsv(outDir / "results.csv");
  ASSERT_GE(rows.size(), 2u) << "no face rows in " << outDir;
  const int frameCol = column(rows[0], "frame");
  ASSERT_GE(frameCol, 0);
  const int qualityCol = column(rows[0], "quality");
  ASSERT_GE(qualityCol, 0);
  for (size_t i = 1; i < rows.size(); ++i) {
    const int f = std::stoi(rows[i][static_cast<size_t>(frameCol)]);
    EXPECT_GE(f, 0);
    EXPECT_LT(f, kFrames);
    // TTA / detect every / min face of that frame: the user's settings on every frame.
    EXPECT_EQ(rows[i][static_cast<size_t>(qualityCol)], "flip/5/40");
  }
  ASSERT_FALSE(qualityShown.isEmpty());
  for (const QString& q : qualityShown) EXPECT_TRUE(q.isEmpty()) << q.toStdString();
  EXPECT_FALSE(qualityLabel->isVisibleTo(&window)) << "hidden once the stream ended";
  ASSERT_FALSE(end.videoPath.isEmpty());
  cv::VideoCapture labelled(end.videoPath.toStdString());
  ASSERT_TRUE(labelled.isOpened()) << end.videoPath.toStdString();
  EXPECT_EQ(static_cast<int>(labelled.get(cv::CAP_PROP_FRAME_COUNT)), kFrames);
}

TEST_F(Gui, OpenStreamLabelsALiveSourceAndReportsItsReconnections) {
  REQUIRE_MODEL();
  if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER))
    GTEST_SKIP() << "this OpenCV has no GStreamer backend";
  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  // GStreamer's real-time test pattern, 30 FPS, ending after 15 frames each time it starts:
  // a stream that drops and must be reopened.
  QString answer = QStringLiteral(
      "videotestsrc is-live=true num-buffers=15 ! video/x-raw,width=320,height=240,"
      "framerate=30/1");
  window.setFileChooser([&](MainWindow::ChooserKind kind) {
    EXPECT_EQ(kind, MainWindow::ChooserKind::Stream);
    return answer;
  });
  window.show();
  QStringList messages;
  QObject::connect(window.statusBar(), &QStatusBar::messageChanged,
                   [&](const QString& m) { messages << m; });
  QSignalSpy frames(&window, &MainWindow::frameShown);
  QSignalSpy ended(&window, &MainWindow::streamEnded);
  // A live source runs with adaptive quality: the status bar names the level at every frame.
  QStringList qualityShown;
  auto* qualityLabel = window.findChild<QLabel*>(QStringLiteral("qualityLabel"));
  ASSERT_NE(qualityLabel, nullptr);
  QObject::connect(&window, &MainWindow::frameShown, &window, [&] {
    qualityShown << (qualityLabel->isVisibleTo(&window) ? qualityLabel->text() : QString());
  });
  action(window, "actionOpenStream")->trigger();
  QElapsedTimer clock;
  clock.start();
  while (frames.size() < 25 && ended.isEmpty() && clock.elapsed() < 60000) frames.wait(1000);
  ASSERT_TRUE(ended.isEmpty()) << window.lastMessage().toStdString();
  ASSERT_GE(frames.size(), 25) << window.lastMessage().toStdString();
  EXPECT_TRUE(window.isStreaming());
  for (const QString& q : qualityShown)
    EXPECT_TRUE(q.startsWith(QStringLiteral("quality: "))) << q.toStdString();
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(), [](const QString& m) {
    return m.contains(QStringLiteral("reconnecting (attempt 1 of 5)"));
  })) << messages.join(QLatin1Char('|')).toStdString();
  action(window, "actionStop")->trigger();
  ASSERT_TRUE(ended.wait(30000));
  const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
  EXPECT_TRUE(end.error.isEmpty()) << end.error.toStdString();
  EXPECT_GE(end.framesProcessed, 25);
  EXPECT_TRUE(end.videoPath.isEmpty()) << "a live source is recorded only while Record is on";
  EXPECT_GE(microfer::test::lines(fs::path(end.outDir.toStdString()) / "results.jsonl").size(), 25u);

  // Not a stream: said so, nothing started.
  answer = QStringLiteral("clip.mp4");
  action(window, "actionOpenStream")->trigger();
  EXPECT_FALSE(window.isStreaming());
  EXPECT_TRUE(window.lastMessage().contains(QStringLiteral("is not a stream")))
      << window.lastMessage().toStdString();
}

TEST_F(Gui, MissingCameraReportsAnErrorWithoutHanging) {
  AppSettings settings = testSettings();
  settings.cameraIndex = 97;
  MainWindow window(settings);
  window.setMessageBoxesEnabled(false);
  window.show();
  QSignalSpy ended(&window, &MainWindow::streamEnded);
  QElapsedTimer clock;
  clock.start();
  action(window, "actionCamera")->trigger();
  ASSERT_TRUE(ended.wait(30000)) << "no answer from a camera that does not exist";
  const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
  EXPECT_FALSE(end.error.isEmpty());
  EXPECT_FALSE(window.isStreaming());
  EXPECT_FALSE(action(window, "actionCamera")->isChecked());
  EXPECT_TRUE(window.lastMessage().contains(end.error)) << window.lastMessage().toStdString();
  EXPECT_LT(clock.elapsed(), 30000);
}

namespace {
/// A camera that delivers a few frames and then stops answering (unplugged).
class UnpluggedCamera : public microfer::FrameProvider {
 public:
  UnpluggedCamera(cv::Mat frame, int frames) : frame_(std::move(frame)), left_(frames) {}
  bool read(cv::Mat& out) override {
    if (left_ <= 0) return false;
    --left_;
    out = frame_.clone();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return true;
  }
  bool isFile() const override { return false; }
  double fps() const override { return 10; }
  std::string name() const override { return "camera:7"; }

 private:
  cv::Mat frame_;
  int left_;
};
}  // namespace

TEST_F(Gui, CameraLostMidStreamKeepsWhatWasWritten) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  AppSettings settings = testSettings();
  EXPECT_FALSE(settings.recordCamera) << "the camera is not recorded unless asked";
  settings.recordCamera = true;  // Record on
  MainWindow window(settings);
  window.setMessageBoxesEnabled(false);
  window.show();
  QSignalSpy ended(&window, &MainWindow::streamEnded);
  auto* camera = new UnpluggedCamera(cv::imread(image), 5);
  microfer::gui::PipelineWorker* worker = window.worker();
  // startSource runs on the worker thread, like the window's own camera action.
  QMetaObject::invokeMethod(
      worker,
      [worker, camera] {
        worker->startSource(std::unique_ptr<microfer::FrameProvider>(camera), true);
      },
      Qt::QueuedConnection);
  ASSERT_TRUE(ended.wait(120000)) << "a lost camera must end the stream";
  const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
  EXPECT_FALSE(end.error.isEmpty());
  EXPECT_GE(end.framesProcessed, 1);
  EXPECT_TRUE(window.lastMessage().contains(end.error)) << window.lastMessage().toStdString();
  const fs::path outDir = end.outDir.toStdString();
  EXPECT_EQ(countLines(outDir / "results.jsonl"), static_cast<size_t>(end.framesProcessed));
  ASSERT_FALSE(end.videoPath.isEmpty());
  EXPECT_TRUE(fs::exists(end.videoPath.toStdString())) << "the labelled video so far is kept";

  // Record off (the default): the results are written, no video.
  action(window, "actionRecord")->setChecked(false);
  ended.clear();
  auto* second = new UnpluggedCamera(cv::imread(image), 3);
  QMetaObject::invokeMethod(
      worker,
      [worker, second] {
        worker->startSource(std::unique_ptr<microfer::FrameProvider>(second), true);
      },
      Qt::QueuedConnection);
  ASSERT_TRUE(ended.wait(120000));
  const auto end2 = ended.first().first().value<microfer::gui::StreamEnd>();
  EXPECT_GE(end2.framesProcessed, 1);
  EXPECT_TRUE(end2.videoPath.isEmpty()) << end2.videoPath.toStdString();
  for (const auto& f : fs::directory_iterator(end2.outDir.toStdString()))
    EXPECT_NE(f.path().extension(), ".avi") << f.path();
}

TEST_F(Gui, VideoWithoutFramesIsReportedNotSilentlyFinished) {
  REQUIRE_MODEL();
  const fs::path video = results_ / "empty.avi";
  {
    // A valid container that holds no frame.
    cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                           cv::Size(320, 240));
    ASSERT_TRUE(writer.isOpened());
  }
  ASSERT_TRUE(fs::exists(video));
  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  window.setFileChooser(
      [&](MainWindow::ChooserKind) { return QString::fromStdString(video.string()); });
  QSignalSpy ended(&window, &MainWindow::streamEnded);
  action(window, "actionOpenVideo")->trigger();
  // Opening may already fail (no frame to probe): then an error message and no stream.
  if (ended.isEmpty()) ended.wait(10000);
  if (!ended.isEmpty()) {
    const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
    EXPECT_EQ(end.framesProcessed, 0);
    EXPECT_TRUE(end.error.contains(QStringLiteral("no readable frames")))
        << end.error.toStdString();
  }
  EXPECT_FALSE(window.lastMessage().isEmpty()) << "the user must be told";
  EXPECT_FALSE(window.isStreaming());
}

// When a video has been labelled, View > Expression Timeline shows the timeline the core
// wrote beside its results: the dock opens on its own with that picture.
TEST_F(Gui, VideoEndShowsItsExpressionTimeline) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  const fs::path video = results_ / "face.avi";
  {
    cv::Mat frame = cv::imread(image);
    cv::resize(frame, frame, cv::Size(320, 320));
    cv::VideoWriter writer(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                           frame.size());
    ASSERT_TRUE(writer.isOpened());
    for (int i = 0; i < 5; ++i) writer.write(frame);
  }
  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  window.setFileChooser(
      [&](MainWindow::ChooserKind) { return QString::fromStdString(video.string()); });
  window.show();
  auto* dock = window.findChild<QDockWidget*>(QStringLiteral("timelineDock"));
  ASSERT_NE(dock, nullptr);
  QAction* toggle = action(window, "actionTimeline");
  ASSERT_NE(toggle, nullptr);
  EXPECT_FALSE(toggle->text().isEmpty());
  EXPECT_FALSE(dock->accessibleName().isEmpty());
  EXPECT_FALSE(window.timelineView()->accessibleName().isEmpty());
  EXPECT_TRUE(window.timelineView()->image().isNull()) << "nothing before a video";

  QSignalSpy ended(&window, &MainWindow::streamEnded);
  action(window, "actionOpenVideo")->trigger();
  ASSERT_TRUE(ended.wait(240000) || !ended.isEmpty()) << window.lastMessage().toStdString();
  const auto end = ended.first().first().value<microfer::gui::StreamEnd>();
  ASSERT_TRUE(end.error.isEmpty()) << end.error.toStdString();
  ASSERT_FALSE(end.timelinePath.isEmpty());
  const fs::path png = end.timelinePath.toStdString();
  EXPECT_EQ(png.parent_path(), fs::path(end.outDir.toStdString())) << "beside the results";
  EXPECT_EQ(png.filename(), "face_timeline.png");
  const cv::Mat written = cv::imread(png.string());
  ASSERT_FALSE(written.empty()) << png;

  EXPECT_TRUE(dock->isVisibleTo(&window)) << "the dock opens when a timeline arrives";
  EXPECT_TRUE(toggle->isChecked());
  const QImage shown = window.timelineView()->image();
  EXPECT_EQ(shown.width(), written.cols);
  EXPECT_EQ(shown.height(), written.rows);
  EXPECT_TRUE(window.timelineView()->accessibleDescription().contains(end.timelinePath))
      << window.timelineView()->accessibleDescription().toStdString();
  // The menu item hides it and shows it again.
  toggle->trigger();
  EXPECT_FALSE(dock->isVisibleTo(&window));
  toggle->trigger();
  EXPECT_TRUE(dock->isVisibleTo(&window));
}

TEST_F(Gui, SettingsSurviveARestart) {
  AppSettings chosen;
  chosen.detector = microfer::DetectorChoice::Mtcnn;
  chosen.tta = microfer::TtaMode::Full;
  chosen.minFaceSize = 64;
  chosen.resultsDir = QString::fromStdString(results_.string());
  chosen.cameraIndex = 3;
  chosen.saveVideo = false;
  chosen.saveFrames = true;
  chosen.saveImages = false;
  chosen.smoothing = false;
  {
    MainWindow window;
    window.setMessageBoxesEnabled(false);
    ASSERT_TRUE(acceptInSettingsDialog(window, chosen)) << "no settings dialog";
    EXPECT_TRUE(window.settings() == chosen);
  }
  MainWindow restarted;
  EXPECT_TRUE(restarted.settings() == chosen);
  EXPECT_EQ(restarted.settings().detector, microfer::DetectorChoice::Mtcnn);
  EXPECT_EQ(restarted.settings().minFaceSize, 64);
  // On disk the core's names, as earlier versions wrote them.
  QSettings store;
  EXPECT_EQ(store.value(QStringLiteral("pipeline/detector")).toString(), QStringLiteral("mtcnn"));
  EXPECT_EQ(store.value(QStringLiteral("pipeline/tta")).toString(), QStringLiteral("full"));
}

TEST_F(Gui, SettingsFileHoldsTheCoresNamesAndSurvivesHandEdits) {
  // The defaults are the core's, as microfer-cli's.
  EXPECT_EQ(AppSettings().tta, microfer::TtaConfig{}.mode);
  EXPECT_EQ(AppSettings().minFaceSize, microfer::DetectorConfig{}.minFaceSize);
  const QString file = QString::fromStdString((results_ / "settings.ini").string());
  for (const auto detector : {microfer::DetectorChoice::Auto, microfer::DetectorChoice::Haar,
                              microfer::DetectorChoice::Mtcnn, microfer::DetectorChoice::Yunet})
    for (const auto tta :
         {microfer::TtaMode::Off, microfer::TtaMode::Flip, microfer::TtaMode::Full}) {
      AppSettings chosen;
      chosen.detector = detector;
      chosen.tta = tta;
      QSettings store(file, QSettings::IniFormat);
      chosen.save(store);
      EXPECT_EQ(store.value(QStringLiteral("pipeline/detector")).toString().toStdString(),
                microfer::toString(detector));
      EXPECT_EQ(store.value(QStringLiteral("pipeline/tta")).toString().toStdString(),
                microfer::toString(tta));
      EXPECT_TRUE(AppSettings::load(store) == chosen);
    }
  {
    // A file as an earlier version (or a user) wrote it.
    QSettings store(file, QSettings::IniFormat);
    store.clear();
    store.setValue(QStringLiteral("pipeline/detector"), QStringLiteral("haar"));
    store.setValue(QStringLiteral("pipeline/tta"), QStringLiteral("off"));
    store.setValue(QStringLiteral("pipeline/minFaceSize"), 64);
    const AppSettings loaded = AppSettings::load(store);
    EXPECT_EQ(loaded.detector, microfer::DetectorChoice::Haar);
    EXPECT_EQ(loaded.tta, microfer::TtaMode::Off);
    EXPECT_EQ(loaded.minFaceSize, 64);
  }
  {
    // Names no version writes: the defaults, not a pipeline that fails at every start.
    QSettings store(file, QSettings::IniFormat);
    store.setValue(QStringLiteral("pipeline/detector"), QStringLiteral("dlib"));
    store.setValue(QStringLiteral("pipeline/tta"), QStringLiteral("lots"));
    store.setValue(QStringLiteral("pipeline/minFaceSize"), 3);
    const AppSettings loaded = AppSettings::load(store);
    EXPECT_EQ(loaded.detector, AppSettings().detector);
    EXPECT_EQ(loaded.tta, AppSettings().tta);
    EXPECT_EQ(loaded.minFaceSize, microfer::kSmallestMinFace);
  }
}

TEST_F(Gui, CommandLineDetectorAndTtaAreTheCoresWords) {
  QProcess gui;
  QProcessEnvironment env = offscreenEnvironment(results_ / "config");
  gui.setProcessEnvironment(env);
  // Refused before any window or model: a usage error that names the allowed words.
  const std::vector<std::pair<QStringList, std::string>> cases = {
      {{QStringLiteral("--detector"), QStringLiteral("dlib")}, "'auto', 'haar', 'mtcnn' or 'yunet'"},
      {{QStringLiteral("--tta"), QStringLiteral("lots")}, "off, flip or full"}};
  for (const auto& [args, allowed] : cases) {
    gui.start(QStringLiteral(MICROFER_GUI), args);
    ASSERT_TRUE(gui.waitForFinished(60000));
    const std::string err = gui.readAllStandardError().toStdString();
    EXPECT_EQ(gui.exitCode(), 2) << err;
    EXPECT_NE(err.find(args.first().toStdString() + ": "), std::string::npos) << err;
    EXPECT_NE(err.find(allowed), std::string::npos) << err;
  }
}

TEST_F(Gui, WindowGeometryAndSplitAreKeptBetweenRuns) {
  QList<int> split;
  {
    MainWindow window(testSettings());
    window.show();
    window.resize(900, 640);
    auto* splitter = window.findChild<QSplitter*>(QStringLiteral("splitter"));
    ASSERT_NE(splitter, nullptr);
    splitter->setSizes({600, 280});
    split = splitter->sizes();
    window.close();  // as the user closes it: the state is saved
  }
  MainWindow restarted(testSettings());
  restarted.show();
  EXPECT_EQ(restarted.size(), QSize(900, 640));
  auto* splitter = restarted.findChild<QSplitter*>(QStringLiteral("splitter"));
  ASSERT_NE(splitter, nullptr);
  EXPECT_EQ(splitter->sizes(), split);
}

TEST_F(Gui, AboutNamesTheLicencesOfWhatShips) {
  MainWindow window(testSettings());
  const QString about = window.aboutText();
  for (const char* part : {"MTCNN weights (Zhang et al. 2016): MIT", "Qt: LGPL-3.0",
                           "OpenCV: Apache-2.0", "LibTorch: BSD-3-Clause", MICROFER_VERSION})
    EXPECT_TRUE(about.contains(QString::fromUtf8(part))) << part << "\n" << about.toStdString();
}

TEST_F(Gui, FailedDetectorSwitchKeepsTheDetectorInUseAlsoOnDisk) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  // MTCNN made unavailable: where $MICROFER_MTCNN_DIR is set it is the only folder tried.
  struct EnvGuard {
    QByteArray previous = qgetenv("MICROFER_MTCNN_DIR");
    bool had = qEnvironmentVariableIsSet("MICROFER_MTCNN_DIR");
    ~EnvGuard() {
      if (had)
        qputenv("MICROFER_MTCNN_DIR", previous);
      else
        qunsetenv("MICROFER_MTCNN_DIR");
    }
  } restoreEnv;
  qputenv("MICROFER_MTCNN_DIR", QByteArray::fromStdString((results_ / "no-weights").string()));
  {
    MainWindow window(testSettings());
    window.setMessageBoxesEnabled(false);
    window.setFileChooser(
        [&](MainWindow::ChooserKind) { return QString::fromStdString(image); });
    QSignalSpy shown(&window, &MainWindow::resultShown);
    action(window, "actionOpenImage")->trigger();  // the Haar pipeline is up and working
    ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();

    AppSettings wanted = window.settings();
    wanted.detector = microfer::DetectorChoice::Mtcnn;
    wanted.minFaceSize = 64;
    QSignalSpy errors(&window, &MainWindow::errorShown);
    ASSERT_TRUE(acceptInSettingsDialog(window, wanted)) << "no settings dialog";
    ASSERT_TRUE(errors.wait(60000)) << "the failed switch must be reported";
    EXPECT_TRUE(errors.first().first().toString().contains(QStringLiteral("MTCNN weights")))
        << errors.first().first().toString().toStdString();
    // The settings follow the detector in use once the worker has said which it kept.
    EXPECT_TRUE(QTest::qWaitFor(
        [&] { return window.settings().detector == microfer::DetectorChoice::Haar; }, 10000));
    EXPECT_EQ(window.settings().minFaceSize, microfer::DetectorConfig{}.minFaceSize);
  }
  MainWindow restarted;  // would start with no pipeline at all if "mtcnn" had been kept
  EXPECT_EQ(restarted.settings().detector, microfer::DetectorChoice::Haar);
  EXPECT_EQ(restarted.settings().minFaceSize, microfer::DetectorConfig{}.minFaceSize);
}

TEST_F(Gui, ModelChosenInSettingsLabelsAndABrokenOneIsRefused) {
  REQUIRE_MODEL();
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  const QString installed = QString::fromStdString(microfer::gui::installedModelPath());
  // Another model file (the installed one under another name), and a file that is no model.
  const QString other = QString::fromStdString((results_ / "other.mfm").string());
  const QString broken = QString::fromStdString((results_ / "broken.mfm").string());
  fs::copy_file(installed.toStdString(), other.toStdString());
  std::ofstream(broken.toStdString()) << "not a model";

  // The dialog offers the default first, then every other model installed beside it.
  {
    microfer::gui::SettingsDialog dialog;
    auto* combo = dialog.findChild<QComboBox*>(QStringLiteral("modelCombo"));
    ASSERT_NE(combo, nullptr);
    EXPECT_TRUE(combo->itemData(0).toString().isEmpty());
    // Each entry names its model as the file does, and the tooltip says what it was trained
    // on (the first line of the file's notes).
    const microfer::ModelInfo defaultInfo = microfer::readModelInfo(installed.toStdString());
    EXPECT_EQ(combo->itemText(0).toStdString(),
              "Default (" + QFileInfo(installed).fileName().toStdString() + ": " +
                  defaultInfo.name + ")");
    const QString defaultTip = combo->itemData(0, Qt::ToolTipRole).toString();
    EXPECT_TRUE(defaultTip.contains(installed)) << defaultTip.toStdString();
    ASSERT_FALSE(defaultInfo.notes.empty()) << "the shipped model's notes say how it was made";
    EXPECT_TRUE(defaultTip.contains(
        QString::fromStdString(defaultInfo.notes.substr(0, 40)).toHtmlEscaped()))
        << defaultTip.toStdString();
    for (const QString& path : AppSettings::installedModels())
      if (path != QFileInfo(installed).absoluteFilePath()) {
        const int i = combo->findData(path);
        EXPECT_GE(i, 1) << path.toStdString();
        const microfer::ModelInfo info = microfer::readModelInfo(path.toStdString());
        EXPECT_EQ(combo->itemText(i), QFileInfo(path).fileName() + QStringLiteral(": ") +
                                          QString::fromStdString(info.name));
        const QString tip = combo->itemData(i, Qt::ToolTipRole).toString();
        EXPECT_TRUE(tip.contains(path)) << tip.toStdString();
        if (!info.notes.empty())
          EXPECT_TRUE(tip.contains(
              QString::fromStdString(info.notes.substr(0, 40)).toHtmlEscaped()))
              << tip.toStdString();
      }
    AppSettings s;
    s.model = other;
    dialog.setSettings(s);
    EXPECT_EQ(dialog.settings().model.toStdString(), other.toStdString())
        << "a file from elsewhere is added and kept";
  }

  {
    MainWindow window(testSettings());
    window.setMessageBoxesEnabled(false);
    QSignalSpy shown(&window, &MainWindow::resultShown);
    window.openImage(QString::fromStdString(image));
    ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
    EXPECT_EQ(QFileInfo(window.modelFile()).absoluteFilePath().toStdString(),
              QFileInfo(installed).absoluteFilePath().toStdString());
    const QStringList defaultLabels = window.facePanel()->labels();
    ASSERT_FALSE(defaultLabels.isEmpty());

    AppSettings wanted = window.settings();
    wanted.model = other;
    ASSERT_TRUE(acceptInSettingsDialog(window, wanted)) << "no settings dialog";
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.modelFile() == other; }, 60000))
        << "still " << window.modelFile().toStdString();
    shown.clear();
    window.openImage(QString::fromStdString(image));
    ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
    EXPECT_EQ(window.facePanel()->labels(), defaultLabels) << "the same weights, the same labels";

    // A file that cannot be read is reported, and the model in use stays, also on disk.
    QSignalSpy errors(&window, &MainWindow::errorShown);
    wanted.model = broken;
    ASSERT_TRUE(acceptInSettingsDialog(window, wanted)) << "no settings dialog";
    ASSERT_TRUE(errors.wait(60000)) << "the failed switch must be reported";
    EXPECT_TRUE(errors.first().first().toString().contains(QStringLiteral("broken.mfm")))
        << errors.first().first().toString().toStdString();
    EXPECT_TRUE(QTest::qWaitFor([&] { return window.settings().model == other; }, 10000))
        << window.settings().model.toStdString();
    EXPECT_EQ(window.modelFile().toStdString(), other.toStdString());
    shown.clear();
    window.openImage(QString::fromStdString(image));
    ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
    EXPECT_EQ(window.facePanel()->labels(), defaultLabels);
  }
  MainWindow restarted;
  EXPECT_EQ(restarted.settings().model.toStdString(), other.toStdString());
}

TEST_F(Gui, HeadlessScreenshot) {
  const std::string image = sampleImage();
  if (image.empty()) GTEST_SKIP() << "needs assets/astronaut.png or ../shared/data/dlib-faces";
  const fs::path shot = results_ / "window.png";
  QProcess gui;
  QProcessEnvironment env = offscreenEnvironment(results_ / "config");
  gui.setProcessEnvironment(env);
  // The image as a positional argument, as a file manager's "Open with MicroFER" passes it.
  gui.start(
      QStringLiteral(MICROFER_GUI),
      {QString::fromStdString(image), QStringLiteral("--screenshot"),
       QString::fromStdString(shot.string()), QStringLiteral("--results"),
       QString::fromStdString((results_ / "out").string()), QStringLiteral("--detector"),
       QStringLiteral("haar"), QStringLiteral("--tta"), QStringLiteral("flip")});
  ASSERT_TRUE(gui.waitForFinished(180000));
  const std::string err = gui.readAllStandardError().toStdString();
  if (!haveModel()) {
    EXPECT_EQ(gui.exitCode(), 3) << "without a model the set-up error code is expected; " << err;
    return;
  }
  ASSERT_EQ(gui.exitCode(), 0) << err;
  const cv::Mat png = cv::imread(shot.string());
  ASSERT_FALSE(png.empty()) << shot;
  EXPECT_GE(png.cols, 800);
  EXPECT_TRUE(fs::exists(results_ / "out" / "results.csv"));

  // Without --results a screenshot run writes the screenshot only: nothing in the results
  // folder (the default one, under a Pictures folder of our own: user-dirs.dirs in the
  // XDG_CONFIG_HOME set above, where QStandardPaths reads it; HOME of our own too, in case
  // it did not), and no File → Recent entry in the settings.
  const fs::path pictures = fs::absolute(results_ / "pictures");
  const fs::path home = fs::absolute(results_ / "home");
  fs::create_directories(pictures);
  fs::create_directories(home);
  fs::remove_all(results_ / "config");
  fs::create_directories(results_ / "config");
  std::ofstream(results_ / "config" / "user-dirs.dirs")
      << "XDG_PICTURES_DIR=\"" << pictures.string() << "\"\n";
  env.insert(QStringLiteral("HOME"), QString::fromStdString(home.string()));
  gui.setProcessEnvironment(env);
  fs::remove(shot);
  gui.start(QStringLiteral(MICROFER_GUI),
            {QString::fromStdString(image), QStringLiteral("--screenshot"),
             QString::fromStdString(shot.string()), QStringLiteral("--detector"),
             QStringLiteral("haar"), QStringLiteral("--tta"), QStringLiteral("off")});
  ASSERT_TRUE(gui.waitForFinished(180000));
  ASSERT_EQ(gui.exitCode(), 0) << gui.readAllStandardError().toStdString();
  EXPECT_TRUE(fs::exists(shot));
  EXPECT_FALSE(fs::exists(pictures / "MicroFER")) << "a screenshot run wrote results";
  EXPECT_FALSE(fs::exists(home / "Pictures" / "MicroFER")) << "a screenshot run wrote results";
  const std::string imageName = fs::path(image).filename().string();
  for (const auto& f : fs::recursive_directory_iterator(results_ / "config"))
    if (f.is_regular_file())
      EXPECT_EQ(microfer::test::slurp(f.path()).find(imageName), std::string::npos)
          << f.path() << " remembers the screenshot's image";

  // A path that does not exist is a usage error, not an empty window.
  gui.start(QStringLiteral(MICROFER_GUI), {QStringLiteral("/nonexistent/x.png"),
                                           QStringLiteral("--screenshot"),
                                           QString::fromStdString(shot.string())});
  ASSERT_TRUE(gui.waitForFinished(60000));
  EXPECT_EQ(gui.exitCode(), 2);
  // So is a negative thread count, in the core's words (as microfer-cli says it).
  gui.start(QStringLiteral(MICROFER_GUI), {QString::fromStdString(image), QStringLiteral("--threads"),
                                           QStringLiteral("-2"), QStringLiteral("--screenshot"),
                                           QString::fromStdString(shot.string())});
  ASSERT_TRUE(gui.waitForFinished(60000));
  EXPECT_EQ(gui.exitCode(), 2);
  EXPECT_NE(gui.readAllStandardError().toStdString().find("must be 0 (every core) or more"),
            std::string::npos);
}

TEST_F(Gui, ResultsGoUnderPicturesAndTheCameraIsNotRecordedByDefault) {
  const QString dir = AppSettings::defaultResultsDir();
  const QString pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
  EXPECT_EQ(dir, QDir(pictures.isEmpty() ? QDir::homePath() : pictures)
                     .filePath(QStringLiteral("MicroFER")));
  EXPECT_NE(dir, QDir::home().filePath(QStringLiteral("MicroFER/results"))) << "the old place";
  EXPECT_FALSE(AppSettings().recordCamera);
  MainWindow window(testSettings());
  EXPECT_FALSE(action(window, "actionRecord")->isChecked());
  EXPECT_EQ(action(window, "actionOpenImage")->shortcut(), QKeySequence(QKeySequence::Open));
  EXPECT_EQ(action(window, "actionQuit")->shortcut(), QKeySequence(QKeySequence::Quit));
}

namespace {

/// What a screen reader is told about a widget (through Qt's accessibility interface).
QString accessibleText(QWidget* w, QAccessible::Text kind) {
  QAccessibleInterface* iface = QAccessible::queryAccessibleInterface(w);
  return iface ? iface->text(kind) : QString();
}

/// Restores the English interface when a test that switched language ends, however it ends.
struct EnglishAfterwards {
  ~EnglishAfterwards() { microfer::gui::setUiLanguage(QStringLiteral("en")); }
};

}  // namespace

TEST(GuiLanguage, SimplifiedChineseLocalesGetChineseEveryOtherEnglish) {
  using microfer::gui::uiLanguageFor;
  for (const char* name : {"zh_CN", "zh_SG", "zh"})
    EXPECT_EQ(uiLanguageFor(QLocale(QString::fromLatin1(name))).toStdString(), "zh_CN") << name;
  for (const char* name : {"en_US", "en_GB", "de_DE", "fr_FR", "ja_JP", "zh_TW", "zh_HK", "C"})
    EXPECT_EQ(uiLanguageFor(QLocale(QString::fromLatin1(name))).toStdString(), "en") << name;
  // The displayed English names are the core's (those of results.csv).
  for (int i = 0; i < microfer::kNumEmotions; ++i)
    EXPECT_EQ(microfer::gui::expressionDisplayName(i).toStdString(),
              microfer::emotionNames()[static_cast<size_t>(i)]);
}

// The window in Chinese (as LANG=zh_CN.UTF-8 chooses it) and back in English; the files it
// writes keep the core's English names.
TEST_F(Gui, ChineseInterfaceShowsChineseMenusAndExpressionNames) {
#ifndef MICROFER_HAVE_TRANSLATIONS
  GTEST_SKIP() << "built without Qt's LinguistTools (Debian: qt6-tools-dev qt6-l10n-tools)";
#else
  app();
  const EnglishAfterwards restore;
  ASSERT_TRUE(microfer::gui::setUiLanguage(
      microfer::gui::uiLanguageFor(QLocale(QLocale::Chinese, QLocale::China))))
      << "the embedded :/i18n/microfer_zh_CN.qm did not load";
  const QStringList chinese = {QStringLiteral("愤怒"), QStringLiteral("厌恶"),
                               QStringLiteral("恐惧"), QStringLiteral("高兴"),
                               QStringLiteral("悲伤"), QStringLiteral("惊讶"),
                               QStringLiteral("中性")};
  for (int i = 0; i < microfer::kNumEmotions; ++i)
    EXPECT_EQ(microfer::gui::expressionDisplayName(i).toStdString(), chinese[i].toStdString())
        << "expression " << i;
  {
    MainWindow window(testSettings());
    window.setMessageBoxesEnabled(false);
    auto* file = window.findChild<QMenu*>(QStringLiteral("menuFile"));
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(file->title().toStdString(), "文件(&F)");
    EXPECT_EQ(action(window, "actionOpenImage")->text().toStdString(), "打开图像(&O)…");
    EXPECT_EQ(action(window, "actionCamera")->text().toStdString(), "启动摄像头(&C)");
    EXPECT_EQ(action(window, "actionTimeline")->text().toStdString(), "表情时间线(&T)");
    auto* toolBar = window.findChild<QToolBar*>(QStringLiteral("mainToolBar"));
    ASSERT_NE(toolBar, nullptr);
    QWidget* openButton = toolBar->widgetForAction(action(window, "actionOpenImage"));
    EXPECT_EQ(accessibleText(openButton, QAccessible::Name).toStdString(), "打开图像")
        << "the tool button's name drops the whole \"(&O)\" and the ellipsis";

    FacePanel panel;
    FaceView face;
    face.label = 5;  // surprise
    face.probs = {0.02f, 0.01f, 0.05f, 0.03f, 0.02f, 0.83f, 0.04f};
    panel.setFaces({face});
    ASSERT_NE(panel.entry(0), nullptr);
    EXPECT_EQ(panel.entry(0)->verdict().toStdString(), "惊讶 83%");
    EXPECT_EQ(panel.entry(0)->title().toStdString(), "人脸 1");
    EXPECT_EQ(panel.labels(), QStringList{QStringLiteral("surprise")}) << "the CSV's names";

    const std::string image = sampleImage();
    if (haveModel() && !image.empty()) {
      window.setFileChooser([&](MainWindow::ChooserKind) { return QString::fromStdString(image); });
      window.show();
      QSignalSpy shown(&window, &MainWindow::resultShown);
      action(window, "actionOpenImage")->trigger();
      ASSERT_TRUE(shown.wait(120000)) << window.lastMessage().toStdString();
      const auto* entry = window.facePanel()->entry(0);
      ASSERT_NE(entry, nullptr) << "no face in " << image;
      const int label = entry->label();
      ASSERT_GE(label, 0);
      EXPECT_TRUE(entry->verdict().startsWith(chinese[label]) ||
                  entry->verdict().contains(QStringLiteral("不确定")))
          << entry->verdict().toStdString();
      EXPECT_TRUE(window.imageView()->accessibleDescription().contains(QStringLiteral("张人脸")))
          << window.imageView()->accessibleDescription().toStdString();
      const auto rows = readCsv(results_ / "results.csv");
      ASSERT_GE(rows.size(), 2u);
      const int labelCol = column(rows[0], "label");
      ASSERT_GE(labelCol, 0);
      EXPECT_EQ(rows[1][static_cast<size_t>(labelCol)],
                microfer::emotionNames()[static_cast<size_t>(label)])
          << "results.csv stays English";
    }
  }

  ASSERT_TRUE(microfer::gui::setUiLanguage(
      microfer::gui::uiLanguageFor(QLocale(QLocale::English, QLocale::UnitedStates))));
  MainWindow english(testSettings());
  auto* file = english.findChild<QMenu*>(QStringLiteral("menuFile"));
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->title().toStdString(), "&File");
  EXPECT_EQ(action(english, "actionOpenImage")->text().toStdString(), "&Open Image…");
  EXPECT_EQ(microfer::gui::expressionDisplayName(3).toStdString(), "happy");

  // An unknown --lang is a usage error, refused before any window opens.
  QProcess gui;
  gui.start(QStringLiteral(MICROFER_GUI), {QStringLiteral("--lang"), QStringLiteral("tlh")});
  ASSERT_TRUE(gui.waitForFinished(60000));
  EXPECT_EQ(gui.exitCode(), 2) << gui.readAllStandardError().toStdString();
#endif
}

// Screen readers: the panel, each face and its custom-painted bars have names, and the bars'
// description reads out the seven figures, most likely first.
TEST_F(Gui, FacePanelAndProbabilityBarsHaveAccessibleNamesAndFigures) {
  app();
  FacePanel panel;
  FaceView face;
  face.label = 5;  // surprise
  face.probs = {0.02f, 0.01f, 0.05f, 0.03f, 0.02f, 0.83f, 0.04f};
  panel.setFaces({face});
  panel.show();
  QApplication::processEvents();
  EXPECT_FALSE(accessibleText(&panel, QAccessible::Name).isEmpty());
  EXPECT_FALSE(accessibleText(&panel, QAccessible::Description).isEmpty());
  auto* entry = const_cast<microfer::gui::FaceEntry*>(panel.entry(0));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(accessibleText(entry, QAccessible::Name).toStdString(), "Face 1");
  EXPECT_EQ(accessibleText(entry, QAccessible::Description).toStdString(), "surprise 83%");
  auto* bars = entry->findChild<microfer::gui::ProbabilityChart*>();
  ASSERT_NE(bars, nullptr);
  EXPECT_FALSE(accessibleText(bars, QAccessible::Name).isEmpty());
  EXPECT_EQ(accessibleText(bars, QAccessible::Description).toStdString(),
            "surprise 83%, fear 5%, neutral 4%, happy 3%, angry 2%, sad 2%, disgust 1%");
  // The description follows the figures shown.
  face.label = 3;
  face.probs = {0.f, 0.f, 0.f, 0.72f, 0.f, 0.13f, 0.15f};
  panel.setFaces({face});
  const QString now = accessibleText(bars, QAccessible::Description);
  EXPECT_TRUE(now.startsWith(QStringLiteral("happy 72%, neutral 15%, surprise 13%")))
      << now.toStdString();
  for (const std::string& name : microfer::emotionNames())
    EXPECT_TRUE(now.contains(QString::fromStdString(name)))
        << name << " missing in " << now.toStdString();

  MainWindow window(testSettings());
  EXPECT_FALSE(accessibleText(window.imageView(), QAccessible::Name).isEmpty());
  EXPECT_FALSE(accessibleText(window.imageView(), QAccessible::Description).isEmpty());
  EXPECT_FALSE(accessibleText(window.facePanel(), QAccessible::Name).isEmpty());
  auto* toolBar = window.findChild<QToolBar*>(QStringLiteral("mainToolBar"));
  ASSERT_NE(toolBar, nullptr);
  for (QAction* a : toolBar->actions()) {
    if (a->isSeparator()) continue;
    QWidget* button = toolBar->widgetForAction(a);
    ASSERT_NE(button, nullptr) << a->objectName().toStdString();
    const QString name = accessibleText(button, QAccessible::Name);
    EXPECT_TRUE(!name.isEmpty() && !name.contains(QLatin1Char('&')))
        << a->objectName().toStdString() << ": '" << name.toStdString() << "'";
    EXPECT_EQ(accessibleText(button, QAccessible::Description).toStdString(),
              a->statusTip().toStdString())
        << a->objectName().toStdString();
  }
  QWidget* openButton = toolBar->widgetForAction(action(window, "actionOpenImage"));
  EXPECT_EQ(accessibleText(openButton, QAccessible::Name).toStdString(), "Open Image");
}

// ---- Review Results: the table of a results folder's faces, corrected and exported ----

namespace {

/// A results folder written by hand: 3 faces in two pictures, the second face uncertain and
/// from a file whose name holds a comma and quotes (solid red, so its thumbnail is red).
/// Returns the path of that file.
fs::path writeReviewFolder(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path plain = dir / "plain.png";
  const fs::path odd = dir / "faces, \"two\".png";
  cv::imwrite(plain.string(), cv::Mat(120, 200, CV_8UC3, cv::Scalar(200, 120, 40)));
  cv::imwrite(odd.string(), cv::Mat(120, 200, CV_8UC3, cv::Scalar(0, 0, 255)));
  const std::string probs = ",0.01,0.01,0.01,0.90,0.03,0.02,0.02";
  std::ofstream csv(dir / "results.csv");
  csv << microfer::ResultsWriter::csvHeader() << '\n'
      << plain.string() << ",0,,0,10.0,10.0,40.0,40.0,0.9900,happy,0.9500" << probs
      << ",-1,0,flip/1/40,0\n"
      << '"' << dir.string() << "/faces, \"\"two\"\".png\",0,,0,50.0,20.0,30.0,30.0,0.9000,sad,0.4100"
      << probs << ",-1,1,flip/1/40,0\n"
      << plain.string() << ",0,,1,100.0,10.0,50.0,50.0,0.9800,neutral,0.8000" << probs
      << ",-1,0,flip/1/40,0\n";
  return odd;
}

}  // namespace

TEST(GuiReview, CsvReaderUndoesTheWritersQuoting) {
  const std::string odd = "a \"quoted\", path\nwith a line break.png";
  const std::string text = microfer::csvField(odd) + ",1,x\r\nplain,,\"\"\n" + "torn,\"never closed";
  const auto records = microfer::parseCsv(text);
  ASSERT_EQ(records.size(), 2u) << "the torn last record must be dropped";
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{odd, "1", "x"}));
  EXPECT_EQ(records[0].text, microfer::csvField(odd) + ",1,x") << "the \\r\\n must not stay";
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"plain", "", ""}));
}

TEST_F(Gui, ReviewTableFiltersCorrectsFromTheKeyboardAndExports) {
  const fs::path dir = results_ / "review";
  const fs::path odd = writeReviewFolder(dir);
  microfer::gui::ReviewDialog dialog;
  dialog.setMessageBoxesEnabled(false);
  ASSERT_TRUE(dialog.openFolder(QString::fromStdString(dir.string())))
      << dialog.lastError().toStdString();
  dialog.show();
  auto* model = dialog.model();
  auto* view = dialog.table();
  ASSERT_EQ(model->rowCount(), 3);
  EXPECT_EQ(model->columnCount(), microfer::gui::ReviewModel::ColumnCount);
  EXPECT_EQ(model->row(1).source.toStdString(), odd.string()) << "the quoted source path";
  EXPECT_TRUE(model->row(1).uncertain);
  EXPECT_EQ(model->row(1).label, microfer::emotionIndex("sad"));
  EXPECT_NEAR(model->row(1).box.width(), 30.0, 1e-6);
  EXPECT_FALSE(view->accessibleName().isEmpty());

  // The thumbnail is the face box cut from its source (the red picture, found by its odd name).
  const QImage thumb = model->index(1, microfer::gui::ReviewModel::Face)
                           .data(Qt::DecorationRole)
                           .value<QImage>();
  ASSERT_FALSE(thumb.isNull()) << "no thumbnail for " << odd;
  EXPECT_EQ(std::max(thumb.width(), thumb.height()), microfer::gui::ReviewModel::kThumbnailSide);
  EXPECT_EQ(thumb.pixelColor(thumb.width() / 2, thumb.height() / 2), QColor(255, 0, 0));

  // Filters, through the dialog's own combo boxes.
  auto* show = dialog.findChild<QComboBox*>(QStringLiteral("reviewShow"));
  auto* label = dialog.findChild<QComboBox*>(QStringLiteral("reviewLabel"));
  ASSERT_TRUE(show && label);
  show->setCurrentIndex(2);  // only uncertain
  ASSERT_EQ(view->model()->rowCount(), 1);
  EXPECT_TRUE(view->model()->index(0, 0).data(microfer::gui::ReviewModel::UncertainRole).toBool());
  show->setCurrentIndex(1);  // uncertain first
  ASSERT_EQ(view->model()->rowCount(), 3);
  EXPECT_EQ(view->model()->index(0, 0).data(microfer::gui::ReviewModel::RowRole).toInt(), 1);
  label->setCurrentIndex(label->findData(microfer::emotionIndex("neutral")));
  ASSERT_EQ(view->model()->rowCount(), 1);
  EXPECT_EQ(view->model()->index(0, 0).data(microfer::gui::ReviewModel::RowRole).toInt(), 2);
  label->setCurrentIndex(0);
  show->setCurrentIndex(0);
  ASSERT_EQ(view->model()->rowCount(), 3);

  // Keyboard: 1 sets "angry" on the first face and moves on; Down skips the second; 'h' sets
  // "happy" on the third.
  view->setFocus();
  view->selectRow(0);
  QTest::keyClick(view, Qt::Key_1);
  EXPECT_EQ(model->row(0).reviewed, microfer::emotionIndex("angry"));
  EXPECT_EQ(view->currentIndex().row(), 1) << "a correction moves to the next face";
  QTest::keyClick(view, Qt::Key_Down);
  QTest::keyClick(view, Qt::Key_H);
  EXPECT_EQ(model->row(1).reviewed, -1);
  EXPECT_EQ(model->row(2).reviewed, microfer::emotionIndex("happy"));

  // F2 opens the list of labels in the row; choosing sets the label as the keys do.
  view->selectRow(1);
  QTest::keyClick(view, Qt::Key_F2);
  auto* editor = view->findChild<QComboBox*>();
  ASSERT_NE(editor, nullptr) << "F2 opened no list";
  editor->setCurrentIndex(editor->findData(microfer::emotionIndex("fear")));
  Q_EMIT editor->activated(editor->currentIndex());
  EXPECT_EQ(model->row(1).reviewed, microfer::emotionIndex("fear"));
  model->setReviewedLabel(1, -1);

  // Export: results.csv's rows with reviewed_label appended, the prediction kept.
  QSignalSpy exported(&dialog, &microfer::gui::ReviewDialog::exported);
  auto* exportButton = dialog.findChild<QPushButton*>(QStringLiteral("reviewExport"));
  ASSERT_NE(exportButton, nullptr);
  EXPECT_FALSE(exportButton->accessibleName().isEmpty());
  QTest::mouseClick(exportButton, Qt::LeftButton);
  ASSERT_EQ(exported.count(), 1) << dialog.lastError().toStdString();
  const fs::path reviewed = dir / "results-reviewed.csv";
  const std::string original = microfer::test::slurp(dir / "results.csv");
  const auto rows = microfer::parseCsv(microfer::test::slurp(reviewed));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].text, microfer::ResultsWriter::csvHeader() + ",reviewed_label");
  const int labelAt = column(rows[0].fields, "label");
  const int reviewedAt = column(rows[0].fields, "reviewed_label");
  ASSERT_GE(labelAt, 0);
  ASSERT_EQ(reviewedAt, static_cast<int>(rows[0].fields.size()) - 1);
  const std::vector<std::string> labels = {"happy", "sad", "neutral"};
  const std::vector<std::string> corrected = {"angry", "", "happy"};
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].fields[labelAt], labels[r - 1]) << "row " << r << ": prediction kept";
    EXPECT_EQ(rows[r].fields[reviewedAt], corrected[r - 1]) << "row " << r;
    EXPECT_NE(original.find(rows[r].text.substr(0, rows[r].text.rfind(','))), std::string::npos)
        << "row " << r << " is not results.csv's row as it was";
  }
  EXPECT_EQ(rows[2].fields[0], odd.string());
  for (const auto& f : fs::directory_iterator(dir))
    EXPECT_EQ(f.path().filename().string().rfind(".tmp-", 0), std::string::npos) << f.path();

  // Opened again, the folder shows the corrections exported before.
  microfer::gui::ReviewDialog again;
  again.setMessageBoxesEnabled(false);
  ASSERT_TRUE(again.openFolder(QString::fromStdString(dir.string())));
  EXPECT_EQ(again.model()->row(0).reviewed, microfer::emotionIndex("angry"));
  EXPECT_EQ(again.model()->reviewedCount(), 2);

  // A folder without results is refused with a reason.
  fs::create_directories(results_ / "empty");
  EXPECT_FALSE(again.openFolder(QString::fromStdString((results_ / "empty").string())));
  EXPECT_NE(again.lastError().indexOf(QStringLiteral("results.csv")), -1);
}

TEST_F(Gui, FileMenuReviewResultsOpensTheTableOnTheChosenFolder) {
  const fs::path dir = results_ / "review";
  writeReviewFolder(dir);
  MainWindow window(testSettings());
  window.setMessageBoxesEnabled(false);
  std::vector<MainWindow::ChooserKind> asked;
  window.setFileChooser([&](MainWindow::ChooserKind kind) {
    asked.push_back(kind);
    return QString::fromStdString(dir.string());
  });
  action(window, "actionReviewResults")->trigger();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], MainWindow::ChooserKind::Results);
  auto* dialog = window.findChild<microfer::gui::ReviewDialog*>(QStringLiteral("reviewDialog"));
  ASSERT_NE(dialog, nullptr);
  EXPECT_TRUE(dialog->isVisible());
  EXPECT_EQ(dialog->model()->rowCount(), 3);
  dialog->close();

  // A folder without results.csv: an error message, no dialog.
  fs::create_directories(results_ / "empty");
  EXPECT_EQ(window.reviewResults(QString::fromStdString((results_ / "empty").string())), nullptr);
  EXPECT_NE(window.lastMessage().indexOf(QStringLiteral("results.csv")), -1);
}

TEST_F(Gui, ReviewScreenshotNeedsNoModel) {
  const fs::path dir = results_ / "review";
  writeReviewFolder(dir);
  const fs::path shot = results_ / "review.png";
  QProcess gui;
  QProcessEnvironment env = offscreenEnvironment(results_ / "config");
  gui.setProcessEnvironment(env);
  gui.start(QStringLiteral(MICROFER_GUI),
            {QStringLiteral("--review"), QString::fromStdString(dir.string()),
             QStringLiteral("--screenshot"), QString::fromStdString(shot.string())});
  ASSERT_TRUE(gui.waitForFinished(60000));
  ASSERT_EQ(gui.exitCode(), 0) << gui.readAllStandardError().toStdString();
  const cv::Mat png = cv::imread(shot.string());
  ASSERT_FALSE(png.empty()) << shot;
  EXPECT_GE(png.cols, 800);
  EXPECT_FALSE(fs::exists(dir / "results-reviewed.csv")) << "a screenshot wrote an export";

  gui.start(QStringLiteral(MICROFER_GUI),
            {QStringLiteral("--review"), QString::fromStdString((results_ / "none").string()),
             QStringLiteral("--screenshot"), QString::fromStdString(shot.string())});
  ASSERT_TRUE(gui.waitForFinished(60000));
  EXPECT_EQ(gui.exitCode(), 2);
}
