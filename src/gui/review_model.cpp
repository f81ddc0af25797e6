#include "review_model.hpp"

#include <QDir>
#include <QFileInfo>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <stdexcept>

#include "face_panel.hpp"
#include "microfer/capture/image_io.hpp"
#include "microfer/output/results_writer.hpp"
#include "microfer/runtime/file_io.hpp"
#include "microfer/types.hpp"
#include "pipeline_worker.hpp"

namespace microfer::gui {

namespace {

const char* const kResultsName = "results.csv";
const char* const kReviewedName = "results-reviewed.csv";
const char* const kReviewedColumn = "reviewed_label";

std::string readWholeFile(const QString& path) {
  std::ifstream in(path.toStdString(), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path.toStdString() + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int columnOf(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

/// The picture a face was found in: the image, or frame `frame` of a video; null if unreadable.
cv::Mat readSourcePicture(const std::string& path, int frame) {
  try {
    if (!hasVideoExtension(path)) return readImage(path);
    cv::VideoCapture video(path);
    if (!video.isOpened()) return {};
    video.set(cv::CAP_PROP_POS_FRAMES, frame);
    cv::Mat picture;
    video.read(picture);
    return picture;
  } catch (const std::exception&) {
    return {};  // a moved or deleted source: the row stays, without its picture
  }
}

}  // namespace

ReviewModel::ReviewModel(QObject* parent) : QAbstractTableModel(parent) {}

QString ReviewModel::exportPath() const {
  return QDir(m_folder).filePath(QString::fromLatin1(kReviewedName));
}

void ReviewModel::load(const QString& folder) {
  beginResetModel();
  m_folder = folder;
  m_header.clear();
  m_rows.clear();
  m_thumbnails.clear();
  m_pictureKey.clear();
  m_picture = QImage();
  try {
    const QString csvPath = QDir(folder).filePath(QString::fromLatin1(kResultsName));
    if (!QFileInfo(csvPath).isFile())
      throw std::runtime_error("no " + std::string(kResultsName) + " in '" +
                               folder.toStdString() + "'");
    std::vector<CsvRecord> records = parseCsv(readWholeFile(csvPath));
    if (records.empty()) throw std::runtime_error("'" + csvPath.toStdString() + "' is empty");
    const std::vector<std::string>& header = records.front().fields;
    const char* const needed[] = {"source", "frame",      "x",        "y",        "width",
                                  "height", "label", "confidence", "uncertain"};
    std::vector<int> at;
    for (const char* name : needed) {
      at.push_back(columnOf(header, name));
      if (at.back() < 0)
        throw std::runtime_error("'" + csvPath.toStdString() + "' has no '" + name +
                                 "' column: not a MicroFER results.csv");
    }
    m_header = records.front().text;
    for (size_t r = 1; r < records.size(); ++r) {
      const auto& f = records[r].fields;
      if (f.size() < header.size()) continue;  // not a row of this header
      auto number = [&](int k) { return QString::fromStdString(f[at[k]]).toDouble(); };
      ReviewRow row;
      row.record = records[r].text;
      row.source = QString::fromStdString(f[at[0]]);
      row.frame = static_cast<int>(number(1));
      row.box = QRectF(number(2), number(3), number(4), number(5));
      row.label = emotionIndex(f[at[6]]);
      row.confidence = number(7);
      row.uncertain = f[at[8]] == "1";
      m_rows.push_back(std::move(row));
    }
    restoreReviewed();
  } catch (...) {
    m_header.clear();
    m_rows.clear();
    endResetModel();
    throw;
  }
  endResetModel();
}

// An earlier export of the same rows carries the work done so far; any other is ignored.
void ReviewModel::restoreReviewed() {
  const QString path = exportPath();
  if (!QFileInfo(path).isFile()) return;
  const std::vector<CsvRecord> records = parseCsv(readWholeFile(path));
  if (records.size() != static_cast<size_t>(m_rows.size()) + 1 ||
      records.front().text != m_header + "," + kReviewedColumn)
    return;
  for (int i = 0; i < m_rows.size(); ++i) {
    const CsvRecord& r = records[static_cast<size_t>(i) + 1];
    if (r.text.rfind(m_rows[i].record + ",", 0) != 0) return;  // not the same row
    m_rows[i].reviewed = emotionIndex(r.fields.back());
  }
}

int ReviewModel::reviewedCount() const {
  int n = 0;
  for (const ReviewRow& r : m_rows) n += r.reviewed >= 0 ? 1 : 0;
  return n;
}

void ReviewModel::setReviewedLabel(int index, int label) {
  if (index < 0 || index >= m_rows.size()) return;
  if (label < -1 || label >= kNumEmotions) label = -1;
  m_rows[index].reviewed = label;
  const QModelIndex changed = this->index(index, Reviewed);
  Q_EMIT dataChanged(changed, changed);
}

void ReviewModel::exportReviewed() const {
  if (m_header.empty()) throw std::runtime_error("no results are loaded");
  std::string out = m_header + "," + kReviewedColumn + "\n";
  for (const ReviewRow& r : m_rows)
    out += r.record + "," + (r.reviewed >= 0 ? emotionNames()[r.reviewed] : std::string()) + "\n";
  writeFileAtomically(exportPath().toStdString(), out);
}

int ReviewModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ReviewModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReviewModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= m_rows.size()) return {};
  const ReviewRow& r = m_rows[index.row()];
  switch (role) {
    case LabelRole:
      return r.label;
    case UncertainRole:
      return r.uncertain;
    case ReviewedRole:
      return r.reviewed;
    case RowRole:
      return index.row();
    default:
      break;
  }
  const int column = index.column();
  if (role == Qt::EditRole && column == Reviewed) return r.reviewed;
  if (role == Qt::DecorationRole && column == Face) return thumbnail(index.row());
  if (role == Qt::ToolTipRole && column == Source) return r.source;
  if (role == Qt::AccessibleTextRole && column == Face)
    return tr("Face in %1").arg(QFileInfo(r.source).fileName());
  if (role != Qt::DisplayRole && role != Qt::AccessibleTextRole) return {};
  switch (column) {
    case Label:
      return expressionDisplayName(r.label);
    case Confidence:
      return QStringLiteral("%1%").arg(qRound(r.confidence * 100));
    case Uncertain:
      return r.uncertain ? tr("uncertain") : QString();
    case Reviewed:
      return r.reviewed >= 0 ? expressionDisplayName(r.reviewed) : QString();
    case Source:
      return QFileInfo(r.source).fileName();
    case Frame:
      return r.frame;
    default:
      return {};
  }
}

Qt::ItemFlags ReviewModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.column() == Reviewed) f |= Qt::ItemIsEditable;
  return f;
}

