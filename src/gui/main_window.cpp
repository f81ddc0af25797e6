#include "main_window.hpp"

#include <QCloseEvent>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QKeySequence>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPainterPath>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QTextStream>
#include <QUrl>
#include <cmath>

#include "core_bridge.hpp"
#include "face_panel.hpp"
#include "image_view.hpp"
#include "microfer/capture/frame_source.hpp"
#include "microfer/capture/image_io.hpp"
#include "pipeline_worker.hpp"
#include "review_dialog.hpp"
#include "settings_dialog.hpp"
#include "ui_main_window.h"

#ifndef MICROFER_VERSION
#define MICROFER_VERSION "unknown"
#endif

namespace microfer::gui {

namespace {

constexpr int kMaxRecentFiles = 8;
const QString kRecentKey = QStringLiteral("recentFiles");

QString formatDuration(double seconds) {
  const int s = static_cast<int>(std::lround(std::max(0.0, seconds)));
  return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

/// The lines of the model card that mention accuracy, so About shows measured numbers
/// rather than a claim compiled into the program.
QString modelCardAccuracy(const QString& modelPath) {
  if (modelPath.isEmpty()) return {};
  QFile card(QFileInfo(modelPath).dir().filePath(QStringLiteral("MODEL_CARD.md")));
  if (!card.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  QTextStream in(&card);
  QStringList lines;
  while (!in.atEnd() && lines.size() < 3) {
    const QString line = in.readLine().trimmed();
    if (line.contains(QLatin1String("accuracy"), Qt::CaseInsensitive) && line.size() < 200)
      lines << line.toHtmlEscaped();
  }
  return lines.join(QStringLiteral("<br>"));
}

}  // namespace

QIcon makeAppIcon() {
  QIcon icon;
  for (int side : {16, 32, 64, 128, 256}) {
    QPixmap pm(side, side);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(side / 64.0, side / 64.0);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x1f, 0x6f, 0x8b));
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 12, 12);
    p.setBrush(QColor(0xff, 0xd1, 0x66));
    p.drawEllipse(QPointF(32, 32), 21, 21);
    p.setBrush(QColor(0x26, 0x26, 0x26));
    p.drawEllipse(QPointF(24.5, 27), 3, 3.5);
    p.drawEllipse(QPointF(39.5, 27), 3, 3.5);
    QPen smile(QColor(0x26, 0x26, 0x26), 3.2, Qt::SolidLine, Qt::RoundCap);
    p.setPen(smile);
    p.setBrush(Qt::NoBrush);
    QPainterPath mouth;
    mouth.moveTo(22, 38);
    mouth.quadTo(32, 48, 42, 38);
    p.drawPath(mouth);
    // The detector's box corner marks, as drawn by the annotator.
    p.setPen(QPen(QColor(0x8e, 0xf0, 0x9c), 3, Qt::SolidLine, Qt::SquareCap));
    p.drawPolyline(QPolygonF({QPointF(8, 18), QPointF(8, 8), QPointF(18, 8)}));
    p.drawPolyline(QPolygonF({QPointF(46, 8), QPointF(56, 8), QPointF(56, 18)}));
    p.drawPolyline(QPolygonF({QPointF(8, 46), QPointF(8, 56), QPointF(18, 56)}));
    p.drawPolyline(QPolygonF({QPointF(46, 56), QPointF(56, 56), QPointF(56, 46)}));
    p.end();
    icon.addPixmap(pm);
  }
  return icon;
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()) {
  QSettings store;
  init(AppSettings::load(store));
}

MainWindow::MainWindow(const AppSettings& settings, QWidget* parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()) {
  init(settings);
}

