// Value types that cross from the worker thread to the GUI thread in queued signals.
// They hold only implicitly shared Qt types and plain values, so copying them per frame
// is cheap and never aliases a cv::Mat buffer the worker may reuse.
#pragma once

#include <QImage>
#include <QMetaType>
#include <QPair>
#include <QRect>
#include <QString>
#include <QStringList>
#include <QVector>
#include <array>

#include "microfer/classify/expression_classifier.hpp"
#include "microfer/detect/face_detector.hpp"
#include "microfer/types.hpp"

namespace microfer::gui {

/// What the worker's pipeline runs with (PipelineWorker::pipelineReady): the settings asked
/// for, or, when a new model or detector could not be set up, the ones still in use.
struct PipelineInUse {
  QString modelName;  ///< the model's own name
  QString modelFile;  ///< the file the model was read from
  QString model;      ///< the model setting ("" = the installed default)
  DetectorChoice detector = kDefaultDetectorChoice;   ///< the detector setting
  DetectorKind detectorInUse = DetectorKind::Haar;  ///< what `detector` resolved to
  int minFaceSize = DetectorConfig{}.minFaceSize;
  TtaMode tta = TtaConfig{}.mode;
};

/// One face as the side panel shows it.
struct FaceView {
  QImage crop;     ///< the aligned crop the classifier saw (deep copy)
  int label = -1;  ///< index into microfer::emotionNames()
  float confidence = 0.f;
  bool uncertain = false;  ///< below the calibrated threshold: shown grey, two labels named
  std::array<float, kNumEmotions> probs{};
  QRect box;         ///< in source-image pixels
  int trackId = -1;  ///< stable across frames when smoothing is on
  /// Frames since this face was last classified (FaceResult::predictionAge): 0 on a classified
  /// frame; up to classify-every - 1 (2 at the live view's cheapest level) while a followed
  /// face keeps its last prediction.
  int predictionAge = 0;
};

/// One processed image or video frame.
struct FrameView {
  QImage annotated;  ///< the source with overlays drawn by microfer::annotate (deep copy)
  QVector<FaceView> faces;
  QString source;  ///< file path or "camera:N"
  qint64 frameIndex = 0;
  double processMs = 0;       ///< detect + align + classify + annotate on the worker
  QString labelledImagePath;  ///< still images: where the labelled copy was written
  QString warning;            ///< labelled fine, but writing the results failed (the reason)
  /// Live view (camera, video): the adaptive quality now in use, "quality: flip, detect
  /// every 5"; empty for still images, which always run at the user's settings.
  QString quality;
};

/// What a batch did, shown at its end and checked by the tests against results.csv.
struct BatchSummary {
  int total = 0;   ///< images found in the folder(s)
  int images = 0;  ///< images labelled successfully
  int faces = 0;   ///< faces over all labelled images (= rows in results.csv)
  std::array<int, kNumEmotions> perExpression{};
  QVector<QPair<QString, QString>> failures;  ///< path, reason
  QVector<QPair<QString, QString>> skipped;   ///< not an image, with the reason
  bool cancelled = false;
  double seconds = 0;
  QString outDir;
  QString csvPath;
};

/// Why a stream ended.
struct StreamEnd {
  QString source;
  QString error;  ///< empty: ended normally (end of file or stopped)
  qint64 framesProcessed = 0;
  qint64 framesDropped = 0;
  QString outDir;
  QString videoPath;  ///< labelled video, if one was written
  QString timelinePath;  ///< the expression timeline's picture, if one was written
};

}  // namespace microfer::gui

Q_DECLARE_METATYPE(microfer::gui::PipelineInUse)
Q_DECLARE_METATYPE(microfer::gui::FrameView)
Q_DECLARE_METATYPE(microfer::gui::BatchSummary)
Q_DECLARE_METATYPE(microfer::gui::StreamEnd)
