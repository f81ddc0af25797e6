// MainWindow: the MicroFER desktop window (layout in ui/main_window.ui). It only paints
// and routes user requests; a PipelineWorker in its own thread does all the work.
#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <QPointer>
#include <QThread>
#include <functional>
#include <memory>
#include <optional>

#include "app_settings.hpp"
#include "gui_types.hpp"

class QDockWidget;
class QLabel;
class QMessageBox;
class QProgressDialog;

namespace Ui {
class MainWindow;
}

namespace microfer::gui {

class FacePanel;
class ImageView;
class PipelineWorker;
class ReviewDialog;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum class ChooserKind { Image, Folder, Video, Stream, Results };
  /// Asks the user for a path; returns "" when cancelled. Tests replace the file dialogs
  /// with one of these so they can drive the real actions.
  using FileChooser = std::function<QString(ChooserKind)>;

  /// Loads the settings from QSettings and starts the worker thread.
  explicit MainWindow(QWidget* parent = nullptr);
  /// Starts with these settings instead (the command line's overrides); not saved.
  explicit MainWindow(const AppSettings& settings, QWidget* parent = nullptr);
  ~MainWindow() override;

  void setFileChooser(FileChooser chooser) { m_chooser = std::move(chooser); }
  /// false: errors and summaries go to the status bar and lastMessage() only (headless).
  void setMessageBoxesEnabled(bool on) { m_messageBoxes = on; }
  /// false: opened files are not added to File → Recent (a headless screenshot run).
  void setRememberRecent(bool on) { m_rememberRecent = on; }
  /// Uses these settings from now on; `persist` also saves them (the command line's
  /// overrides are not saved).
  void applySettings(const AppSettings& settings, bool persist);
  const AppSettings& settings() const { return m_settings; }

  // For tests and the headless mode.
  FacePanel* facePanel() const;
  ImageView* imageView() const;
  /// The Timeline dock's view: the last video's or camera's expression timeline (the
  /// <name>_timeline.png the core wrote beside its results).
  ImageView* timelineView() const { return m_timelineView; }
  PipelineWorker* worker() const { return m_worker; }
  const FrameView& currentView() const { return m_current; }
  const BatchSummary& lastBatchSummary() const { return m_lastSummary; }
  QString lastMessage() const { return m_lastMessage; }
  bool isStreaming() const { return m_streaming; }
  QString modelName() const { return m_modelName; }
  /// The file the model in use was read from (empty until the pipeline is ready).
  QString modelFile() const { return m_modelFile; }

 public Q_SLOTS:
  void openImage(const QString& path);
  void batchLabel(const QStringList& paths);
  void openVideo(const QString& path);
  /// A live network stream or GStreamer pipeline (File → Open Stream…).
  void openStream(const QString& location);
  void startCamera();
  void stopStream();
  void openResultsFolder();
  /// Opens the review table (ReviewDialog) on `folder`'s results.csv; returns the dialog, or
  /// nullptr when the folder has no readable results (reported like any error).
  ReviewDialog* reviewResults(const QString& folder);
  void showSettings();
  void showAbout();
  /// Opens a path by its kind: a folder is batch-labelled, a video played, else an image.
  void openPath(const QString& path);
  /// Paths from the command line or a file manager: one is opened as openPath(); several
  /// images and folders are batch-labelled together (a video among several opens alone).
  void openPaths(const QStringList& paths);

  /// The About box's text (HTML): version, model and its figures, licences of what ships.
  QString aboutText() const;

 Q_SIGNALS:
  /// A still image's result is on screen (panel and view updated).
  void resultShown();
  void frameShown();
  /// The snapshot action wrote the current labelled picture to `path`.
  void snapshotSaved(const QString& path);
  void batchCompleted(const microfer::gui::BatchSummary& summary);
  void streamEnded(const microfer::gui::StreamEnd& end);
  /// `setup` errors mean the model or detector could not be loaded.
  void errorShown(const QString& message, bool setup);


 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;
  void closeEvent(QCloseEvent* event) override;

 private:
  void restoreWindowState();
  void saveWindowState() const;

 private Q_SLOTS:
  void chooseImage();
  void chooseFolder();
  void chooseVideo();
  void chooseResults();
  void toggleCamera(bool on);
  void togglePause(bool paused);
  void toggleAttention(bool on);
  void toggleRecord(bool on);
  void saveSnapshot();
  void showImageResult(const microfer::gui::FrameView& view);
  void showFrame(const microfer::gui::FrameView& view);
  void handlePipelineReady(const microfer::gui::PipelineInUse& inUse);
  void handleBatchStarted(int total);
  void handleBatchProgress(int done, int total, const QString& currentFile);
  void handleBatchFinished(const microfer::gui::BatchSummary& summary);
  void handleStreamStarted(const QString& source, const QString& outDir);
  void handleStreamFinished(const microfer::gui::StreamEnd& end);
  void handleError(const QString& message, bool setup);

 private:
  void init(const AppSettings& settings);
  QString choose(ChooserKind kind);
  void chooseStream();
  void display(const FrameView& view);
  /// The message box shown (deleted when closed), or nullptr where boxes are disabled.
  QMessageBox* showMessage(bool error, const QString& title, const QString& text,
                           const QString& details = QString());
  void addRecentFile(const QString& path);
  void rebuildRecentMenu();
  void updateActions();
  /// The tool bar's buttons: their text and accessible name (the action's text without its
  /// mnemonic) and accessible description (its status tip).
  void updateToolBarTexts();
  void updateStatusLabels();
  /// View > Expression Timeline: a dock that shows the picture a stream's end wrote.
  void createTimelineDock();
  void showTimeline(const StreamEnd& end);
  /// "Detector: mtcnn", or "Detector: mtcnn (auto)" where the setting is auto.
  QString detectorText() const;

  std::unique_ptr<Ui::MainWindow> m_ui;
  QThread m_workerThread;
  PipelineWorker* m_worker = nullptr;  ///< lives in m_workerThread
  AppSettings m_settings;
  bool m_settingsPersisted = false;  ///< m_settings came from the dialog and were saved
  FileChooser m_chooser;
  bool m_messageBoxes = true;
  bool m_rememberRecent = true;

  FrameView m_current;
  BatchSummary m_lastSummary;
  QString m_lastMessage;
  QString m_modelName;
  QString m_modelFile;  ///< the file the model in use was read from
  /// What the detector setting resolved to (Auto -> Haar or MTCNN); none before the worker said.
  std::optional<DetectorKind> m_detectorInUse;
  QString m_setupError;

  bool m_streaming = false;
  bool m_streamIsCamera = false;
  bool m_batchRunning = false;
  QPointer<QProgressDialog> m_progress;
  QElapsedTimer m_batchClock;
  QElapsedTimer m_frameClock;
  double m_fps = 0;

  QLabel* m_sourceLabel = nullptr;
  QLabel* m_detectorLabel = nullptr;
  QLabel* m_ttaLabel = nullptr;
  QLabel* m_facesLabel = nullptr;
  QLabel* m_fpsLabel = nullptr;
  QLabel* m_msLabel = nullptr;
  QLabel* m_qualityLabel = nullptr;  ///< live view: the adaptive quality level
  QDockWidget* m_timelineDock = nullptr;
  ImageView* m_timelineView = nullptr;
};

/// The application icon, drawn in code (the same design as assets/microfer.svg) because
/// Debian's Qt has no SVG plugin unless qt6-svg is installed.
QIcon makeAppIcon();

}  // namespace microfer::gui
