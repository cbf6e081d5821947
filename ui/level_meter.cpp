#include "ui/level_meter.h"

#include <QPainter>
#include <QPalette>

#include <algorithm>
#include <cmath>

namespace loctex::ui {

LevelMeter::LevelMeter(QWidget* parent) : QWidget(parent) {
  setObjectName("level-meter");
  setToolTip(tr("Microphone level"));
  m_since.start();
  m_redraw.setInterval(33);
  connect(&m_redraw, &QTimer::timeout, this, [this] {
    if (fill() <= 0) m_redraw.stop();
    update();
  });
}

double LevelMeter::fill() const {
  const double fallen = m_db - kFallDbPerSecond * static_cast<double>(m_since.elapsed()) / 1000.0;
  return std::clamp((fallen - kFloorDb) / -kFloorDb, 0.0, 1.0);
}

void LevelMeter::setPeak(double peak) {
  const double db = peak > 0 ? std::max(kFloorDb, 20 * std::log10(peak)) : kFloorDb;
  const double shown = kFloorDb + fill() * -kFloorDb;
  if (db >= shown) {  // rises at once; otherwise keeps falling from where it is
    m_db = db;
    m_since.restart();
  }
  if (!m_redraw.isActive()) m_redraw.start();
  update();
}

void LevelMeter::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  const QRect frame = rect().adjusted(0, 0, -1, -1);
  painter.setPen(palette().color(QPalette::Mid));
  painter.setBrush(palette().color(QPalette::Base));
  painter.drawRect(frame);
  const double f = fill();
  // Green for speech, amber near the top, red at clipping.
  const QColor colour = f > 0.95 ? QColor(220, 50, 40) : f > 0.8 ? QColor(230, 170, 30) : QColor(60, 170, 80);
  painter.fillRect(
      QRect(frame.left() + 1, frame.top() + 1, static_cast<int>((frame.width() - 1) * f), frame.height() - 1),
      colour);
}

}  // namespace loctex::ui
