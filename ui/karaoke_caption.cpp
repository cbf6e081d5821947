#include "ui/karaoke_caption.h"

#include <QFontMetrics>
#include <QMouseEvent>
#include <QPainter>

#include "ui/flag_color.h"

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
  m_underlined.clear();
  layoutWords();
  update();
}

void KaraokeCaption::layoutWords() {
  m_rects.clear();
  const QFontMetrics metrics(font());
  const int margin = 8, space = metrics.horizontalAdvance(' ');
  int x = margin, y = margin;
  for (const QString& word : m_words) {
    const int w = metrics.horizontalAdvance(word);
    if (x > margin && x + w > width() - margin) {  // wrap
      x = margin;
      y += metrics.lineSpacing();
    }
    m_rects.append(QRect(x, y, w, metrics.height()));
    x += w + space;
  }
}

void KaraokeCaption::resizeEvent(QResizeEvent*) { layoutWords(); }

void KaraokeCaption::mousePressEvent(QMouseEvent* event) {
  for (int i = 0; i < m_rects.size(); ++i)
    if (m_rects[i].adjusted(-3, -2, 3, 2).contains(event->position().toPoint())) {
      Q_EMIT wordClicked(i);
      return;
    }
  QWidget::mousePressEvent(event);
}

void KaraokeCaption::setCurrent(int index) {
  if (index == m_current) return;
  m_current = index;
  update();
}

void KaraokeCaption::setUnderlined(const QList<bool>& underlined) {
  m_underlined = underlined;
  update();
}

void KaraokeCaption::setFlagged(const QList<bool>& flagged) {
  m_flagged = flagged;
  update();
}

void KaraokeCaption::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  const QFontMetrics metrics(font());
  for (int i = 0; i < m_words.size() && i < m_rects.size(); ++i) {
    const QRect r = m_rects[i];
    if (m_flagged.value(i) && i != m_current) painter.fillRect(r.adjusted(-3, -2, 3, 2), flag_color());
    if (i == m_current) {
      painter.fillRect(r.adjusted(-3, -2, 3, 2), palette().highlight());
      painter.setPen(palette().highlightedText().color());
    } else {
      painter.setPen(m_current >= 0 && i < m_current ? palette().placeholderText().color()
                                                     : palette().text().color());
    }
    painter.drawText(r.left(), r.top() + metrics.ascent(), m_words[i]);
    if (m_underlined.value(i)) painter.drawLine(r.left(), r.bottom(), r.right(), r.bottom());
  }
}

}  // namespace loctex::ui
