#include "app_settings.hpp"

#include <algorithm>

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include "microfer/classify/model_path.hpp"

namespace microfer::gui {

bool AppSettings::isDetectorChoice(const QString& name) {
  return name == QLatin1String("auto") || name == QLatin1String("haar") ||
         name == QLatin1String("mtcnn");
}

AppSettings AppSettings::load(QSettings& store) {
  AppSettings s;
  store.beginGroup(QStringLiteral("pipeline"));
  s.detector = store.value(QStringLiteral("detector"), s.detector).toString();
  s.model = store.value(QStringLiteral("model"), s.model).toString();
  s.tta = store.value(QStringLiteral("tta"), s.tta).toString();
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
  // A hand-edited file must not make the pipeline throw at every start.
  if (!isDetectorChoice(s.detector)) s.detector = AppSettings().detector;
  if (s.tta != QLatin1String("off") && s.tta != QLatin1String("flip") &&
      s.tta != QLatin1String("full"))
    s.tta = QStringLiteral("flip");
  // Out-of-bounds values a hand-edited file may hold: the nearest allowed (validate()).
  s.minFaceSize = std::clamp(s.minFaceSize, kSmallestMinFace, 10000);
  return s;
}

void AppSettings::save(QSettings& store) const {
  store.beginGroup(QStringLiteral("pipeline"));
  store.setValue(QStringLiteral("detector"), detector);
  store.setValue(QStringLiteral("model"), model);
  store.setValue(QStringLiteral("tta"), tta);
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
  config.detector.kind = resolveDetectorChoice(detector.toStdString());
  config.detector.minFaceSize = minFaceSize;
  config.classifier.modelPath = model.toStdString();  // empty = the installed default
  config.classifier.tta.mode = parseTtaMode(tta.toStdString());
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
