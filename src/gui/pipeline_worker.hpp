// PipelineWorker: owns the microfer::Pipeline and does all detection and inference.
// It lives in its own QThread (moveToThread); the GUI talks to it only through queued
// slots and signals, plus the few atomic requests below that must work while a batch
// keeps the worker's event loop busy.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <atomic>
#include <chrono>
#include <memory>
#include <opencv2/core.hpp>

#include "app_settings.hpp"
#include "gui_types.hpp"
#include "microfer/output/annotator.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/pipeline/label_session.hpp"
#include "microfer/pipeline/pipeline.hpp"
#include "microfer/pipeline/stream_run.hpp"
#include "microfer/output/results_writer.hpp"

namespace microfer::gui {

class PipelineWorker : public QObject {
  Q_OBJECT

 public:
  explicit PipelineWorker(QObject* parent = nullptr);
  ~PipelineWorker() override;

  /// Thread-safe: asks a running batch to stop after the current image.
  void requestCancel() { m_cancel.store(true); }
  /// Thread-safe: the GUI has painted a frame; lets the worker send the next one. Stale
  /// frames are never queued up behind a slow painter (the newest frame wins).
  void acknowledgeFrame() { m_framesInFlight.fetch_sub(1); }

 public Q_SLOTS:
  /// Applies settings; creates the Pipeline on first use (on this thread, so LibTorch's
  /// thread-local state belongs to it). Emits pipelineReady or errorOccurred.
  void configure(const microfer::gui::AppSettings& settings);
  /// Labels one image and writes the labelled copy + CSV/JSONL into the results folder.
  void processImage(const QString& path);
  /// Labels every image under the given files/folders into a new run folder.
  void processBatch(const QStringList& paths);
  void startVideo(const QString& path);
  void startCamera(int index);
  /// A live network stream or GStreamer pipeline (openStreamProvider); reopened when it
  /// stalls or drops, each attempt reported through streamNotice.
  void startStream(const QString& location);
  void setPaused(bool paused);
  void stopStream();
  /// Saves the last labelled frame (or image) into the results folder.
  void saveSnapshot();
  void setAttention(bool on);
  /// Live camera: write the labelled video from now on (true) or stop writing (false).
  void setRecordCamera(bool on);
  /// Stops everything and releases the Pipeline; call before the thread quits.
  void shutdown();

 public:
  /// Starts a stream from any provider (startVideo / startCamera use it; tests pass a
  /// scripted camera). live: the newest frame wins; otherwise every frame is labelled.
  /// Call on the worker thread only.
  void startSource(std::unique_ptr<microfer::FrameProvider> provider, bool live);
  /// What the window is sent for one labelled image or frame: every face's fields copied,
  /// the images deep-copied. Thread-safe (no state).
  static FrameView makeView(const FrameResult& result, const cv::Mat& annotated, double ms);

 Q_SIGNALS:
  /// The pipeline is ready: what it runs with (see PipelineInUse).
  void pipelineReady(const microfer::gui::PipelineInUse& inUse);
  void imageProcessed(const microfer::gui::FrameView& view);
  void frameProcessed(const microfer::gui::FrameView& view);
  void streamStarted(const QString& source, const QString& outDir);
  void streamFinished(const microfer::gui::StreamEnd& end);
  /// A live source's state in words while it is being reopened ("no frames from ...:
  /// reconnecting (attempt 2 of 5)"); empty when frames come again.
  void streamNotice(const QString& notice);
  void batchStarted(int total);
  void batchProgressed(int done, int total, const QString& currentFile);
  void batchFinished(const microfer::gui::BatchSummary& summary);
  void snapshotSaved(const QString& path);
  /// `setup` is true when the pipeline itself cannot be built (model or detector files).
  void errorOccurred(const QString& message, bool setup);

 private:
  bool ensurePipeline();
  /// Emits pipelineReady for the pipeline and the settings in use (nothing without a pipeline).
  void emitReady();
  ResultsWriter& imageWriter();
  AnnotateOptions annotateOptions() const;
  /// The labelling settings in use (annotation, smoothing; streams: the video on or off).
  LabelOptions labelOptions() const;
  /// What the stream's outputs are named after: camera.avi, stream.avi or the video's path.
  std::string streamOutName() const;
  /// labelOptions() for the live view: adaptive quality on.
  LabelOptions streamOptions() const;
  void pullFrame();
  void finishStream(const QString& error);
  QString newRunFolder(const QString& stem) const;
  /// Adds this run (the pipeline's settings, `inputs` and the counts) to the folder's
  /// The run record (runs/<run id>.json), as microfer-cli label writes it; a failure is
  /// logged, the results stay.
  void recordRun(ResultsWriter& writer, const std::vector<std::string>& inputs,
                 const RunCounts& counts);

  AppSettings m_settings;
  std::unique_ptr<Pipeline> m_pipeline;
  QString m_pipelineError;
  std::unique_ptr<ResultsWriter> m_imageWriter;

  // Live / video stream state; only touched on the worker thread.
  std::unique_ptr<ResultsWriter> m_streamWriter;
  /// The stream's labelling (tracker, labelled video); after m_streamWriter, so that it goes first.
  std::unique_ptr<LabelSession> m_streamSession;
  /// The source and its pull loop (one step per timer tick); after m_streamSession, so that
  /// it goes first.
  std::unique_ptr<StreamRun> m_stream;
  QTimer* m_streamTimer = nullptr;
  QString m_streamName;
  bool m_live = false;  ///< a camera or network stream (recorded only while Record is on)
  QString m_streamOutDir;
  qint64 m_streamFrames = 0;
  qint64 m_streamFaces = 0;
  bool m_paused = false;

  // The last labelled picture, for snapshots and for re-drawing a still image.
  cv::Mat m_lastAnnotated;
  cv::Mat m_lastImage;
  QString m_lastSource;

  std::atomic<bool> m_cancel{false};
  std::atomic<int> m_framesInFlight{0};
};

/// Deep-copies an 8-bit BGR or gray cv::Mat into a QImage (the Mat may be reused later).
QImage toQImage(const cv::Mat& mat);

}  // namespace microfer::gui
