#include "ui/trace_canvas.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace loctex::ui {

TraceCanvas::TraceCanvas(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);  // moves without a button pressed are the trace
  setAttribute(Qt::WA_OpaquePaintEvent);
  setMinimumSize(160, 120);
}

void TraceCanvas::setImage(const QImage& image) {
  m_image = image;
  update();
}

void TraceCanvas::setBand(double band) {
  m_band = std::max(0.0, band);
  update();
}

QSize TraceCanvas::sizeHint() const {
  if (m_image.isNull()) return {640, 480};
  const double scale = 1 + 2 * m_band;
  return QSize(static_cast<int>(m_image.width() * scale), static_cast<int>(m_image.height() * scale));
}

QRectF TraceCanvas::imageRect() const {
  const double w = m_image.isNull() ? 4.0 : m_image.width();
  const double h = m_image.isNull() ? 3.0 : m_image.height();
  const double outer_w = w * (1 + 2 * m_band), outer_h = h * (1 + 2 * m_band);
  const double scale = std::min(width() / outer_w, height() / outer_h);
  const QSizeF size(w * scale * m_zoom, h * scale * m_zoom);
  return QRectF(QPointF((width() - size.width()) / 2, (height() - size.height()) / 2) + m_pan, size);
}

void TraceCanvas::zoomAt(double factor, const QPointF& widget_pos) {
  const QPointF fixed = toImage(widget_pos);
  m_zoom = std::clamp(m_zoom * factor, 1.0, kMaxZoom);
  if (m_zoom == 1.0) {
    m_pan = {};
  } else {
    // Pan so that the image point under widget_pos stays there.
    const QPointF now = toWidget(fixed);
    m_pan += widget_pos - now;
  }
  update();
}

void TraceCanvas::zoomToFit() {
  m_zoom = 1.0;
  m_pan = {};
  update();
}

void TraceCanvas::panBy(const QPointF& delta) {
  if (m_zoom == 1.0) return;  // fitted: nothing hidden to pan to
  m_pan += delta;
  update();
}

void TraceCanvas::wheelEvent(QWheelEvent* event) {
  if (!(event->modifiers() & Qt::ControlModifier)) return QWidget::wheelEvent(event);
  const double steps = event->angleDelta().y() / 120.0;  // one notch = 120
  zoomAt(std::pow(1.25, steps), event->position());
  event->accept();
}

void TraceCanvas::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::MiddleButton) m_pan_anchor = event->position();
  QWidget::mousePressEvent(event);
}

void TraceCanvas::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() == Qt::MiddleButton) m_pan_anchor.reset();
  QWidget::mouseReleaseEvent(event);
}

QPointF TraceCanvas::toImage(const QPointF& widget_pos) const {
  const QRectF r = imageRect();
  return {(widget_pos.x() - r.left()) / r.width(), (widget_pos.y() - r.top()) / r.height()};
}

QPointF TraceCanvas::toWidget(const QPointF& image_pos) const {
  const QRectF r = imageRect();
  return {r.left() + image_pos.x() * r.width(), r.top() + image_pos.y() * r.height()};
}

void TraceCanvas::setTrace(const std::vector<core::TraceSegment>* segments, double now, double tail_seconds) {
  m_segments = segments;
  m_now = now;
  m_tail = std::max(0.05, tail_seconds);
  update();
}

void TraceCanvas::setWordFocus(std::vector<double> heatmap, int grid,
                               std::vector<core::TracePoint> word_trace) {
  m_heatmap = std::move(heatmap);
  m_word_trace = std::move(word_trace);
  m_heat_image = QImage();
  if (!m_heatmap.empty() && grid > 0 && m_heatmap.size() == static_cast<std::size_t>(grid) * grid) {
    // Heat as the opacity of one warm colour, scaled to the map's peak;
    // drawn smoothly scaled over the image.
    const double peak = *std::max_element(m_heatmap.begin(), m_heatmap.end());
    m_heat_image = QImage(grid, grid, QImage::Format_ARGB32_Premultiplied);
    for (int y = 0; y < grid; ++y)
      for (int x = 0; x < grid; ++x) {
        const double v = peak > 0 ? m_heatmap[static_cast<std::size_t>(y * grid + x)] / peak : 0.0;
        const int a = static_cast<int>(std::lround(180 * v));
        m_heat_image.setPixel(x, y, qPremultiply(qRgba(255, 64, 0, a)));
      }
  }
  update();
}

void TraceCanvas::setPointer(std::optional<QPointF> image_pos) {
  m_pointer = image_pos;
  update();
}

void TraceCanvas::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().window());
  painter.setRenderHint(QPainter::Antialiasing);
  const QRectF r = imageRect();
  const QRectF band =
      r.adjusted(-m_band * r.width(), -m_band * r.height(), m_band * r.width(), m_band * r.height());
  painter.fillRect(band, palette().base());
  if (!m_image.isNull()) painter.drawImage(r, m_image);
  painter.setPen(QPen(palette().mid().color(), 1, Qt::DashLine));
  painter.drawRect(band);
  if (!m_heat_image.isNull()) {
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    painter.drawImage(r, m_heat_image);
  }
  // The fading tail: each stroke between two samples, opaque for the newest
  // and transparent for those `m_tail` seconds old.
  const QColor colour(255, 196, 0);
  if (m_segments) {
    for (const auto& segment : *m_segments) {
      for (std::size_t i = 1; i < segment.size(); ++i) {
        const double age = m_now - segment[i].t;
        if (age > m_tail || age < 0) continue;  // a replay shows nothing yet to come
        QColor c = colour;
        c.setAlphaF(static_cast<float>(std::clamp(1.0 - age / m_tail, 0.0, 1.0)));
        painter.setPen(QPen(c, 3, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(toWidget({segment[i - 1].x, segment[i - 1].y}),
                         toWidget({segment[i].x, segment[i].y}));
      }
    }
  }
  if (m_word_trace.size() > 1) {  // the focused word's part of the trace
    painter.setPen(QPen(QColor(0, 120, 255), 3, Qt::SolidLine, Qt::RoundCap));
    for (std::size_t i = 1; i < m_word_trace.size(); ++i)
      painter.drawLine(toWidget({m_word_trace[i - 1].x, m_word_trace[i - 1].y}),
                       toWidget({m_word_trace[i].x, m_word_trace[i].y}));
  }
  if (m_pointer) {
    painter.setPen(QPen(Qt::black, 2));
    painter.setBrush(colour);
    painter.drawEllipse(toWidget(*m_pointer), 7, 7);
  }
}

void TraceCanvas::mouseMoveEvent(QMouseEvent* event) {
  if (m_pan_anchor) {
    panBy(event->position() - *m_pan_anchor);
    m_pan_anchor = event->position();
  }
  Q_EMIT pointerMoved(toImage(event->position()));
}

void TraceCanvas::leaveEvent(QEvent*) { Q_EMIT pointerLeft(); }

}  // namespace loctex::ui