void MainWindow::init(const AppSettings& settings) {
  qRegisterMetaType<PipelineInUse>();
  qRegisterMetaType<FrameView>();
  qRegisterMetaType<BatchSummary>();
  qRegisterMetaType<StreamEnd>();

  m_ui->setupUi(this);
  setWindowIcon(makeAppIcon());
  setAcceptDrops(true);
  m_ui->splitter->setStretchFactor(0, 3);
  m_ui->splitter->setStretchFactor(1, 1);
  createTimelineDock();  // before the saved dock state is restored
  restoreWindowState();
  m_ui->imageView->setPlaceholderText(
      tr("Drop an image, a folder or a video here\n\nor use File > Open Image… (Ctrl+O)"));
  m_ui->menuBar->setAccessibleName(tr("Menu bar"));
  m_ui->mainToolBar->setAccessibleName(tr("Main tool bar"));

  auto addStatus = [this](QLabel*& label) {
    label = new QLabel(this);
    label->setContentsMargins(6, 0, 6, 0);
    statusBar()->addPermanentWidget(label);
  };
  addStatus(m_sourceLabel);
  addStatus(m_detectorLabel);
  addStatus(m_ttaLabel);
  addStatus(m_facesLabel);
  addStatus(m_fpsLabel);
  addStatus(m_msLabel);
  addStatus(m_qualityLabel);
  m_qualityLabel->setObjectName(QStringLiteral("qualityLabel"));
  m_qualityLabel->setToolTip(
      tr("The live view lowers TTA, whole-frame detection, the smallest face and how often "
         "each face is classified in steps to keep the source's frame rate, and raises them "
         "again when time allows"));
  m_qualityLabel->hide();

  connect(m_ui->actionOpenImage, &QAction::triggered, this, &MainWindow::chooseImage);
  connect(m_ui->actionBatchFolder, &QAction::triggered, this, &MainWindow::chooseFolder);
  connect(m_ui->actionOpenVideo, &QAction::triggered, this, &MainWindow::chooseVideo);
  connect(m_ui->actionOpenStream, &QAction::triggered, this, &MainWindow::chooseStream);
  connect(m_ui->actionCamera, &QAction::triggered, this, &MainWindow::toggleCamera);
  connect(m_ui->actionPause, &QAction::triggered, this, &MainWindow::togglePause);
  connect(m_ui->actionStop, &QAction::triggered, this, &MainWindow::stopStream);
  connect(m_ui->actionSnapshot, &QAction::triggered, this, &MainWindow::saveSnapshot);
  connect(m_ui->actionOpenResults, &QAction::triggered, this, &MainWindow::openResultsFolder);
  connect(m_ui->actionReviewResults, &QAction::triggered, this, &MainWindow::chooseResults);
  connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);
  connect(m_ui->actionAttention, &QAction::toggled, this, &MainWindow::toggleAttention);
  connect(m_ui->actionRecord, &QAction::toggled, this, &MainWindow::toggleRecord);
  // The platform's standard keys where there is one.
  m_ui->actionOpenImage->setShortcut(QKeySequence::Open);
  m_ui->actionQuit->setShortcut(QKeySequence::Quit);
  m_ui->actionSettings->setShortcut(QKeySequence::Preferences);
  connect(m_ui->actionSettings, &QAction::triggered, this, &MainWindow::showSettings);
  connect(m_ui->actionAbout, &QAction::triggered, this, &MainWindow::showAbout);

  m_worker = new PipelineWorker;
  m_worker->moveToThread(&m_workerThread);
  connect(m_worker, &PipelineWorker::pipelineReady, this, &MainWindow::handlePipelineReady);
  connect(m_worker, &PipelineWorker::imageProcessed, this, &MainWindow::showImageResult);
  connect(m_worker, &PipelineWorker::frameProcessed, this, &MainWindow::showFrame);
  connect(m_worker, &PipelineWorker::batchStarted, this, &MainWindow::handleBatchStarted);
  connect(m_worker, &PipelineWorker::batchProgressed, this, &MainWindow::handleBatchProgress);
  connect(m_worker, &PipelineWorker::batchFinished, this, &MainWindow::handleBatchFinished);
  connect(m_worker, &PipelineWorker::streamStarted, this, &MainWindow::handleStreamStarted);
  connect(m_worker, &PipelineWorker::streamFinished, this, &MainWindow::handleStreamFinished);
  // A stalled or dropped stream: "reconnecting (attempt k of n)" until frames come again.
  connect(m_worker, &PipelineWorker::streamNotice, this, [this](const QString& notice) {
    if (notice.isEmpty())
      statusBar()->clearMessage();
    else
      statusBar()->showMessage(notice);
  });
  connect(m_worker, &PipelineWorker::errorOccurred, this, &MainWindow::handleError);
  connect(m_worker, &PipelineWorker::snapshotSaved, this, [this](const QString& path) {
    statusBar()->showMessage(tr("Snapshot saved to %1").arg(path), 8000);
    Q_EMIT snapshotSaved(path);
  });
  m_workerThread.setObjectName(QStringLiteral("microfer-worker"));
  m_workerThread.start();

  applySettings(settings, false);
  rebuildRecentMenu();
  updateActions();
}

MainWindow::~MainWindow() {
  // The pipeline and any stream are released on the thread that owns them, then the
  // thread ends; a running batch stops after its current image.
  m_worker->requestCancel();
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker] { w->shutdown(); }, Qt::BlockingQueuedConnection);
  m_workerThread.quit();
  m_workerThread.wait();
  delete m_worker;
}

FacePanel* MainWindow::facePanel() const {
  return m_ui->facePanel;
}
ImageView* MainWindow::imageView() const {
  return m_ui->imageView;
}

