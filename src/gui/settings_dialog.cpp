#include "settings_dialog.hpp"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QPushButton>

#include "core_bridge.hpp"
#include "microfer/classify/model_path.hpp"
#include "ui_settings_dialog.h"

namespace microfer::gui {

namespace {

/// The tooltip of a model's entry: its path, then "name: first line of its notes" (cut at
/// 300 characters), as rich text so that Qt wraps the long line.
QString describe(const QString& path, const ModelSummary& summary) {
  QString text = QStringLiteral("<p>") + path.toHtmlEscaped();
  if (!summary.name.empty())
    text += QStringLiteral("<br>") + QString::fromStdString(summary.name).toHtmlEscaped();
  if (!summary.notes.empty()) {
    QString notes = QString::fromStdString(summary.notes);
    if (notes.size() > 300) notes = notes.left(300) + QStringLiteral("\u2026");
    text += QStringLiteral(": ") + notes.toHtmlEscaped();
  }
  return text + QStringLiteral("</p>");
}

}  // namespace

SettingsDialog::SettingsDialog(QWidget* parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::SettingsDialog>()) {
  m_ui->setupUi(this);
  m_ui->minFaceSpin->setRange(kSmallestMinFace, kLargestMinFace);  // the core's (validate())
  // The default first (what microfer-cli uses without --model), then the other model files
  // installed beside it (e.g. the GPU-trained model); "…" picks any other file.
  // Each entry names the model as its file does (e.g. "microfer-resnet10-v3"); the tooltip
  // adds the path and what the model was trained on.
  const QString defaultFile = QString::fromStdString(defaultModelPath());
  const ModelSummary installed = summariseModel(defaultFile.toStdString());
  m_ui->modelCombo->addItem(
      defaultFile.isEmpty()      ? tr("Default (none installed)")
      : installed.name.empty() ? tr("Default (%1)").arg(QFileInfo(defaultFile).fileName())
                               : tr("Default (%1: %2)")
                                     .arg(QFileInfo(defaultFile).fileName(),
                                          QString::fromStdString(installed.name)),
      QString());
  m_ui->modelCombo->setItemData(0, describe(defaultFile, installed), Qt::ToolTipRole);
  for (const QString& path : AppSettings::installedModels())
    if (path != QFileInfo(defaultFile).absoluteFilePath()) selectModel(path);
  m_ui->modelCombo->setCurrentIndex(0);
  // The items carry the core's enum values (as int): the dialog never spells a setting's name.
  const auto addDetector = [this](const QString& text, DetectorChoice choice) {
    m_ui->detectorCombo->addItem(text, static_cast<int>(choice));
  };
  addDetector(tr("Automatic (YuNet where installed, else MTCNN, else Haar)"),
              DetectorChoice::Auto);
  addDetector(tr("YuNet (five landmarks; the fastest, finds the most faces)"),
              DetectorChoice::Yunet);
  addDetector(tr("MTCNN (five landmarks)"), DetectorChoice::Mtcnn);
  addDetector(tr("Haar cascade (OpenCV, frontal faces)"), DetectorChoice::Haar);
  const auto addTta = [this](const QString& text, TtaMode mode) {
    m_ui->ttaCombo->addItem(text, static_cast<int>(mode));
  };
  addTta(tr("Off (one view)"), TtaMode::Off);
  addTta(tr("Flip (two views)"), TtaMode::Flip);
  addTta(tr("Full (flips, rotations, shifts)"), TtaMode::Full);
  m_ui->resultsEdit->setPlaceholderText(AppSettings::defaultResultsDir());
  connect(m_ui->browseButton, &QToolButton::clicked, this, &SettingsDialog::browseResultsFolder);
  connect(m_ui->modelBrowseButton, &QToolButton::clicked, this, &SettingsDialog::browseModel);
  connect(m_ui->buttonBox->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
          &SettingsDialog::restoreDefaults);
  setSettings(AppSettings());
}

SettingsDialog::~SettingsDialog() = default;

void SettingsDialog::setSettings(const AppSettings& s) {
  m_base = s;
  selectModel(s.model);
  m_ui->detectorCombo->setCurrentIndex(
      std::max(0, m_ui->detectorCombo->findData(static_cast<int>(s.detector))));
  m_ui->ttaCombo->setCurrentIndex(std::max(0, m_ui->ttaCombo->findData(static_cast<int>(s.tta))));
  m_ui->minFaceSpin->setValue(s.minFaceSize);
  m_ui->resultsEdit->setText(s.resultsDir);
  m_ui->cameraSpin->setValue(s.cameraIndex);
  m_ui->saveVideoCheck->setChecked(s.saveVideo);
  m_ui->saveFramesCheck->setChecked(s.saveFrames);
  m_ui->saveImagesCheck->setChecked(s.saveImages);
  m_ui->smoothingCheck->setChecked(s.smoothing);
}

AppSettings SettingsDialog::settings() const {
  AppSettings s = m_base;
  s.model = m_ui->modelCombo->currentData().toString();
  s.detector = static_cast<DetectorChoice>(m_ui->detectorCombo->currentData().toInt());
  s.tta = static_cast<TtaMode>(m_ui->ttaCombo->currentData().toInt());
  s.minFaceSize = m_ui->minFaceSpin->value();
  s.resultsDir = m_ui->resultsEdit->text().trimmed();
  s.cameraIndex = m_ui->cameraSpin->value();
  s.saveVideo = m_ui->saveVideoCheck->isChecked();
  s.saveFrames = m_ui->saveFramesCheck->isChecked();
  s.saveImages = m_ui->saveImagesCheck->isChecked();
  s.smoothing = m_ui->smoothingCheck->isChecked();
  return s;
}

void SettingsDialog::browseResultsFolder() {
  const QString start = m_ui->resultsEdit->text().isEmpty() ? AppSettings::defaultResultsDir()
                                                            : m_ui->resultsEdit->text();
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Results Folder"), start);
  if (!dir.isEmpty()) m_ui->resultsEdit->setText(dir);
}

void SettingsDialog::selectModel(const QString& path) {
  int i = m_ui->modelCombo->findData(path);
  if (i < 0) {
    const ModelSummary summary = summariseModel(path.toStdString());
    const QString file = QFileInfo(path).fileName();
    m_ui->modelCombo->addItem(
        summary.name.empty()
            ? file
            : QStringLiteral("%1: %2").arg(file, QString::fromStdString(summary.name)),
        path);
    i = m_ui->modelCombo->count() - 1;
    m_ui->modelCombo->setItemData(i, describe(path, summary), Qt::ToolTipRole);
  }
  m_ui->modelCombo->setCurrentIndex(i);
}

void SettingsDialog::browseModel() {
  // Start where the chosen model lies (the default's folder for "Default").
  QString start = m_ui->modelCombo->currentData().toString();
  if (start.isEmpty()) start = QString::fromStdString(defaultModelPath());
  if (start.isEmpty()) start = QDir::homePath();
  const QString path = QFileDialog::getOpenFileName(
      this, tr("Model File"), QFileInfo(start).absolutePath(),
      tr("MicroFER models (*.mfm);;All files (*)"));
  if (!path.isEmpty()) selectModel(QFileInfo(path).absoluteFilePath());
}

void SettingsDialog::restoreDefaults() {
  AppSettings defaults;
  defaults.attention = m_base.attention;
  const AppSettings keep = m_base;
  setSettings(defaults);
  m_base = keep;
}

}  // namespace microfer::gui
