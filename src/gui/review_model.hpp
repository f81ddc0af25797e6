// Reviewing a results folder: every face of its results.csv in a table model, a filter over
// it, and the export of the corrected labels (results-reviewed.csv). Qt only; the thumbnails
// are cut from the sources with OpenCV on the GUI thread, lazily, for the rows on screen.
#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QImage>
#include <QRectF>
#include <QSortFilterProxyModel>
#include <QString>
#include <QStringList>
#include <QVector>
#include <string>
#include <vector>

namespace microfer::gui {

/// One face of results.csv.
struct ReviewRow {
  std::string record;  ///< the CSV record as in results.csv, kept whole for the export
  QString source;      ///< as written in the file (as the input was given)
  int frame = 0;
  QRectF box;
  int label = -1;  ///< the prediction, index into emotionNames(); -1 for an unknown name
  double confidence = 0;
  bool uncertain = false;
  int reviewed = -1;  ///< the reviewer's label; -1 while not reviewed
};

/// The faces of one results folder. Not thread-safe (GUI thread).
class ReviewModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Face, Label, Confidence, Uncertain, Reviewed, Source, Frame, ColumnCount };
  /// Values for sorting and filtering, beside Qt::DisplayRole's words.
  enum Role { LabelRole = Qt::UserRole + 1, UncertainRole, ReviewedRole, RowRole };

  explicit ReviewModel(QObject* parent = nullptr);

  /// Reads `folder`/results.csv (and the reviewed labels of an earlier export,
  /// results-reviewed.csv, where it has the same rows). Throws std::runtime_error with a
  /// message naming the file when it is missing, unreadable or lacks a needed column; the
  /// model is then empty.
  void load(const QString& folder);
  QString folder() const { return m_folder; }
  /// <folder>/results-reviewed.csv
  QString exportPath() const;

  const ReviewRow& row(int index) const { return m_rows[index]; }
  int reviewedCount() const;
  /// Sets (or with -1 clears) the reviewed label of source row `index`.
  void setReviewedLabel(int index, int label);
  /// Writes exportPath(): results.csv's header and rows, each with a `reviewed_label` column
  /// appended (the core's English name; empty where not reviewed), through a temporary file
  /// renamed into place. Throws std::runtime_error naming the file on failure.
  void exportReviewed() const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;
  /// The Reviewed column is editable: Qt::EditRole takes a label index (-1 clears).
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

  /// Side of the square thumbnails, pixels.
  static constexpr int kThumbnailSide = 64;

 private:
  QImage thumbnail(int index) const;
  void restoreReviewed();

  QString m_folder;
  std::string m_header;  ///< results.csv's header record, as in the file
  QVector<ReviewRow> m_rows;
  // Thumbnails made so far, and the last source picture decoded (rows come grouped by source).
  mutable QHash<int, QImage> m_thumbnails;
  mutable QString m_pictureKey;
  mutable QImage m_picture;
};

/// What the review table shows: all faces, uncertain ones first or only those, optionally one
/// predicted label.
class ReviewFilter : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  enum class Show { All, UncertainFirst, UncertainOnly };
  explicit ReviewFilter(QObject* parent = nullptr);
  void setShow(Show show);
  /// -1: every label.
  void setLabel(int label);

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
  bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

 private:
  Show m_show = Show::All;
  int m_label = -1;
};

}  // namespace microfer::gui
