// The settings dialog (layout in ui/settings_dialog.ui).
#pragma once

#include <QDialog>
#include <memory>

#include "app_settings.hpp"

namespace Ui {
class SettingsDialog;
}

namespace microfer::gui {

class SettingsDialog : public QDialog {
  Q_OBJECT

 public:
  explicit SettingsDialog(QWidget* parent = nullptr);
  ~SettingsDialog() override;
  void setSettings(const AppSettings& settings);
  /// The dialog's values on top of the settings it was given (fields it does not show,
  /// such as the attention toggle, are kept).
  AppSettings settings() const;

 private Q_SLOTS:
  void browseResultsFolder();
  void browseModel();
  void restoreDefaults();

 private:
  /// Selects `path` in the model list (empty = the default), adding it where it is missing.
  void selectModel(const QString& path);

  std::unique_ptr<Ui::SettingsDialog> m_ui;
  AppSettings m_base;
};

}  // namespace microfer::gui
