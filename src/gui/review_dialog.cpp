#include "review_dialog.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <exception>

#include "face_panel.hpp"
#include "microfer/types.hpp"
#include "review_model.hpp"

namespace microfer::gui {

namespace {

/// The Reviewed column's editor (double-click or F2): "not reviewed" and the 7 expressions.
class ReviewedLabelDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&,
                        const QModelIndex&) const override {
    auto* combo = new QComboBox(parent);
    combo->setAccessibleName(ReviewDialog::tr("Reviewed label"));
    combo->addItem(ReviewDialog::tr("not reviewed"), -1);
    for (int i = 0; i < kNumEmotions; ++i) combo->addItem(expressionDisplayName(i), i);
    // The choice applies at once, not only when the editor loses focus.
    connect(combo, qOverload<int>(&QComboBox::activated), combo, [this, combo] {
      auto* self = const_cast<ReviewedLabelDelegate*>(this);
      Q_EMIT self->commitData(combo);
      Q_EMIT self->closeEditor(combo);
    });
    return combo;
  }
  void setEditorData(QWidget* editor, const QModelIndex& index) const override {
    auto* combo = static_cast<QComboBox*>(editor);
    combo->setCurrentIndex(combo->findData(index.data(Qt::EditRole).toInt()));
  }
  void setModelData(QWidget* editor, QAbstractItemModel* model,
                    const QModelIndex& index) const override {
    model->setData(index, static_cast<QComboBox*>(editor)->currentData(), Qt::EditRole);
  }
};

}  // namespace

ReviewDialog::ReviewDialog(QWidget* parent)
    : QDialog(parent),
      m_model(new ReviewModel(this)),
      m_filter(new ReviewFilter(this)),
      m_table(new QTableView(this)),
      m_show(new QComboBox(this)),
      m_label(new QComboBox(this)),
      m_summary(new QLabel(this)),
      m_export(new QPushButton(tr("&Export Reviewed CSV"), this)) {
  setWindowTitle(tr("Review Results"));
  setAccessibleName(tr("Review results"));
  m_filter->setSourceModel(m_model);

  m_show->addItems({tr("All faces"), tr("Uncertain first"), tr("Only uncertain")});
  m_show->setObjectName(QStringLiteral("reviewShow"));
  m_show->setAccessibleName(tr("Which faces to show"));
  m_label->addItem(tr("Every label"), -1);
  for (int i = 0; i < kNumEmotions; ++i) m_label->addItem(expressionDisplayName(i), i);
  m_label->setObjectName(QStringLiteral("reviewLabel"));
  m_label->setAccessibleName(tr("Predicted label to show"));
  connect(m_show, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { m_filter->setShow(static_cast<ReviewFilter::Show>(i)); });
  connect(m_label, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { m_filter->setLabel(m_label->itemData(i).toInt()); });
  auto* filters = new QHBoxLayout;
  auto* showLabel = new QLabel(tr("&Show:"), this);
  showLabel->setBuddy(m_show);
  auto* labelLabel = new QLabel(tr("&Label:"), this);
  labelLabel->setBuddy(m_label);
  filters->addWidget(showLabel);
  filters->addWidget(m_show);
  filters->addSpacing(12);
  filters->addWidget(labelLabel);
  filters->addWidget(m_label);
  filters->addStretch();

  m_table->setModel(m_filter);
  m_table->setObjectName(QStringLiteral("reviewTable"));
  m_table->setAccessibleName(tr("Faces to review"));
  m_table->setAccessibleDescription(
      tr("Keys 1 to 7 or an expression's first letter set the reviewed label of the selected "
         "faces (u: surprise); 0 or Delete clears it; F2 or a double-click opens a list"));
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  m_table->setItemDelegateForColumn(ReviewModel::Reviewed, new ReviewedLabelDelegate(m_table));
  m_table->setIconSize(QSize(ReviewModel::kThumbnailSide, ReviewModel::kThumbnailSide));
  m_table->verticalHeader()->setDefaultSectionSize(ReviewModel::kThumbnailSide + 6);
  m_table->horizontalHeader()->setStretchLastSection(false);
  m_table->horizontalHeader()->setSectionResizeMode(ReviewModel::Source, QHeaderView::Stretch);
  // Widths from the headers, not the contents: those would decode every thumbnail.
  m_table->setColumnWidth(ReviewModel::Face, ReviewModel::kThumbnailSide + 16);
  for (int c = ReviewModel::Label; c < ReviewModel::ColumnCount; ++c)
    if (c != ReviewModel::Source)
      m_table->setColumnWidth(
          c, std::max(80, m_table->fontMetrics().horizontalAdvance(
                              m_model->headerData(c, Qt::Horizontal).toString()) + 28));
  m_table->installEventFilter(this);

  QStringList keys;
  for (int i = 0; i < kNumEmotions; ++i)
    keys << QStringLiteral("%1 %2").arg(i + 1).arg(expressionDisplayName(i));
  auto* help = new QLabel(tr("Correct the selected face with a key: %1 (or the first letter; "
                             "u: surprise); 0 clears; arrow keys move; F2 or a double-click opens a list.")
                              .arg(keys.join(QStringLiteral(", "))),
                          this);
  help->setWordWrap(true);

  m_export->setObjectName(QStringLiteral("reviewExport"));
  m_export->setAccessibleName(tr("Export reviewed CSV"));
  m_export->setToolTip(tr("Write results-reviewed.csv: results.csv with a reviewed_label column"));
  connect(m_export, &QPushButton::clicked, this, &ReviewDialog::exportReviewed);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
  buttons->addButton(m_export, QDialogButtonBox::ActionRole);
  buttons->button(QDialogButtonBox::Close)->setAccessibleName(tr("Close"));
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  m_export->setAutoDefault(false);

  connect(m_model, &QAbstractItemModel::dataChanged, this, &ReviewDialog::updateSummary);
  connect(m_filter, &QAbstractItemModel::rowsInserted, this, &ReviewDialog::updateSummary);
  connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &ReviewDialog::updateSummary);
  connect(m_filter, &QAbstractItemModel::modelReset, this, &ReviewDialog::updateSummary);
  connect(m_filter, &QAbstractItemModel::layoutChanged, this, &ReviewDialog::updateSummary);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(filters);
  layout->addWidget(m_table, 1);
  layout->addWidget(help);
  layout->addWidget(m_summary);
  layout->addWidget(buttons);
  resize(820, 600);
}

