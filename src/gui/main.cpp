// microfer: the desktop application. With --open PATH --screenshot OUT.png it labels the
// image, renders the whole window to OUT.png and exits; with --review DIR --screenshot OUT.png
// it renders the review table of a results folder instead (for documentation and tests; works
// with QT_QPA_PLATFORM=offscreen).
#include <spdlog/spdlog.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QLocale>
#include <QSettings>
#include <QTimer>
#include <cstdio>
#include <stdexcept>

#include "main_window.hpp"
#include "review_dialog.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/runtime/runtime.hpp"
#include "translations.hpp"

#ifndef MICROFER_VERSION
#define MICROFER_VERSION "unknown"
#endif

namespace {

// Exit codes follow microfer-cli: 0 fine, 1 the input failed, 2 usage, 3 model or set-up.
constexpr int kExitInputFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSetup = 3;

int fail(int code, const QString& message) {
  std::fprintf(stderr, "microfer: %s\n", qPrintable(message));
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  microfer::restartWithPassiveOpenMpWait(argv);  // before Qt starts any thread
  spdlog::set_level(spdlog::level::warn);
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("MicroFER"));
  QApplication::setApplicationName(QStringLiteral("microfer"));
  QApplication::setApplicationDisplayName(QStringLiteral("MicroFER"));
  QApplication::setApplicationVersion(QStringLiteral(MICROFER_VERSION));
  QApplication::setWindowIcon(microfer::gui::makeAppIcon());
  QGuiApplication::setDesktopFileName(QStringLiteral("microfer"));  // matches microfer.desktop

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "MicroFER desktop application: facial-expression recognition on images, folders, "
      "videos and the camera."));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption openOpt(QStringLiteral("open"),
                                   QStringLiteral("Open an image, folder or video at start."),
                                   QStringLiteral("PATH"));
  const QCommandLineOption shotOpt(
      QStringLiteral("screenshot"),
      QStringLiteral("With --open IMAGE: label it, save the window to OUT.png and exit (the "
                     "labelled copy and CSV/JSONL rows only with --results)."),
      QStringLiteral("OUT.png"));
  const QCommandLineOption resultsOpt(
      {QStringLiteral("results"), QStringLiteral("out")},
      QStringLiteral("Results folder for this run (as microfer-cli label --out)."),
      QStringLiteral("DIR"));
  const QCommandLineOption detectorOpt(
      QStringLiteral("detector"),
      QStringLiteral("Face detector: auto (YuNet where its model is found, else MTCNN where "
                     "its weights are, else Haar), yunet, mtcnn or haar."),
      QStringLiteral("KIND"));
  const QCommandLineOption modelOpt(
      QStringLiteral("model"),
      QStringLiteral("Model file (.mfm), as microfer-cli --model; default: the installed one."),
      QStringLiteral("FILE"));
  const QCommandLineOption ttaOpt(QStringLiteral("tta"),
                                  QStringLiteral("Test-time augmentation: off, flip or full."),
                                  QStringLiteral("MODE"));
  const QCommandLineOption minFaceOpt(QStringLiteral("min-face"),
                                      QStringLiteral("Smallest face side, pixels."),
                                      QStringLiteral("PX"));
  const QCommandLineOption attentionOpt(QStringLiteral("attention"),
                                        QStringLiteral("Show the attention overlay."));
  const QCommandLineOption threadsOpt(QStringLiteral("threads"),
                                      QStringLiteral("Inference threads (0 = every core this process may use)."),
                                      QStringLiteral("N"), QStringLiteral("0"));
  const QCommandLineOption verboseOpt(
      QStringLiteral("verbose"),
      QStringLiteral("Detailed log on stderr, OpenCV's and FFmpeg's included."));
  const QCommandLineOption langOpt(
      QStringLiteral("lang"),
      QStringLiteral("Interface language: en or zh_CN (Simplified Chinese). Default: the "
                     "system's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), English unless it is "
                     "Simplified Chinese."),
      QStringLiteral("LANG"));
  const QCommandLineOption reviewOpt(
      QStringLiteral("review"),
      QStringLiteral("Open the review table of a results folder (File > Review Results...); "
                     "with --screenshot OUT.png, save the table to it and exit."),
      QStringLiteral("DIR"));
  parser.addOptions({openOpt, reviewOpt, shotOpt, resultsOpt, modelOpt, detectorOpt, ttaOpt, minFaceOpt,
                     attentionOpt, threadsOpt, verboseOpt, langOpt});
  parser.addPositionalArgument(
      QStringLiteral("paths"),
      QStringLiteral("Images, videos or folders to open (as from a file manager: "
                     "\"Open with MicroFER\"); several images or folders are batch-labelled."),
      QStringLiteral("[PATH...]"));
  parser.process(app);
  if (parser.isSet(verboseOpt)) spdlog::set_level(spdlog::level::debug);
  microfer::setLibraryLogging(parser.isSet(verboseOpt));

  // The window's language; the command line's own messages (here and --help) stay English.
  const QString language = parser.isSet(langOpt) ? parser.value(langOpt)
                                                 : microfer::gui::uiLanguageFor(QLocale::system());
  if (!microfer::gui::uiLanguages().contains(language))
    return fail(kExitUsage, QStringLiteral("--lang: '%1' is not one of: %2")
                                .arg(language, microfer::gui::uiLanguages().join(", ")));
  if (!microfer::gui::setUiLanguage(language) && parser.isSet(langOpt))
    std::fprintf(stderr, "microfer: this build has no '%s' translation; the window stays English\n",
                 qPrintable(language));

  // Overrides apply to this run only; the saved settings stay as the user left them.
  microfer::gui::AppSettings settings;
  {
    QSettings s;
    settings = microfer::gui::AppSettings::load(s);
  }
  if (parser.isSet(resultsOpt)) settings.resultsDir = parser.value(resultsOpt);
  if (parser.isSet(modelOpt)) {
    const QFileInfo model(parser.value(modelOpt));
    if (!model.isFile())
      return fail(kExitSetup, QStringLiteral("--model: no file '%1'").arg(model.filePath()));
    settings.model = model.absoluteFilePath();
  }
  // The core's parsers, so that the words are microfer-cli's and a refusal names the allowed
  // ones. TTA is lowered first: the app has always taken both options in any case.
  const auto badOption = [](const QString& option, const std::exception& e) {
    return fail(kExitUsage, QStringLiteral("--%1: %2").arg(option, QString::fromUtf8(e.what())));
  };
  try {
    if (parser.isSet(detectorOpt))
      settings.detector = microfer::parseDetectorChoice(parser.value(detectorOpt).toStdString());
  } catch (const std::invalid_argument& e) {
    return badOption(QStringLiteral("detector"), e);
  }
  try {
    if (parser.isSet(ttaOpt))
      settings.tta = microfer::parseTtaMode(parser.value(ttaOpt).toLower().toStdString());
  } catch (const std::invalid_argument& e) {
    return badOption(QStringLiteral("tta"), e);
  }
  // The numbers are checked by the core's validate(), as microfer-cli's are (same bounds,
  // same words).
  microfer::PipelineConfig check;
  if (parser.isSet(minFaceOpt)) {
    bool ok = false;
    settings.minFaceSize = parser.value(minFaceOpt).toInt(&ok);
    if (!ok) return fail(kExitUsage, QStringLiteral("--min-face expects an integer"));
    check.detector.minFaceSize = settings.minFaceSize;
  }
  bool threadsOk = false;
  const int threads = parser.value(threadsOpt).toInt(&threadsOk);
  if (!threadsOk) return fail(kExitUsage, QStringLiteral("--threads expects an integer"));
  check.classifier.threads = threads;
  if (const std::string problem = microfer::validate(check); !problem.empty())
    return fail(kExitUsage, QString::fromStdString(problem));
  if (parser.isSet(attentionOpt)) settings.attention = true;
  microfer::configureRuntime(threads);

  const QString screenshot = parser.value(shotOpt);
  QStringList toOpen = parser.positionalArguments();
  if (parser.isSet(openOpt)) toOpen.prepend(parser.value(openOpt));
  for (const QString& p : toOpen)
    if (!QFileInfo::exists(p)) return fail(kExitUsage, QStringLiteral("no file or folder '%1'").arg(p));
  const QString open = toOpen.isEmpty() ? QString() : toOpen.first();
  const QString review = parser.value(reviewOpt);
  if (!review.isEmpty() && !QFileInfo(review).isDir())
    return fail(kExitUsage, QStringLiteral("--review: no folder '%1'").arg(review));
  if (!screenshot.isEmpty() && !review.isEmpty()) {
    // The table alone: no model to load, nothing written but the screenshot.
    microfer::gui::ReviewDialog dialog;
    dialog.setMessageBoxesEnabled(false);
    if (!dialog.openFolder(review)) return fail(kExitInputFailed, dialog.lastError());
    dialog.resize(900, 620);
    dialog.show();
    QApplication::processEvents();  // lays out and decodes the visible thumbnails
    if (!dialog.grab().save(screenshot))
      return fail(kExitInputFailed, QStringLiteral("cannot write screenshot '%1'").arg(screenshot));
    return 0;
  }
  if (!screenshot.isEmpty() && open.isEmpty())
    return fail(kExitUsage, QStringLiteral("--screenshot needs --open IMAGE or --review DIR"));

  // A headless screenshot writes the screenshot and nothing else (no results, no File →
  // Recent entry), unless --results names a folder for the labelled copy and its rows.
  if (!screenshot.isEmpty()) settings.saveImages = parser.isSet(resultsOpt);

  microfer::gui::MainWindow window(settings);

  if (screenshot.isEmpty()) {
    window.show();
    if (!toOpen.isEmpty())
      QTimer::singleShot(0, &window, [&window, toOpen] { window.openPaths(toOpen); });
    if (!review.isEmpty())
      QTimer::singleShot(0, &window, [&window, review] { window.reviewResults(review); });
    return app.exec();
  }

  // Headless: wait for the result (or the error), paint it, save the window, quit.
  window.setMessageBoxesEnabled(false);
  window.setRememberRecent(false);
  window.resize(1280, 800);
  window.show();
  int exitCode = 0;
  bool finishing = false;
  auto saveAndQuit = [&](int code) {
    if (finishing) return;  // the first outcome decides (a set-up error repeats per request)
    finishing = true;
    exitCode = code;
    // One more pass of the event loop so the layout and panel are painted with the result.
    QTimer::singleShot(50, &window, [&] {
      if (!window.grab().save(screenshot)) {
        std::fprintf(stderr, "microfer: cannot write screenshot '%s'\n", qPrintable(screenshot));
        exitCode = kExitInputFailed;
      }
      QApplication::exit(exitCode);
    });
  };
  QObject::connect(&window, &microfer::gui::MainWindow::resultShown, &window,
                   [&] { saveAndQuit(0); });
  QObject::connect(&window, &microfer::gui::MainWindow::errorShown, &window,
                   [&](const QString& message, bool setup) {
                     std::fprintf(stderr, "microfer: %s\n", qPrintable(message));
                     saveAndQuit(setup ? kExitSetup : kExitInputFailed);
                   });
  QTimer::singleShot(0, &window, [&window, open] { window.openImage(open); });
  // A guard so a hung pipeline can never hang a documentation build.
  QTimer::singleShot(300000, &window, [&] {
    std::fprintf(stderr, "microfer: timed out waiting for the result\n");
    QApplication::exit(kExitInputFailed);
  });
  return app.exec();
}
