// ReviewDialog: the faces of a results folder in a table (thumbnail, label, confidence,
// uncertain, source, frame), filtered and corrected from the keyboard, exported as
// results-reviewed.csv (File → Review Results…).
#pragma once

#include <QDialog>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;

namespace microfer::gui {

class ReviewFilter;
class ReviewModel;

class ReviewDialog : public QDialog {
  Q_OBJECT

 public:
  explicit ReviewDialog(QWidget* parent = nullptr);

  /// Loads `folder`/results.csv; false (and the reason in lastError()) when it cannot.
  bool openFolder(const QString& folder);
  QString lastError() const { return m_lastError; }
  /// false: failures go to lastError() only (tests, headless screenshots).
  void setMessageBoxesEnabled(bool on) { m_messageBoxes = on; }

  ReviewModel* model() const { return m_model; }
  ReviewFilter* filter() const { return m_filter; }
  QTableView* table() const { return m_table; }

  /// The label that a key sets in the table: 1–7 and the first letters (u: surprise) an
  /// expression, 0, Delete and Backspace -1 (not reviewed); -2 for any other key.
  static int labelForKey(int key);

 public Q_SLOTS:
  /// Sets the reviewed label (-1 clears it) of the selected rows and moves to the next row.
  void setReviewedLabelOfSelection(int label);
  /// Writes results-reviewed.csv; false (and lastError()) on failure.
  bool exportReviewed();

 Q_SIGNALS:
  void exported(const QString& path);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void updateSummary();
  /// Shows lastError() in a message box titled `title` (where message boxes are enabled).
  void warn(const QString& title);

  ReviewModel* m_model;
  ReviewFilter* m_filter;
  QTableView* m_table;
  QComboBox* m_show;
  QComboBox* m_label;
  QLabel* m_summary;
  QPushButton* m_export;
  QString m_lastError;
  bool m_messageBoxes = true;
};

}  // namespace microfer::gui