void MainWindow::applySettings(const AppSettings& settings, bool persist) {
  m_settings = settings;
  m_settingsPersisted = persist;
  if (persist) {
    QSettings store;
    settings.save(store);
  }
  {
    const QSignalBlocker block(m_ui->actionAttention);
    m_ui->actionAttention->setChecked(settings.attention);
  }
  {
    const QSignalBlocker block(m_ui->actionRecord);
    m_ui->actionRecord->setChecked(settings.recordCamera);
  }
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, settings] { w->configure(settings); }, Qt::QueuedConnection);
  updateStatusLabels();
}

QString MainWindow::choose(ChooserKind kind) {
  if (m_chooser) return m_chooser(kind);
  QSettings store;
  const QString last = store.value(QStringLiteral("lastFolder"), QDir::homePath()).toString();
  QString path;
  switch (kind) {
    case ChooserKind::Image:
      path = QFileDialog::getOpenFileName(
          this, tr("Open Image"), last,
          tr("Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp);;All files (*)"));
      break;
    case ChooserKind::Folder:
      path = QFileDialog::getExistingDirectory(this, tr("Batch-label Folder"), last);
      break;
    case ChooserKind::Video:
      path = QFileDialog::getOpenFileName(
          this, tr("Open Video"), last,
          tr("Videos (*.mp4 *.avi *.mkv *.mov *.webm *.mpg);;All files (*)"));
      break;
    case ChooserKind::Results: {
      // The last batch's folder, else the results folder in use.
      const QString start = m_lastSummary.outDir.isEmpty() ? m_settings.effectiveResultsDir()
                                                           : m_lastSummary.outDir;
      return QFileDialog::getExistingDirectory(this, tr("Review Results"), start);
    }
    case ChooserKind::Stream: {
      const QString lastUrl = store.value(QStringLiteral("lastStream")).toString();
      const QString url =
          QInputDialog::getText(this, tr("Open Stream"),
                                tr("Stream URL (rtsp://, http://, …) or GStreamer pipeline:"),
                                QLineEdit::Normal, lastUrl)
              .trimmed();
      // Kept for next time without its user name and password.
      if (!url.isEmpty())
        store.setValue(QStringLiteral("lastStream"),
                       QString::fromStdString(redactStreamLocation(url.toStdString())));
      return url;
    }
  }
  if (!path.isEmpty()) store.setValue(QStringLiteral("lastFolder"), QFileInfo(path).absolutePath());
  return path;
}

void MainWindow::chooseImage() {
  const QString path = choose(ChooserKind::Image);
  if (!path.isEmpty()) openImage(path);
}

void MainWindow::chooseFolder() {
  const QString path = choose(ChooserKind::Folder);
  if (!path.isEmpty()) batchLabel({path});
}

void MainWindow::chooseVideo() {
  const QString path = choose(ChooserKind::Video);
  if (!path.isEmpty()) openVideo(path);
}

void MainWindow::chooseResults() {
  const QString path = choose(ChooserKind::Results);
  if (!path.isEmpty()) reviewResults(path);
}

ReviewDialog* MainWindow::reviewResults(const QString& folder) {
  auto* dialog = new ReviewDialog(this);
  dialog->setObjectName(QStringLiteral("reviewDialog"));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setMessageBoxesEnabled(false);  // the window reports, as for every other error
  if (!dialog->openFolder(folder)) {
    showMessage(true, tr("Review Results"), dialog->lastError());
    statusBar()->showMessage(dialog->lastError());
    delete dialog;
    return nullptr;
  }
  dialog->setMessageBoxesEnabled(m_messageBoxes);
  connect(dialog, &ReviewDialog::exported, this, [this](const QString& path) {
    statusBar()->showMessage(tr("Reviewed labels written to %1").arg(QDir::toNativeSeparators(path)),
                             8000);
  });
  dialog->show();  // not modal: the window stays usable beside the table
  return dialog;
}

void MainWindow::chooseStream() {
  const QString location = choose(ChooserKind::Stream);
  if (location.isEmpty()) return;
  if (!isStreamLocation(location.toStdString())) {
    const QString why = tr("'%1' is not a stream: give a URL such as rtsp://camera/live or "
                           "http://host/video.mjpg, or a GStreamer pipeline (elements joined by "
                           "' ! '). Use Open Video for a file.")
                            .arg(location);
    showMessage(true, tr("Open Stream"), why);
    statusBar()->showMessage(why);
    return;
  }
  openStream(location);
}

