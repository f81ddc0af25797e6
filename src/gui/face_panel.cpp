#include "face_panel.hpp"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QPainter>
#include <QVBoxLayout>
#include <numeric>

#include "microfer/output/annotator.hpp"

namespace microfer::gui {

QColor expressionColor(int label) {
  if (label < 0 || label >= kNumEmotions) return QColor(Qt::gray);
  const cv::Scalar bgr = emotionColor(label);
  return QColor(static_cast<int>(bgr[2]), static_cast<int>(bgr[1]), static_cast<int>(bgr[0]));
}

QString expressionName(int label) {
  if (label < 0 || label >= kNumEmotions) return QStringLiteral("?");
  return QString::fromStdString(emotionNames()[static_cast<size_t>(label)]);
}

QString expressionDisplayName(int label) {
  // FER2013's order, as emotionNames(); a test checks that the English texts are the core's.
  static const char* const kNames[kNumEmotions] = {
      QT_TRANSLATE_NOOP("Expression", "angry"),  QT_TRANSLATE_NOOP("Expression", "disgust"),
      QT_TRANSLATE_NOOP("Expression", "fear"),   QT_TRANSLATE_NOOP("Expression", "happy"),
      QT_TRANSLATE_NOOP("Expression", "sad"),    QT_TRANSLATE_NOOP("Expression", "surprise"),
      QT_TRANSLATE_NOOP("Expression", "neutral")};
  if (label < 0 || label >= kNumEmotions) return QStringLiteral("?");
  return QCoreApplication::translate("Expression", kNames[label]);
}

QString expressionPercent(int label, float probability) {
  return QStringLiteral("%1 %2%").arg(expressionDisplayName(label)).arg(qRound(probability * 100));
}

ProbabilityChart::ProbabilityChart(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setAccessibleName(tr("Expression probabilities"));
  setProbabilities(m_probs, m_label);
}

QSize ProbabilityChart::sizeHint() const {
  return {200, kNumEmotions * (fontMetrics().height() + 2) + 2};
}

void ProbabilityChart::setProbabilities(const std::array<float, kNumEmotions>& probs, int label) {
  m_probs = probs;
  m_label = label;
  // A screen reader cannot see the bars: the description reads them out, most likely first.
  std::array<int, kNumEmotions> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return m_probs[static_cast<size_t>(a)] > m_probs[static_cast<size_t>(b)];
  });
  QStringList parts;
  for (int c : order) parts << expressionPercent(c, m_probs[static_cast<size_t>(c)]);
  setAccessibleDescription(parts.join(tr(", ", "between the figures of the bars")));
  update();
}

void ProbabilityChart::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  const QFontMetrics fm = fontMetrics();
  const int rowH = fm.height() + 2;
  int nameW = 0;
  for (int i = 0; i < kNumEmotions; ++i)
    nameW = std::max(nameW, fm.horizontalAdvance(expressionDisplayName(i)));
  const int valueW = fm.horizontalAdvance(QStringLiteral("100%"));
  const int barX = nameW + 6;
  const int barW = std::max(10, width() - barX - valueW - 6);
  for (int i = 0; i < kNumEmotions; ++i) {
    const int y = i * rowH;
    const float p = std::clamp(m_probs[static_cast<size_t>(i)], 0.f, 1.f);
    QFont f = font();
    f.setBold(i == m_label);
    painter.setFont(f);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRect(0, y, nameW, rowH), Qt::AlignRight | Qt::AlignVCenter,
                     expressionDisplayName(i));
    painter.fillRect(QRect(barX, y + 3, barW, rowH - 6), palette().color(QPalette::Midlight));
    painter.fillRect(QRect(barX, y + 3, qRound(barW * p), rowH - 6), expressionColor(i));
    painter.drawText(QRect(barX + barW + 4, y, valueW + 2, rowH), Qt::AlignRight | Qt::AlignVCenter,
                     QStringLiteral("%1%").arg(qRound(p * 100)));
  }
}

FaceEntry::FaceEntry(QWidget* parent) : QFrame(parent) {
  setFrameShape(QFrame::StyledPanel);
  m_crop = new QLabel(this);
  m_crop->setFixedSize(72, 72);
  m_crop->setScaledContents(true);
  m_swatch = new QLabel(this);
  m_swatch->setFixedSize(14, 14);
  m_title = new QLabel(this);
  QFont f = m_title->font();
  f.setBold(true);
  m_title->setFont(f);
  m_title->setWordWrap(true);  // "Face 12 (track 123456)" in a narrow panel
  // A kept label's age, on a line of its own that a followed face always has: in the title
  // it made the entry one line taller on the frames where it appeared.
  m_age = new QLabel(this);
  m_age->setFixedHeight(m_age->fontMetrics().lineSpacing());
  m_age->setStyleSheet(QStringLiteral("color:#808080;"));
  m_age->hide();
  // The figures get a line of their own (wrapped, never cut off by a long title).
  m_verdict = new QLabel(this);
  m_verdict->setWordWrap(true);
  m_verdict->setFont(f);
  m_chart = new ProbabilityChart(this);

  auto* titleRow = new QHBoxLayout;
  titleRow->addWidget(m_swatch);
  titleRow->addWidget(m_title, 1);
  auto* right = new QVBoxLayout;
  right->addLayout(titleRow);
  right->addWidget(m_age);
  right->addWidget(m_verdict);
  right->addWidget(m_chart);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(m_crop, 0, Qt::AlignTop);
  layout->addLayout(right, 1);
}

