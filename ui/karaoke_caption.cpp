#include "ui/karaoke_caption.h"

#include <QFontMetrics>
#include <QPainter>

namespace loctex::ui {

KaraokeCaption::KaraokeCaption(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(48);
  QFont bigger = font();
  bigger.setPointSizeF(bigger.pointSizeF() * 1.4);  // read from a distance while pointing
  setFont(bigger);
}

void KaraokeCaption::setWords(const QStringList& words) {
  m_words = words;
  m_current = -1;
  update();
}

void KaraokeCaption::setCurrent(int index) {
  if (index == m_current) return;
  m_current = index;
  update();
}

void KaraokeCaption::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  const QFontMetrics metrics(font());
  const int margin = 8, space = metrics.horizontalAdvance(' ');
  int x = margin, y = margin + metrics.ascent();
  for (int i = 0; i < m_words.size(); ++i) {
    const int w = metrics.horizontalAdvance(m_words[i]);
    if (x > margin && x + w > width() - margin) {  // wrap
      x = margin;
      y += metrics.lineSpacing();
    }
    if (i == m_current) {
      painter.fillRect(QRect(x - 3, y - metrics.ascent() - 2, w + 6, metrics.height() + 4),
                       palette().highlight());
      painter.setPen(palette().highlightedText().color());
    } else {
      painter.setPen(m_current >= 0 && i < m_current ? palette().placeholderText().color()
                                                     : palette().text().color());
    }
    painter.drawText(x, y, m_words[i]);
    x += w + space;
  }
}

}  // namespace loctex::ui
