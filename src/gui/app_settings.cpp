#include "app_settings.hpp"

#include <algorithm>
#include <stdexcept>

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include "microfer/classify/model_path.hpp"

namespace microfer::gui {

namespace {

/// `parse` (a core parser such as parseTtaMode) of the stored name, or `fallback` where there is
/// none or it is not a name `parse` knows.
template <typename Enum, typename Parse>
Enum parsedOr(const QVariant& stored, Parse parse, Enum fallback) {
  if (!stored.isValid()) return fallback;
  try {
    return parse(stored.toString().toStdString());
  } catch (const std::invalid_argument&) {
    return fallback;
  }
}

}  // namespace

AppSettings AppSettings::load(QSettings& store) {
  AppSettings s;
  store.beginGroup(QStringLiteral("pipeline"));
  // A hand-edited file must not make the pipeline throw at every start: unknown names are
  // the defaults.
  s.detector = parsedOr(store.value(QStringLiteral("detector")), parseDetectorChoice, s.detector);
  s.model = store.value(QStringLiteral("model"), s.model).toString();
  s.tta = parsedOr(store.value(QStringLiteral("tta")), parseTtaMode, s.tta);
  s.minFaceSize = store.value(QStringLiteral("minFaceSize"), s.minFaceSize).toInt();
  s.attention = store.value(QStringLiteral("attention"), s.attention).toBool();
  store.endGroup();
  store.beginGroup(QStringLiteral("output"));
  s.resultsDir = store.value(QStringLiteral("resultsDir"), s.resultsDir).toString();
  s.saveImages = store.value(QStringLiteral("saveImages"), s.saveImages).toBool();
  s.saveVideo = store.value(QStringLiteral("saveVideo"), s.saveVideo).toBool();
  s.saveFrames = store.value(QStringLiteral("saveFrames"), s.saveFrames).toBool();
  store.endGroup();
  store.beginGroup(QStringLiteral("live"));
  s.cameraIndex = store.value(QStringLiteral("cameraIndex"), s.cameraIndex).toInt();
  s.smoothing = store.value(QStringLiteral("smoothing"), s.smoothing).toBool();
  store.endGroup();
  // Out-of-bounds values a hand-edited file may hold: the nearest allowed (validate()).
  s.minFaceSize = std::clamp(s.minFaceSize, kSmallestMinFace, kLargestMinFace);
  return s;
}

void AppSettings::save(QSettings& store) const {
  store.beginGroup(QStringLiteral("pipeline"));
  store.setValue(QStringLiteral("detector"), settingName(detector));
  store.setValue(QStringLiteral("model"), model);
  store.setValue(QStringLiteral("tta"), settingName(tta));
  store.setValue(QStringLiteral("minFaceSize"), minFaceSize);
  store.setValue(QStringLiteral("attention"), attention);
  store.endGroup();
  store.beginGroup(QStringLiteral("output"));
  store.setValue(QStringLiteral("resultsDir"), resultsDir);
  store.setValue(QStringLiteral("saveVideo"), saveVideo);
  store.setValue(QStringLiteral("saveFrames"), saveFrames);
  store.setValue(QStringLiteral("saveImages"), saveImages);
  store.endGroup();
  store.beginGroup(QStringLiteral("live"));
  store.setValue(QStringLiteral("cameraIndex"), cameraIndex);
  store.setValue(QStringLiteral("smoothing"), smoothing);
  store.endGroup();
  store.sync();
}

QStringList AppSettings::installedModels() {
  const QString installed = QString::fromStdString(defaultModelPath());
  if (installed.isEmpty()) return {};
  const QDir dir = QFileInfo(installed).absoluteDir();
  QStringList models;
  for (const QFileInfo& f :
       dir.entryInfoList({QStringLiteral("*.mfm")}, QDir::Files | QDir::Readable, QDir::Name))
    models << f.absoluteFilePath();
  return models;
}

QString AppSettings::defaultResultsDir() {
  // Under the user's Pictures folder (XDG), not a new folder at the top of $HOME.
  QString pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
  if (pictures.isEmpty()) pictures = QDir::homePath();
  return QDir(pictures).filePath(QStringLiteral("MicroFER"));
}

QString AppSettings::effectiveResultsDir() const {
  return resultsDir.isEmpty() ? defaultResultsDir() : resultsDir;
}

PipelineConfig AppSettings::pipelineConfig() const {
  PipelineConfig config;
  config.detector.kind = resolveDetectorChoice(detector);
  config.detector.minFaceSize = minFaceSize;
  config.classifier.modelPath = model.toStdString();  // empty = the installed default
  config.classifier.tta.mode = tta;
  config.withAttention = attention;
  return config;
}

bool AppSettings::operator==(const AppSettings& o) const {
  return detector == o.detector && model == o.model && tta == o.tta &&
         minFaceSize == o.minFaceSize && resultsDir == o.resultsDir &&
         cameraIndex == o.cameraIndex && saveVideo == o.saveVideo && saveFrames == o.saveFrames &&
         saveImages == o.saveImages &&
         smoothing == o.smoothing && attention == o.attention;
}

}  // namespace microfer::gui