void MainWindow::openPath(const QString& path) {
  const QFileInfo info(path);
  if (info.isDir())
    batchLabel({path});
  else if (hasVideoExtension(path.toStdString()))
    openVideo(path);
  else
    openImage(path);
}

void MainWindow::openPaths(const QStringList& paths) {
  if (paths.size() == 1) return openPath(paths.first());
  QStringList batch;
  for (const QString& p : paths)
    if (!hasVideoExtension(p.toStdString())) batch << p;
  if (!batch.isEmpty()) return batchLabel(batch);
  if (!paths.isEmpty()) openPath(paths.first());
}

void MainWindow::openImage(const QString& path) {
  if (m_streaming) stopStream();
  addRecentFile(path);
  m_sourceLabel->setText(tr("Source: %1").arg(QFileInfo(path).fileName()));
  statusBar()->showMessage(tr("Labelling %1…").arg(QFileInfo(path).fileName()));
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, path] { w->processImage(path); }, Qt::QueuedConnection);
}

void MainWindow::batchLabel(const QStringList& paths) {
  if (m_batchRunning || paths.isEmpty()) return;
  if (m_streaming) stopStream();
  for (const QString& p : paths) addRecentFile(p);
  m_batchRunning = true;
  m_lastSummary = BatchSummary();
  m_batchClock.start();
  delete m_progress;
  m_progress = new QProgressDialog(tr("Looking for images…"), tr("Cancel"), 0, 0, this);
  m_progress->setObjectName(QStringLiteral("batchProgress"));
  m_progress->setWindowTitle(tr("Batch-labelling"));
  m_progress->setWindowModality(Qt::WindowModal);
  m_progress->setMinimumDuration(0);
  m_progress->setAutoClose(false);
  m_progress->setAutoReset(false);
  m_progress->setMinimumWidth(460);
  connect(m_progress, &QProgressDialog::canceled, this, [this] {
    // The flag is atomic: the worker's loop sees it while its event loop is busy.
    m_worker->requestCancel();
    if (m_progress) m_progress->setLabelText(tr("Cancelling after the current image…"));
  });
  m_progress->show();
  m_sourceLabel->setText(tr("Source: %1").arg(QFileInfo(paths.first()).fileName()));
  updateActions();
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, paths] { w->processBatch(paths); }, Qt::QueuedConnection);
}

void MainWindow::openVideo(const QString& path) {
  if (m_streaming) stopStream();
  addRecentFile(path);
  m_streamIsCamera = false;
  statusBar()->showMessage(tr("Opening %1…").arg(QFileInfo(path).fileName()));
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, path] { w->startVideo(path); }, Qt::QueuedConnection);
}

void MainWindow::openStream(const QString& location) {
  if (m_streaming) stopStream();
  m_streamIsCamera = false;
  statusBar()->showMessage(
      tr("Opening %1…").arg(QString::fromStdString(redactStreamLocation(location.toStdString()))));
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, location] { w->startStream(location); }, Qt::QueuedConnection);
}

void MainWindow::startCamera() {
  if (m_streaming) stopStream();
  m_streamIsCamera = true;
  const int index = m_settings.cameraIndex;
  statusBar()->showMessage(tr("Opening camera %1…").arg(index));
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, index] { w->startCamera(index); }, Qt::QueuedConnection);
}

void MainWindow::stopStream() {
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker] { w->stopStream(); }, Qt::QueuedConnection);
}

void MainWindow::toggleCamera(bool on) {
  if (on)
    startCamera();
  else
    stopStream();
}

void MainWindow::togglePause(bool paused) {
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, paused] { w->setPaused(paused); }, Qt::QueuedConnection);
  statusBar()->showMessage(paused ? tr("Paused") : tr("Playing"), 3000);
}

void MainWindow::toggleRecord(bool on) {
  m_settings.recordCamera = on;  // not saved: Record is off at every start
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, on] { w->setRecordCamera(on); }, Qt::QueuedConnection);
  statusBar()->showMessage(on ? tr("Recording the camera to the results folder")
                              : tr("Not recording the camera"), 4000);
}

void MainWindow::toggleAttention(bool on) {
  m_settings.attention = on;
  QSettings store;
  m_settings.save(store);
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker, on] { w->setAttention(on); }, Qt::QueuedConnection);
}

void MainWindow::saveSnapshot() {
  QMetaObject::invokeMethod(
      m_worker, [w = m_worker] { w->saveSnapshot(); }, Qt::QueuedConnection);
}

void MainWindow::openResultsFolder() {
  const QString dir = m_settings.effectiveResultsDir();
  QDir().mkpath(dir);
  if (!QDesktopServices::openUrl(QUrl::fromLocalFile(dir)))
    statusBar()->showMessage(tr("Results folder: %1").arg(dir), 10000);
}

