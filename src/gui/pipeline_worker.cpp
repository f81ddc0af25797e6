#include "pipeline_worker.hpp"

#include <spdlog/spdlog.h>

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <opencv2/imgproc.hpp>

#include "microfer/capture/image_io.hpp"
#include "microfer/pipeline/label_run.hpp"

namespace microfer::gui {

namespace {

QString fromStd(const std::string& s) {
  return QString::fromStdString(s);
}
std::string toStd(const QString& s) {
  return s.toStdString();
}

double elapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

QImage toQImage(const cv::Mat& mat) {
  if (mat.empty()) return {};
  switch (mat.type()) {
    case CV_8UC3:
      return QImage(mat.data, mat.cols, mat.rows, static_cast<qsizetype>(mat.step),
                    QImage::Format_BGR888)
          .copy();
    case CV_8UC1:
      return QImage(mat.data, mat.cols, mat.rows, static_cast<qsizetype>(mat.step),
                    QImage::Format_Grayscale8)
          .copy();
    case CV_8UC4: {
      cv::Mat bgr;
      cv::cvtColor(mat, bgr, cv::COLOR_BGRA2BGR);
      return toQImage(bgr);
    }
    default:
      return {};
  }
}

PipelineWorker::PipelineWorker(QObject* parent) : QObject(parent) {
  // A child, so moveToThread() takes the timer along to the worker thread.
  m_streamTimer = new QTimer(this);
  m_streamTimer->setInterval(0);
  connect(m_streamTimer, &QTimer::timeout, this, &PipelineWorker::pullFrame);
}

PipelineWorker::~PipelineWorker() = default;

void PipelineWorker::configure(const AppSettings& settings) {
  const AppSettings old = m_settings;
  m_settings = settings;
  if (!m_pipeline) {
    ensurePipeline();
    return;
  }
  if (settings.model != old.model) {
    // Another network: a whole new pipeline (with the old detector and TTA; changes to those
    // follow below), built before the old one is let go, so that a file that cannot be read
    // leaves the running pipeline (and a running stream) as it was.
    AppSettings withNewModel = old;
    withNewModel.model = settings.model;
    try {
      m_pipeline = std::make_unique<Pipeline>(withNewModel.pipelineConfig());
      // The tracker restarts: its smoothed probabilities came from the other network.
      if (m_streamSession) m_streamSession->setPipeline(*m_pipeline);
    } catch (const std::exception& e) {
      m_settings.model = old.model;
      Q_EMIT errorOccurred(fromStd(e.what()), true);
    }
  }
  try {
    const PipelineConfig wanted = m_settings.pipelineConfig();
    if (settings.detector != old.detector || settings.minFaceSize != old.minFaceSize)
      m_pipeline->setDetector(wanted.detector);
    if (settings.tta != old.tta) m_pipeline->setTta(wanted.classifier.tta);
    m_pipeline->setWithAttention(settings.attention);
  } catch (const std::exception& e) {
    // setDetector keeps the old detector when the new one cannot be made.
    m_settings.detector = old.detector;
    m_settings.minFaceSize = old.minFaceSize;
    Q_EMIT errorOccurred(fromStd(e.what()), true);
  }
  // The status bar (and the saved settings) must show what is actually in use.
  emitReady();
}

void PipelineWorker::emitReady() {
  if (!m_pipeline) return;
  const ExpressionClassifier& clf = m_pipeline->classifier();
  PipelineInUse inUse;
  inUse.modelName = fromStd(clf.modelName());
  inUse.modelFile = fromStd(clf.modelPath());
  inUse.model = m_settings.model;
  inUse.detector = m_settings.detector;
  inUse.detectorInUse = m_pipeline->detector().kind();
  inUse.minFaceSize = m_settings.minFaceSize;
  inUse.tta = m_settings.tta;
  Q_EMIT pipelineReady(inUse);
}

bool PipelineWorker::ensurePipeline() {
  if (m_pipeline) return true;
  try {
    m_pipeline = std::make_unique<Pipeline>(m_settings.pipelineConfig());
    m_pipelineError.clear();
    emitReady();
    return true;
  } catch (const std::exception& e) {
    m_pipelineError = fromStd(e.what());
    Q_EMIT errorOccurred(m_pipelineError, true);
    return false;
  }
}

ResultsWriter& PipelineWorker::imageWriter() {
  const std::string dir = toStd(m_settings.effectiveResultsDir());
  if (!m_imageWriter || m_imageWriter->outDir() != dir)
    m_imageWriter = std::make_unique<ResultsWriter>(dir);
  return *m_imageWriter;
}

AnnotateOptions PipelineWorker::annotateOptions() const {
  AnnotateOptions options;
  options.attention = m_settings.attention;
  return options;
}

LabelOptions PipelineWorker::labelOptions() const {
  LabelOptions options;
  options.annotate = annotateOptions();
  options.smooth = m_settings.smoothing;
  options.writeVideo = m_live ? m_settings.recordCamera : m_settings.saveVideo;
  return options;
}

std::string PipelineWorker::streamOutName() const {
  // Live names ("camera:0", a URL) are not file names.
  if (!m_live) return toStd(m_streamName);
  return m_streamName.startsWith(QLatin1String("camera:")) ? "camera.avi" : "stream.avi";
}

LabelOptions PipelineWorker::streamOptions() const {
  LabelOptions options = labelOptions();
  // A live source (camera, stream) keeps its frame rate by lowering the quality in steps.
  // Video files, images and batches are labelled at the user's settings, as the CLI labels
  // them: a file's frames are never dropped, so lowering the quality would only make its
  // results depend on the machine's load.
  options.adaptive = m_live;
  return options;
}

FrameView PipelineWorker::makeView(const FrameResult& result, const cv::Mat& annotated,
                                   double ms) {
  FrameView view;
  view.annotated = toQImage(annotated);
  view.source = fromStd(result.source);
  view.frameIndex = result.frameIndex;
  view.processMs = ms;
  view.faces.reserve(static_cast<int>(result.faces.size()));
  for (const FaceResult& face : result.faces) {
    FaceView f;
    f.crop = toQImage(face.aligned.crop);
    f.label = face.prediction.label;
    f.confidence = face.prediction.confidence;
    f.uncertain = face.prediction.uncertain;
    f.probs = face.prediction.probs;
    const cv::Rect2f& b = face.detection.box;
    f.box = QRect(qRound(b.x), qRound(b.y), qRound(b.width), qRound(b.height));
    f.trackId = face.trackId;
    f.predictionAge = face.predictionAge;
    view.faces.push_back(f);
  }
  return view;
}

void PipelineWorker::processImage(const QString& path) {
  if (!ensurePipeline()) return;
  FrameView view;
  try {
    const auto start = std::chrono::steady_clock::now();
    cv::Mat image = readImage(toStd(path));
    LabelSession session(*m_pipeline, labelOptions());
    const LabelledFrame labelled = session.inspectImage(image, toStd(path));
    view = makeView(labelled.result, labelled.annotated, elapsedMs(start));
    m_lastImage = image;
    m_lastAnnotated = labelled.annotated;
    m_lastSource = path;
    if (m_settings.saveImages) {
      try {
        ResultsWriter& writer = imageWriter();
        session.setWriter(&writer);
        view.labelledImagePath = fromStd(session.saveImage(labelled));
        recordRun(writer, {toStd(path)},
                  {1, 0, static_cast<long long>(labelled.result.faces.size()), 0});
      } catch (const std::exception& e) {
        view.warning = tr("results not written: %1").arg(fromStd(e.what()));
      }
    }
  } catch (const std::exception& e) {
    Q_EMIT errorOccurred(fromStd(e.what()), false);
    return;
  }
  Q_EMIT imageProcessed(view);
}

void PipelineWorker::processBatch(const QStringList& paths) {
  m_cancel.store(false);
  BatchSummary summary;
  QElapsedTimer clock;
  clock.start();
  if (!ensurePipeline()) {
    Q_EMIT batchFinished(summary);
    return;
  }
  std::vector<std::string> inputs;
  for (const QString& p : paths) inputs.push_back(toStd(p));
  std::unique_ptr<LabelRun> batch;
  try {
    LabelRunOptions options;
    options.videos = VideoPolicy::Skip;
    options.skipReason = toStd(tr("a video (use File > Open Video)"));
    batch = std::make_unique<LabelRun>(expandInputs(inputs), options);
    for (const auto& [path, reason] : batch->inputs().skipped)
      summary.skipped.push_back({fromStd(path), fromStd(reason)});
  } catch (const std::exception& e) {
    summary.failures.push_back({paths.join(QStringLiteral(", ")), fromStd(e.what())});
    Q_EMIT batchFinished(summary);
    return;
  }

  summary.total = static_cast<int>(batch->inputs().files.size());
  Q_EMIT batchStarted(summary.total);
  // Each batch gets its own folder so its results.csv holds exactly this batch.
  std::unique_ptr<ResultsWriter> writer;
  try {
    summary.outDir = newRunFolder(QStringLiteral("batch"));
    writer = std::make_unique<ResultsWriter>(toStd(summary.outDir));
    summary.csvPath = fromStd(writer->csvPath());
  } catch (const std::exception& e) {
    summary.failures.push_back({summary.outDir, fromStd(e.what())});
    Q_EMIT batchFinished(summary);
    return;
  }

  LabelSession session(*m_pipeline, *writer, labelOptions());
  batch->cancelWhen([this] { return m_cancel.load(); });
  batch->onProgress([&](size_t done, size_t, const std::string& next) {
    Q_EMIT batchProgressed(static_cast<int>(done), summary.total, fromStd(next));
  });
  // The labelled image and CSV row are written before the image counts as done, so a
  // cancelled batch's summary and results.csv always agree.
  batch->onLabelled([&](const LabelledInput& in) {
    const FrameResult& result = in.image.result;
    for (const FaceResult& face : result.faces)
      if (face.prediction.label >= 0 && face.prediction.label < kNumEmotions)
        ++summary.perExpression[face.prediction.label];
    m_lastImage = in.original;
    m_lastAnnotated = in.image.annotated;
    m_lastSource = fromStd(in.path);
    if (m_framesInFlight.load() < 1) {
      m_framesInFlight.fetch_add(1);
      Q_EMIT frameProcessed(makeView(result, in.image.annotated, in.ms));
    }
  });
  batch->onFailed([&](const FailedInput& f) {
    summary.failures.push_back({fromStd(f.path), fromStd(f.error)});
  });
  const LabelRunTotals totals = batch->run(session);
  summary.images = static_cast<int>(totals.counts.images);
  summary.faces = static_cast<int>(totals.counts.faces);
  summary.cancelled = totals.cancelled;
  recordRun(*writer, inputs, totals.counts);
  summary.seconds = clock.elapsed() / 1000.0;
  Q_EMIT batchFinished(summary);
}

void PipelineWorker::recordRun(ResultsWriter& writer, const std::vector<std::string>& inputs,
                               const RunCounts& counts) {
  if (!m_pipeline) return;
  try {
    writer.finishRun(
        describeRun(*m_pipeline, std::string("microfer ") + MICROFER_VERSION, inputs, counts));
  } catch (const std::exception& e) {
    spdlog::error("run record not written: {}", e.what());
  }
}

QString PipelineWorker::newRunFolder(const QString& stem) const {
  const QDir root(m_settings.effectiveResultsDir());
  const QString base = stem + QLatin1Char('-') +
                       QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
  QString name = base;
  for (int n = 2; root.exists(name); ++n) name = base + QLatin1Char('-') + QString::number(n);
  return root.filePath(name);
}

void PipelineWorker::startVideo(const QString& path) {
  try {
    startSource(openVideoProvider(toStd(path)), false);
  } catch (const std::exception& e) {
    StreamEnd end;
    end.source = path;
    end.error = fromStd(e.what());
    Q_EMIT streamFinished(end);
  }
}

void PipelineWorker::startCamera(int index) {
  try {
    startSource(openCameraProvider(index), true);
  } catch (const std::exception& e) {
    StreamEnd end;
    end.source = QStringLiteral("camera:%1").arg(index);
    end.error = fromStd(e.what());
    Q_EMIT streamFinished(end);
  }
}

void PipelineWorker::startStream(const QString& location) {
  try {
    startSource(openStreamProvider(toStd(location)), true);
  } catch (const std::exception& e) {
    StreamEnd end;
    end.source = fromStd(redactStreamLocation(toStd(location)));
    end.error = fromStd(e.what());
    Q_EMIT streamFinished(end);
  }
}

void PipelineWorker::startSource(std::unique_ptr<FrameProvider> provider, bool live) {
  if (m_stream) finishStream(QString());
  const QString name = fromStd(provider->name());
  if (!ensurePipeline()) {
    StreamEnd end;
    end.source = name;
    end.error = m_pipelineError;
    Q_EMIT streamFinished(end);
    return;
  }
  StreamRunOptions options;
  if (live) {
    options.source.queueSize = 1;  // the newest frame wins; latency never grows
    options.source.dropOldest = true;
  } else {
    options.source.queueSize = 4;  // a file: every frame is labelled, none is dropped
    options.source.dropOldest = false;
  }
  const bool camera = name.startsWith(QLatin1String("camera:"));
  const QString stem = live ? (camera ? QStringLiteral("camera") : QStringLiteral("stream"))
                            : QFileInfo(name).completeBaseName();
  m_streamOutDir = newRunFolder(stem.isEmpty() ? QStringLiteral("video") : stem);
  m_streamWriter = std::make_unique<ResultsWriter>(toStd(m_streamOutDir));
  m_streamName = live ? name : QFileInfo(name).absoluteFilePath();
  m_live = live;
  m_streamFrames = 0;
  m_streamFaces = 0;
  m_paused = false;
  m_streamSession = std::make_unique<LabelSession>(*m_pipeline, *m_streamWriter, streamOptions());
  options.name = toStd(m_streamName);
  options.videoName = streamOutName();
  m_stream = std::make_unique<StreamRun>(*m_streamSession, std::move(provider), options);
  m_stream->onNotice(
      [this](const std::string& notice, bool) { Q_EMIT streamNotice(fromStd(notice)); });
  m_streamTimer->start();
  Q_EMIT streamStarted(m_streamName, m_streamOutDir);
}

void PipelineWorker::pullFrame() {
  if (!m_stream || m_paused) return;
  try {
    // The settings may have changed since the last frame (smoothing, attention, recording).
    m_streamSession->options() = streamOptions();
    LabelledFrame labelled;
    // A short wait keeps this event loop free for stop / pause / snapshot requests.
    switch (m_stream->step(std::chrono::milliseconds(30), &labelled)) {
      case StreamRun::Step::Lost:
        finishStream(fromStd(m_stream->error()));
        return;
      case StreamRun::Step::Ended:
        // A video that opens but yields no frame is an error the user must see, as in the CLI.
        finishStream(m_streamFrames == 0 ? tr("video '%1' has no readable frames").arg(m_streamName)
                                         : QString());
        return;
      case StreamRun::Step::Labelled:
        break;
      default:
        return;
    }
    const FrameResult& result = labelled.result;
    const cv::Mat& annotated = labelled.annotated;
    const double ms = labelled.ms;
    if (m_settings.saveFrames) {
      const QString frameName = QStringLiteral("%1_frame%2.jpg")
                                    .arg(QFileInfo(fromStd(streamOutName())).completeBaseName())
                                    .arg(result.frameIndex, 6, 10, QLatin1Char('0'));
      m_streamWriter->writeLabelledImage(toStd(frameName), annotated);
    }
    m_lastAnnotated = annotated;
    m_lastImage.release();  // a stream frame is not re-drawn on an attention toggle
    m_lastSource = m_streamName;
    ++m_streamFrames;
    m_streamFaces += static_cast<qint64>(result.faces.size());
    if (m_framesInFlight.load() < 2) {
      m_framesInFlight.fetch_add(1);
      FrameView view = makeView(result, annotated, ms);
      if (const QualityController* quality = m_streamSession->quality())
        view.quality = fromStd(quality->describe());
      Q_EMIT frameProcessed(view);
    }
  } catch (const std::exception& e) {
    finishStream(fromStd(e.what()));
  }
}

void PipelineWorker::finishStream(const QString& error) {
  m_streamTimer->stop();
  if (!m_stream) return;
  StreamEnd end;
  end.source = m_streamName;
  end.error = error;
  end.framesProcessed = m_streamFrames;
  end.outDir = m_streamOutDir;
  end.videoPath = fromStd(m_streamSession->videoPath());
  try {
    // Kept, even after an error: the frames labelled so far are the user's results.
    end.timelinePath = fromStd(m_stream->finish().timelinePath);
  } catch (const std::exception& e) {
    if (end.error.isEmpty()) end.error = fromStd(e.what());
  }
  end.framesDropped = m_stream->source().framesDropped();
  if (m_streamWriter)
    recordRun(*m_streamWriter, {toStd(m_streamName)},
              {0, m_streamFrames, m_streamFaces, error.isEmpty() ? 0 : 1});
  m_stream.reset();
  m_streamSession.reset();
  m_streamWriter.reset();
  m_paused = false;
  Q_EMIT streamFinished(end);
}

void PipelineWorker::setPaused(bool paused) {
  m_paused = paused;
  if (!m_stream) return;
  if (paused)
    m_streamTimer->stop();
  else
    m_streamTimer->start();
}

void PipelineWorker::stopStream() {
  finishStream(QString());
}

void PipelineWorker::saveSnapshot() {
  if (m_lastAnnotated.empty()) {
    Q_EMIT errorOccurred(tr("Nothing to save yet: open an image, a video or the camera."), false);
    return;
  }
  try {
    const QString name =
        QStringLiteral("snapshot-%1.png")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    Q_EMIT snapshotSaved(fromStd(imageWriter().writeLabelledImage(toStd(name), m_lastAnnotated)));
  } catch (const std::exception& e) {
    Q_EMIT errorOccurred(fromStd(e.what()), false);
  }
}

void PipelineWorker::setRecordCamera(bool on) {
  m_settings.recordCamera = on;
  // Record off closes the camera's video; Record on again starts a new file (a new name).
  if (!on && m_streamSession && m_live &&
      !m_streamSession->videoPath().empty()) {
    try {
      m_streamSession->closeVideo();
    } catch (const std::exception& e) {
      Q_EMIT errorOccurred(fromStd(e.what()), false);
    }
  }
}

void PipelineWorker::setAttention(bool on) {
  m_settings.attention = on;
  if (!m_pipeline) return;
  m_pipeline->setWithAttention(on);
  // A still image is re-drawn at once; streams pick it up on their next frame.
  if (m_stream || m_lastImage.empty()) return;
  try {
    const auto start = std::chrono::steady_clock::now();
    LabelSession session(*m_pipeline, labelOptions());
    const LabelledFrame labelled = session.inspectImage(m_lastImage, toStd(m_lastSource));
    m_lastAnnotated = labelled.annotated;
    Q_EMIT imageProcessed(makeView(labelled.result, labelled.annotated, elapsedMs(start)));
  } catch (const std::exception& e) {
    Q_EMIT errorOccurred(fromStd(e.what()), false);
  }
}

void PipelineWorker::shutdown() {
  m_cancel.store(true);
  if (m_stream) finishStream(QString());
  m_imageWriter.reset();
  m_pipeline.reset();
}

}  // namespace microfer::gui
