// The central view: one image scaled to fit, aspect ratio kept, centred. Its accessible
// description is the placeholder text until the window describes the picture it shows.
#pragma once

#include <QImage>
#include <QWidget>

namespace microfer::gui {

class ImageView : public QWidget {
  Q_OBJECT

 public:
  explicit ImageView(QWidget* parent = nullptr);
  void setImage(const QImage& image);
  const QImage& image() const { return m_image; }
  void setPlaceholderText(const QString& text);
  QSize sizeHint() const override { return {640, 480}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QImage m_image;
  QString m_placeholder;
};

}  // namespace microfer::gui