void MainWindow::showSettings() {
  auto* dialog = new SettingsDialog(this);
  dialog->setObjectName(QStringLiteral("settingsDialog"));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->setSettings(m_settings);
  connect(dialog, &QDialog::accepted, this,
          [this, dialog] { applySettings(dialog->settings(), true); });
  dialog->open();  // window-modal without a nested event loop
}

void MainWindow::showAbout() {
  QMessageBox::about(this, tr("About MicroFER"), aboutText());
}

QString MainWindow::aboutText() const {
  // The file in use; before the pipeline is ready, the one the settings ask for.
  QString modelPath = m_modelFile;
  if (modelPath.isEmpty())
    modelPath = m_settings.model.isEmpty() ? QString::fromStdString(installedModelPath())
                                           : m_settings.model;
  QString model = m_modelName.isEmpty() ? tr("not loaded") : m_modelName.toHtmlEscaped();
  if (!m_setupError.isEmpty())
    model += QStringLiteral("<br><i>%1</i>").arg(m_setupError.toHtmlEscaped());
  // The card describes the default model; for another file its figures would mislead.
  const bool isDefault =
      !modelPath.isEmpty() &&
      QFileInfo(modelPath).absoluteFilePath() ==
          QFileInfo(QString::fromStdString(installedModelPath())).absoluteFilePath();
  const QString accuracy =
      modelPath.isEmpty() ? QString()
      : isDefault         ? modelCardAccuracy(modelPath)
                          : tr("not the default model: its figures are in its stored notes "
                               "(<tt>microfer-cli info --model FILE</tt>) and in the model "
                               "card");
  return tr("<h3>MicroFER %1</h3>"
         "<p>Facial-expression recognition with a micro-attention network.</p>"
         "<p><b>Model:</b> %2<br><b>File:</b> %3</p>%4"
         "<p>Qt %5</p>"
         "<p><b>Licences of what ships:</b> MicroFER and its trained models: MIT; YuNet "
         "model (Wu, Peng, Yu 2023): Apache-2.0; MTCNN "
         "weights (Zhang et al. 2016): MIT; Qt: LGPL-3.0; OpenCV: Apache-2.0; LibTorch: "
         "BSD-3-Clause; spdlog: MIT; nlohmann/json: MIT. Their texts: LICENSE, "
         "models/yunet/LICENSE and "
         "models/mtcnn/LICENSE in MicroFER, /usr/share/doc/&lt;package&gt;/copyright for "
         "each library.</p>")
          .arg(QStringLiteral(MICROFER_VERSION), model,
               modelPath.isEmpty() ? tr("none installed") : modelPath.toHtmlEscaped(),
               accuracy.isEmpty() ? QString()
                                  : tr("<p><b>Model card:</b><br>%1</p>").arg(accuracy),
               QString::fromLatin1(qVersion()));
}

void MainWindow::display(const FrameView& view) {
  m_current = view;
  m_ui->imageView->setImage(view.annotated);
  m_ui->facePanel->setFaces(view.faces);
  m_ui->imageView->setAccessibleDescription(
      tr("%1, labelled: %n face(s) found", nullptr, static_cast<int>(view.faces.size()))
          .arg(QFileInfo(view.source).fileName()));
  m_facesLabel->setText(tr("Faces: %1").arg(view.faces.size()));
  m_msLabel->setText(tr("%1 ms/frame").arg(view.processMs, 0, 'f', 0));
}

void MainWindow::showImageResult(const FrameView& view) {
  display(view);
  m_fpsLabel->setText(tr("— FPS"));
  m_qualityLabel->hide();  // still images run at the user's settings
  m_sourceLabel->setText(tr("Source: %1").arg(QFileInfo(view.source).fileName()));
  if (!view.warning.isEmpty()) {
    m_lastMessage = view.warning;
    statusBar()->showMessage(view.warning);
  } else if (!view.labelledImagePath.isEmpty()) {
    statusBar()->showMessage(
        tr("%n face(s); labelled image written to %1", nullptr, static_cast<int>(view.faces.size()))
            .arg(QDir::toNativeSeparators(view.labelledImagePath)));
  } else {
    statusBar()->showMessage(tr("%n face(s)", nullptr, static_cast<int>(view.faces.size())));
  }
  Q_EMIT resultShown();
}