bool ReviewDialog::openFolder(const QString& folder) {
  try {
    m_model->load(folder);
  } catch (const std::exception& e) {
    m_lastError = QString::fromUtf8(e.what());
    warn(tr("Review Results"));
    updateSummary();
    return false;
  }
  m_lastError.clear();
  setWindowTitle(tr("Review Results — %1").arg(QDir::toNativeSeparators(folder)));
  if (m_filter->rowCount() > 0) m_table->selectRow(0);
  updateSummary();
  return true;
}

int ReviewDialog::labelForKey(int key) {
  if (key >= Qt::Key_1 && key < Qt::Key_1 + kNumEmotions) return key - Qt::Key_1;
  if (key == Qt::Key_0 || key == Qt::Key_Delete || key == Qt::Key_Backspace) return -1;
  // The English name's first letter; sad and surprise share theirs, so surprise takes its 'u'.
  for (int i = 0; i < kNumEmotions; ++i) {
    const std::string& name = emotionNames()[i];
    const char letter = name == "surprise" ? 'u' : name[0];
    if (key == Qt::Key_A + (letter - 'a')) return i;
  }
  return -2;
}

void ReviewDialog::setReviewedLabelOfSelection(int label) {
  const QModelIndexList rows = m_table->selectionModel()->selectedRows();
  for (const QModelIndex& r : rows)
    m_model->setReviewedLabel(m_filter->mapToSource(r).row(), label);
  // One face at a time: go on to the next, as a reviewer works down the list.
  if (rows.size() == 1 && rows.first().row() + 1 < m_filter->rowCount())
    m_table->selectRow(rows.first().row() + 1);
}

bool ReviewDialog::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_table && event->type() == QEvent::KeyPress) {
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() == Qt::Key_F2 && m_table->currentIndex().isValid()) {
      m_table->edit(m_table->currentIndex().siblingAtColumn(ReviewModel::Reviewed));
      return true;
    }
    const int label = key->modifiers() & (Qt::ControlModifier | Qt::AltModifier)
                          ? -2
                          : labelForKey(key->key());
    if (label != -2) {
      setReviewedLabelOfSelection(label);
      return true;
    }
  }
  return QDialog::eventFilter(watched, event);
}

bool ReviewDialog::exportReviewed() {
  try {
    m_model->exportReviewed();
  } catch (const std::exception& e) {
    m_lastError = QString::fromUtf8(e.what());
    warn(tr("Export Reviewed CSV"));
    return false;
  }
  const QString path = m_model->exportPath();
  m_summary->setText(tr("Written: %1").arg(QDir::toNativeSeparators(path)));
  Q_EMIT exported(path);
  return true;
}

void ReviewDialog::warn(const QString& title) {
  if (!m_messageBoxes) return;
  auto* box = new QMessageBox(QMessageBox::Warning, title, m_lastError, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();  // no nested event loop
}

void ReviewDialog::updateSummary() {
  m_export->setEnabled(m_model->rowCount() > 0);
  m_summary->setText(tr("%1 of %n face(s) shown, %2 reviewed", nullptr, m_model->rowCount())
                         .arg(m_filter->rowCount())
                         .arg(m_model->reviewedCount()));
}

}  // namespace microfer::gui
