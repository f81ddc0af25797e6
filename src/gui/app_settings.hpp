// The user's settings, kept across runs with QSettings.
#pragma once

#include <QSettings>
#include <QString>
#include <QStringList>

#include "microfer/classify/expression_classifier.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/pipeline/pipeline.hpp"

namespace microfer::gui {

/// The core's name of a detector or TTA value ("auto", "mtcnn", "flip", ...): what the
/// settings file stores and the status bar shows, the words of microfer-cli's options.
template <typename Enum>
QString settingName(Enum value) {
  return QString::fromStdString(microfer::toString(value));
}

/// The defaults are the core's (as microfer-cli's), not copies of them.
struct AppSettings {
  /// Auto = YuNet where its models are found, else MTCNN where its weights are, else Haar
  /// (microfer::resolveDetectorChoice, as in microfer-cli).
  DetectorChoice detector = kDefaultDetectorChoice;
  /// The model file; empty = the installed default (microfer::defaultModelPath(), which
  /// honours MICROFER_MODEL), as in microfer-cli without --model.
  QString model;
  TtaMode tta = TtaConfig{}.mode;
  int minFaceSize = DetectorConfig{}.minFaceSize;  ///< pixels
  QString resultsDir;                         ///< empty = defaultResultsDir()
  int cameraIndex = 0;
  /// Opened single images: write a labelled copy and their CSV/JSONL rows (a batch always
  /// writes; off, a single image is only shown).
  bool saveImages = true;
  bool saveVideo = true;    ///< video files: write a labelled video
  /// The live camera is written to a video only while Record is on: off at every start, never
  /// saved (privacy, disk).
  bool recordCamera = false;
  bool saveFrames = false;  ///< live view and video: write every labelled frame as an image
  bool smoothing = true;    ///< track faces across frames and smooth their probabilities
  bool attention = false;   ///< blend the network's attention map over each face

  /// Reads what save() wrote. A value a hand-edited file spells wrong (an unknown detector or
  /// TTA name, a size out of bounds) becomes the default or the nearest allowed size, so that
  /// the pipeline never fails at every start.
  static AppSettings load(QSettings& store);
  /// Writes the detector and TTA as their core names (settingName), as earlier versions did.
  void save(QSettings& store) const;
  /// The model files offered in Settings: every *.mfm beside the installed default model,
  /// sorted by name (empty when none is installed).
  static QStringList installedModels();
  /// The results folder to use (resultsDir or the default).
  QString effectiveResultsDir() const;
  static QString defaultResultsDir();
  /// The core configuration for these settings (the detector choice resolved here).
  PipelineConfig pipelineConfig() const;

  bool operator==(const AppSettings& o) const;
  bool operator!=(const AppSettings& o) const { return !(*this == o); }
};

}  // namespace microfer::gui