void MainWindow::showFrame(const FrameView& view) {
  m_worker->acknowledgeFrame();
  display(view);
  if (m_frameClock.isValid()) {
    const double dt = m_frameClock.restart() / 1000.0;
    if (dt > 0) m_fps = m_fps <= 0 ? 1.0 / dt : 0.9 * m_fps + 0.1 / dt;
  } else {
    m_frameClock.start();
  }
  m_fpsLabel->setText(tr("%1 FPS").arg(m_fps, 0, 'f', 1));
  m_qualityLabel->setText(view.quality);
  m_qualityLabel->setVisible(!view.quality.isEmpty());
  Q_EMIT frameShown();
}

void MainWindow::handlePipelineReady(const PipelineInUse& inUse) {
  if (inUse.model != m_settings.model || inUse.detector != m_settings.detector ||
      inUse.minFaceSize != m_settings.minFaceSize) {
    // The worker kept its model or detector because the one asked for could not be set up
    // (the error was reported): the settings follow what is in use, also on disk, or the next
    // start would try the failing file again and have no pipeline at all.
    m_settings.model = inUse.model;
    m_settings.detector = inUse.detector;
    m_settings.minFaceSize = inUse.minFaceSize;
    if (m_settingsPersisted) {
      QSettings store;
      m_settings.save(store);
    }
  }
  m_modelName = inUse.modelName;
  m_modelFile = inUse.modelFile;
  m_detectorInUse = inUse.detectorInUse;
  m_setupError.clear();
  m_detectorLabel->setText(detectorText());
  m_ttaLabel->setText(tr("TTA: %1").arg(settingName(inUse.tta)));
  statusBar()->showMessage(
      tr("Model %1 (%2) ready").arg(inUse.modelName, QFileInfo(inUse.modelFile).fileName()), 5000);
}

void MainWindow::handleBatchStarted(int total) {
  if (!m_progress) return;
  m_progress->setMaximum(std::max(1, total));
  m_progress->setValue(0);
}

void MainWindow::handleBatchProgress(int done, int total, const QString& currentFile) {
  if (!m_progress || m_progress->wasCanceled()) return;
  m_progress->setMaximum(std::max(1, total));
  m_progress->setValue(done);
  const double elapsed = m_batchClock.elapsed() / 1000.0;
  const QString eta = done > 0 ? formatDuration(elapsed / done * (total - done)) : tr("…");
  m_progress->setLabelText(tr("%1 of %2 — about %3 left\n%4")
                               .arg(done)
                               .arg(total)
                               .arg(eta, QFileInfo(currentFile).fileName()));
}

void MainWindow::handleBatchFinished(const BatchSummary& summary) {
  m_batchRunning = false;
  m_lastSummary = summary;
  if (m_progress) {
    m_progress->hide();
    m_progress->deleteLater();
  }
  updateActions();

  QStringList counts;
  for (int i = 0; i < kNumEmotions; ++i)
    if (summary.perExpression[static_cast<size_t>(i)] > 0)
      counts << tr("%1 %2", "a number of faces and their expression: 3 happy")
                    .arg(summary.perExpression[static_cast<size_t>(i)])
                    .arg(expressionDisplayName(i));
  QString text = tr("%1%2 of %3 images labelled, %4 faces found in %5.")
                     .arg(summary.cancelled ? tr("Cancelled: ") : QString())
                     .arg(summary.images)
                     .arg(summary.total)
                     .arg(summary.faces)
                     .arg(formatDuration(summary.seconds));
  if (!counts.isEmpty()) text += QLatin1Char('\n') + counts.join(QStringLiteral(", "));
  if (!summary.failures.isEmpty())
    text += tr("\n%n image(s) failed.", nullptr, summary.failures.size());
  if (!summary.outDir.isEmpty())
    text += tr("\nResults: %1").arg(QDir::toNativeSeparators(summary.outDir));
  QStringList details;
  for (const auto& [path, reason] : summary.failures)
    details << tr("failed: %1: %2").arg(path, reason);
  for (const auto& [path, reason] : summary.skipped)
    details << tr("skipped: %1: %2").arg(path, reason);
  QMessageBox* box =
      showMessage(!summary.failures.isEmpty(), tr("Batch finished"), text, details.join('\n'));
  if (box && summary.faces > 0 && !summary.outDir.isEmpty()) {
    QPushButton* review = box->addButton(tr("Review Results…"), QMessageBox::ActionRole);
    review->setAccessibleName(tr("Review results"));
    const QString outDir = summary.outDir;
    connect(review, &QPushButton::clicked, this, [this, outDir] { reviewResults(outDir); });
  }
  statusBar()->showMessage(text.section(QLatin1Char('\n'), 0, 0));
  Q_EMIT batchCompleted(summary);
}