bool ReviewModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || index.column() != Reviewed || !index.isValid()) return false;
  setReviewedLabel(index.row(), value.toInt());
  return true;
}

QVariant ReviewModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (role != Qt::DisplayRole) return {};
  if (orientation == Qt::Vertical) return section + 1;
  static const char* const kHeaders[ColumnCount] = {
      QT_TR_NOOP("Face"),           QT_TR_NOOP("Label"),  QT_TR_NOOP("Confidence"),
      QT_TR_NOOP("Uncertain"),      QT_TR_NOOP("Reviewed label"), QT_TR_NOOP("Source"),
      QT_TR_NOOP("Frame")};
  return section >= 0 && section < ColumnCount ? tr(kHeaders[section]) : QVariant();
}

QImage ReviewModel::thumbnail(int index) const {
  if (const auto found = m_thumbnails.constFind(index); found != m_thumbnails.constEnd())
    return *found;
  const ReviewRow& r = m_rows[index];
  // A relative source is relative to where the run started; failing that, to the folder.
  QString path = r.source;
  if (QFileInfo(path).isRelative() && !QFileInfo::exists(path))
    path = QDir(m_folder).filePath(path);
  const QString key = path + QLatin1Char('\n') + QString::number(r.frame);
  if (key != m_pictureKey) {
    m_pictureKey = key;
    m_picture = toQImage(readSourcePicture(path.toStdString(), r.frame));
  }
  QImage thumb;
  const QRect box = r.box.toAlignedRect().intersected(m_picture.rect());
  if (!box.isEmpty())
    thumb = m_picture.copy(box).scaled(kThumbnailSide, kThumbnailSide, Qt::KeepAspectRatio,
                                       Qt::SmoothTransformation);
  m_thumbnails.insert(index, thumb);
  return thumb;
}

ReviewFilter::ReviewFilter(QObject* parent) : QSortFilterProxyModel(parent) {}

void ReviewFilter::setShow(Show show) {
  m_show = show;
  invalidateFilter();
  sort(show == Show::UncertainFirst ? 0 : -1);
}

void ReviewFilter::setLabel(int label) {
  m_label = label;
  invalidateFilter();
}

bool ReviewFilter::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
  if (m_show == Show::UncertainOnly && !i.data(ReviewModel::UncertainRole).toBool()) return false;
  return m_label < 0 || i.data(ReviewModel::LabelRole).toInt() == m_label;
}

// Uncertain faces first, each group in the file's order.
bool ReviewFilter::lessThan(const QModelIndex& left, const QModelIndex& right) const {
  const bool l = left.data(ReviewModel::UncertainRole).toBool();
  const bool r = right.data(ReviewModel::UncertainRole).toBool();
  if (l != r) return l;
  return left.row() < right.row();
}

}  // namespace microfer::gui
