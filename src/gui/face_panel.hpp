// The side panel: one entry per face with its aligned crop, label, confidence and a bar
// chart of the 7 probabilities. Expression names are shown in the interface language; each
// part has an accessible name, and the chart's accessible description carries its figures.
#pragma once

#include <QFrame>
#include <QLabel>
#include <QScrollArea>
#include <QVector>
#include <array>

#include "gui_types.hpp"

namespace microfer::gui {

/// Horizontal bars, one per expression, in the annotator's colours. Its accessible
/// description reads the bars out, most likely first: "happy 72%, neutral 15%, ...".
class ProbabilityChart : public QWidget {
  Q_OBJECT

 public:
  explicit ProbabilityChart(QWidget* parent = nullptr);
  void setProbabilities(const std::array<float, kNumEmotions>& probs, int label);
  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  std::array<float, kNumEmotions> m_probs{};
  int m_label = -1;
};

class FaceEntry : public QFrame {
  Q_OBJECT

 public:
  explicit FaceEntry(QWidget* parent = nullptr);
  void setFace(int number, const FaceView& face);
  int label() const { return m_label; }
  QString title() const { return m_title->text(); }
  /// "label 2 frames old" for a followed face whose label was kept from an earlier frame; ""
  /// when it is this frame's own.
  QString age() const { return m_age->text(); }
  /// "surprise 37%", or for an uncertain face "uncertain: happy 38% or neutral 31%".
  QString verdict() const { return m_verdict->text(); }

 private:
  QLabel* m_crop;
  QLabel* m_swatch;
  QLabel* m_title;
  QLabel* m_age;
  QLabel* m_verdict;
  ProbabilityChart* m_chart;
  int m_label = -1;
};

class FacePanel : public QScrollArea {
  Q_OBJECT

 public:
  explicit FacePanel(QWidget* parent = nullptr);
  /// Shows exactly these faces; entries are reused so a live stream does not rebuild
  /// widgets every frame.
  void setFaces(const QVector<FaceView>& faces);
  int faceCount() const { return m_shown; }
  /// Expression names of the faces shown, in panel order: the core's English names, as in
  /// results.csv, whatever the interface language.
  QStringList labels() const;
  /// The entry of the i-th face shown (0-based), or nullptr.
  const FaceEntry* entry(int i) const { return i >= 0 && i < m_shown ? m_entries[i] : nullptr; }

 private:
  QWidget* m_content;
  QLabel* m_empty;
  QVector<FaceEntry*> m_entries;
  int m_shown = 0;
};

/// The colour used for an expression everywhere (the annotator's BGR colour as QColor).
QColor expressionColor(int label);
/// "happy" etc. (the core's English name, as in the CSV/JSONL files), or "?" for an invalid
/// index.
QString expressionName(int label);
/// The name the window shows: expressionName() in the interface language ("高兴" in Chinese).
QString expressionDisplayName(int label);
/// "happy 72%": a displayed name and its probability in whole percent.
QString expressionPercent(int label, float probability);

}  // namespace microfer::gui
