// The user's settings, kept across runs with QSettings.
#pragma once

#include <QSettings>
#include <QString>
#include <QStringList>

#include "microfer/pipeline/pipeline.hpp"

namespace microfer::gui {

struct AppSettings {
  /// "auto" (MTCNN where its weights are found, else Haar: microfer::resolveDetectorChoice,
  /// as in microfer-cli), "haar" or "mtcnn"
  QString detector = QStringLiteral("auto");
  /// The model file; empty = the installed default (microfer::defaultModelPath(), which
  /// honours MICROFER_MODEL), as in microfer-cli without --model.
  QString model;
  QString tta = QStringLiteral("flip");       ///< "off", "flip" or "full"
  int minFaceSize = 40;                       ///< pixels
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

  /// "auto", "haar" or "mtcnn".
  static bool isDetectorChoice(const QString& name);
  static AppSettings load(QSettings& store);
  void save(QSettings& store) const;
  /// The model files offered in Settings: every *.mfm beside the installed default model,
  /// sorted by name (empty when none is installed).
  static QStringList installedModels();
  /// The results folder to use (resultsDir or the default).
  QString effectiveResultsDir() const;
  static QString defaultResultsDir();
  /// The core configuration for these settings. Throws std::invalid_argument for an
  /// unknown detector or TTA name (only possible with a hand-edited settings file).
  PipelineConfig pipelineConfig() const;

  bool operator==(const AppSettings& o) const;
  bool operator!=(const AppSettings& o) const { return !(*this == o); }
};

}  // namespace microfer::gui