void MainWindow::handleStreamStarted(const QString& source, const QString& outDir) {
  m_streaming = true;
  m_fps = 0;
  m_frameClock.invalidate();
  m_sourceLabel->setText(
      tr("Source: %1")
          .arg(QFileInfo(source).fileName().isEmpty() ? source : QFileInfo(source).fileName()));
  statusBar()->showMessage(tr("Labelling %1; results in %2").arg(source, outDir));
  updateActions();
}

void MainWindow::handleStreamFinished(const StreamEnd& end) {
  m_streaming = false;
  m_qualityLabel->hide();
  {
    const QSignalBlocker b1(m_ui->actionPause);
    m_ui->actionPause->setChecked(false);
  }
  updateActions();
  if (!end.error.isEmpty()) {
    QString text = end.error;
    if (end.framesProcessed > 0)
      text += tr("\n%1 frames were labelled; everything written so far is kept in %2")
                  .arg(end.framesProcessed)
                  .arg(QDir::toNativeSeparators(end.outDir));
    showMessage(true, end.source.startsWith(QLatin1String("camera")) ? tr("Camera") : tr("Video"),
                text);
    statusBar()->showMessage(end.error);
  } else {
    statusBar()->showMessage(tr("%1: %2 frames labelled; results in %3")
                                 .arg(QFileInfo(end.source).fileName())
                                 .arg(end.framesProcessed)
                                 .arg(QDir::toNativeSeparators(end.outDir)));
  }
  showTimeline(end);
  Q_EMIT streamEnded(end);
}

void MainWindow::createTimelineDock() {
  m_timelineView = new ImageView(this);
  m_timelineView->setObjectName(QStringLiteral("timelineView"));
  m_timelineView->setAccessibleName(tr("Expression timeline"));
  m_timelineView->setPlaceholderText(
      tr("Open a video: when it has been labelled, each face's expressions over time "
         "appear here"));
  m_timelineView->setMinimumSize(320, 160);
  m_timelineDock = new QDockWidget(tr("Timeline"), this);
  m_timelineDock->setObjectName(QStringLiteral("timelineDock"));  // for saveState()
  m_timelineDock->setAccessibleName(tr("Timeline"));
  m_timelineDock->setWidget(m_timelineView);
  addDockWidget(Qt::BottomDockWidgetArea, m_timelineDock);
  m_timelineDock->hide();
  QAction* toggle = m_timelineDock->toggleViewAction();
  toggle->setObjectName(QStringLiteral("actionTimeline"));
  toggle->setText(tr("Expression &Timeline"));
  toggle->setStatusTip(
      tr("Show the last video's expression timeline: per face track, the probabilities of "
         "the seven expressions over time"));
  m_ui->menuView->addSeparator();
  m_ui->menuView->addAction(toggle);
}

void MainWindow::showTimeline(const StreamEnd& end) {
  if (end.timelinePath.isEmpty()) return;
  // The picture the core wrote beside the results, so the app and the folder agree.
  const QImage picture(end.timelinePath);
  if (picture.isNull()) {
    m_timelineView->setImage(QImage());
    m_timelineView->setPlaceholderText(tr("Cannot read the timeline %1")
                                           .arg(QDir::toNativeSeparators(end.timelinePath)));
  } else {
    m_timelineView->setImage(picture);
    m_timelineView->setAccessibleDescription(
        tr("Expression timeline of %1, saved as %2")
            .arg(QFileInfo(end.source).fileName(), QDir::toNativeSeparators(end.timelinePath)));
  }
  m_timelineDock->show();
  m_timelineDock->raise();
}

void MainWindow::handleError(const QString& message, bool setup) {
  if (setup) m_setupError = message;
  showMessage(true, setup ? tr("Cannot load the pipeline") : tr("Cannot label"), message);
  statusBar()->showMessage(message);
  Q_EMIT errorShown(message, setup);
}

QMessageBox* MainWindow::showMessage(bool error, const QString& title, const QString& text,
                                     const QString& details) {
  m_lastMessage = text;
  if (!m_messageBoxes) return nullptr;
  auto* box = new QMessageBox(error ? QMessageBox::Warning : QMessageBox::Information, title, text,
                              QMessageBox::Ok, this);
  if (!details.isEmpty()) box->setDetailedText(details);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();  // never a nested event loop: results keep arriving behind it
  return box;
}