void FaceEntry::setFace(int number, const FaceView& face) {
  m_label = face.label;
  m_crop->setPixmap(QPixmap::fromImage(face.crop));
  const QColor colour = face.uncertain ? QColor(128, 128, 128) : expressionColor(face.label);
  m_swatch->setStyleSheet(QStringLiteral("background:%1;border-radius:7px;").arg(colour.name()));
  m_title->setText(face.trackId >= 0 ? tr("Face %1 (track %2)").arg(number).arg(face.trackId)
                                      : tr("Face %1").arg(number));
  // A followed face keeps its last label for a frame or two at the live view's cheapest
  // levels; the panel says so rather than presenting it as this frame's reading.
  // Followed faces keep the line (no jump as the age comes and goes); an unfollowed face's
  // label can be kept too (its box matched the last frame's), and then says so.
  // (Two whole strings rather than tr()'s %n: no English translation file ships that would
  // make "frame(s)" plural.)
  m_age->setVisible(face.trackId >= 0 || face.predictionAge > 0);
  m_age->setText(face.predictionAge <= 0  ? QString()
                 : face.predictionAge == 1 ? tr("label 1 frame old")
                                           : tr("label %1 frames old").arg(face.predictionAge));
  const auto percent = [&](int c) {
    return expressionPercent(c, face.probs[static_cast<size_t>(c)]);
  };
  if (face.uncertain) {
    // The two most likely expressions, both named: the model is not sure between them.
    int second = -1;
    for (int c = 0; c < kNumEmotions; ++c)
      if (c != face.label &&
          (second < 0 || face.probs[static_cast<size_t>(c)] > face.probs[static_cast<size_t>(second)]))
        second = c;
    m_verdict->setText(tr("uncertain: %1 or %2").arg(percent(face.label), percent(second)));
    m_verdict->setStyleSheet(QStringLiteral("color:#808080;"));
  } else {
    m_verdict->setText(face.label >= 0 ? percent(face.label) : QStringLiteral("?"));
    m_verdict->setStyleSheet(QString());
  }
  m_chart->setProbabilities(face.probs, face.label);
  setAccessibleName(m_title->text());
  setAccessibleDescription(m_age->text().isEmpty()
                               ? m_verdict->text()
                               : tr("%1; %2", "a face's verdict; the age of its label")
                                     .arg(m_verdict->text(), m_age->text()));
}

FacePanel::FacePanel(QWidget* parent) : QScrollArea(parent) {
  setWidgetResizable(true);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_content = new QWidget;
  auto* layout = new QVBoxLayout(m_content);
  m_empty = new QLabel(tr("No faces"), m_content);
  m_empty->setAlignment(Qt::AlignCenter);
  layout->addWidget(m_empty);
  layout->addStretch(1);
  setWidget(m_content);
  setMinimumWidth(300);
  setAccessibleName(tr("Faces"));
  setAccessibleDescription(m_empty->text());
}

void FacePanel::setFaces(const QVector<FaceView>& faces) {
  auto* layout = static_cast<QVBoxLayout*>(m_content->layout());
  while (m_entries.size() < faces.size()) {
    auto* entry = new FaceEntry(m_content);
    // Before the stretch, so entries stay packed at the top.
    layout->insertWidget(layout->count() - 1, entry);
    m_entries.push_back(entry);
  }
  for (int i = 0; i < m_entries.size(); ++i) {
    if (i < faces.size()) m_entries[i]->setFace(i + 1, faces[i]);
    m_entries[i]->setVisible(i < faces.size());
  }
  m_shown = static_cast<int>(faces.size());
  m_empty->setVisible(faces.isEmpty());
  setAccessibleDescription(faces.isEmpty() ? m_empty->text()
                                           : tr("%n face(s): label, confidence and the "
                                                "probability of each expression",
                                                nullptr, m_shown));
}

QStringList FacePanel::labels() const {
  QStringList out;
  for (int i = 0; i < m_shown; ++i) out << expressionName(m_entries[i]->label());
  return out;
}

}  // namespace microfer::gui
