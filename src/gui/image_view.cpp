#include "image_view.hpp"

#include <QPainter>

namespace microfer::gui {

ImageView::ImageView(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setMinimumSize(160, 120);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setAccessibleName(tr("Image"));
}

void ImageView::setImage(const QImage& image) {
  m_image = image;
  update();
}

void ImageView::setPlaceholderText(const QString& text) {
  m_placeholder = text;
  if (m_image.isNull()) setAccessibleDescription(text);
  update();
}

void ImageView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().color(QPalette::Dark));
  if (m_image.isNull()) {
    painter.setPen(palette().color(QPalette::BrightText));
    painter.drawText(rect().adjusted(24, 24, -24, -24), Qt::AlignCenter | Qt::TextWordWrap,
                     m_placeholder);
    return;
  }
  const QSize fitted = m_image.size().scaled(size(), Qt::KeepAspectRatio);
  const QRect target(QPoint((width() - fitted.width()) / 2, (height() - fitted.height()) / 2),
                     fitted);
  painter.setRenderHint(QPainter::SmoothPixmapTransform);
  painter.drawImage(target, m_image);
}

}  // namespace microfer::gui