void MainWindow::addRecentFile(const QString& path) {
  if (!m_rememberRecent) return;
  const QString absolute = QFileInfo(path).absoluteFilePath();
  QSettings store;
  QStringList recent = store.value(kRecentKey).toStringList();
  recent.removeAll(absolute);
  recent.prepend(absolute);
  while (recent.size() > kMaxRecentFiles) recent.removeLast();
  store.setValue(kRecentKey, recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  QMenu* menu = m_ui->menuRecent;
  menu->clear();
  QSettings store;
  const QStringList recent = store.value(kRecentKey).toStringList();
  for (int i = 0; i < recent.size(); ++i) {
    const QString path = recent[i];
    QAction* a =
        menu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()));
    a->setStatusTip(path);
    connect(a, &QAction::triggered, this, [this, path] { openPath(path); });
  }
  if (!recent.isEmpty()) {
    menu->addSeparator();
    connect(menu->addAction(tr("Clear Recent Files")), &QAction::triggered, this, [this] {
      QSettings store;
      store.remove(kRecentKey);
      rebuildRecentMenu();
    });
  }
  menu->setEnabled(!recent.isEmpty());
}

void MainWindow::updateActions() {
  const bool idle = !m_batchRunning;
  m_ui->actionOpenImage->setEnabled(idle);
  m_ui->actionBatchFolder->setEnabled(idle);
  m_ui->actionOpenVideo->setEnabled(idle);
  m_ui->actionOpenStream->setEnabled(idle);
  m_ui->actionCamera->setEnabled(idle);
  m_ui->actionPause->setEnabled(m_streaming);
  m_ui->actionStop->setEnabled(m_streaming);
  {
    const QSignalBlocker block(m_ui->actionCamera);
    m_ui->actionCamera->setChecked(m_streaming && m_streamIsCamera);
  }
  m_ui->actionCamera->setText(m_streaming && m_streamIsCamera ? tr("Stop &Camera")
                                                              : tr("Start &Camera"));
  updateToolBarTexts();
}

void MainWindow::updateToolBarTexts() {
  // A button shows its action's text without the mnemonic: "Open Image", "打开图像" (a
  // translation's "(&O)" goes as a whole, where Qt would leave "(O)"). Screen readers get the
  // same name and the action's status tip as the description.
  static const QRegularExpression mnemonic(QStringLiteral("\\(&[^)]\\)|&(?=[^&])|…$"));
  for (QAction* a : m_ui->mainToolBar->actions()) {
    if (a->isSeparator()) continue;
    const QString plain = a->text().remove(mnemonic).trimmed();
    a->setIconText(plain);
    if (QWidget* button = m_ui->mainToolBar->widgetForAction(a)) {
      button->setAccessibleName(plain);
      button->setAccessibleDescription(a->statusTip());
    }
  }
}

QString MainWindow::detectorText() const {
  if (m_settings.detector == DetectorChoice::Auto)
    return m_detectorInUse ? tr("Detector: %1 (auto)").arg(settingName(*m_detectorInUse))
                           : tr("Detector: auto");
  return tr("Detector: %1").arg(settingName(m_settings.detector));
}

void MainWindow::updateStatusLabels() {
  if (m_sourceLabel->text().isEmpty()) m_sourceLabel->setText(tr("Source: none"));
  m_detectorLabel->setText(detectorText());
  m_ttaLabel->setText(tr("TTA: %1").arg(settingName(m_settings.tta)));
  if (m_facesLabel->text().isEmpty()) m_facesLabel->setText(tr("Faces: 0"));
  if (m_fpsLabel->text().isEmpty()) m_fpsLabel->setText(tr("— FPS"));
  if (m_msLabel->text().isEmpty()) m_msLabel->setText(tr("— ms/frame"));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  const QMimeData* mime = event->mimeData();
  if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().first().isLocalFile())
    event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  QStringList paths;
  for (const QUrl& url : event->mimeData()->urls())
    if (url.isLocalFile()) paths << url.toLocalFile();
  if (paths.isEmpty()) return;
  event->acceptProposedAction();
  if (paths.size() > 1)
    batchLabel(paths);  // several files at once are a batch
  else
    openPath(paths.first());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  m_worker->requestCancel();
  if (m_streaming) stopStream();
  saveWindowState();
  event->accept();
}

// Window geometry, tool bar / dock state and the image | face-panel split, kept between runs
// (QSettings "window/..."; apart from the settings the dialog edits).
void MainWindow::restoreWindowState() {
  QSettings store;
  restoreGeometry(store.value(QStringLiteral("window/geometry")).toByteArray());
  restoreState(store.value(QStringLiteral("window/state")).toByteArray());
  m_ui->splitter->restoreState(store.value(QStringLiteral("window/splitter")).toByteArray());
}

void MainWindow::saveWindowState() const {
  QSettings store;
  store.setValue(QStringLiteral("window/geometry"), saveGeometry());
  store.setValue(QStringLiteral("window/state"), saveState());
  store.setValue(QStringLiteral("window/splitter"), m_ui->splitter->saveState());
}

}  // namespace microfer::gui
