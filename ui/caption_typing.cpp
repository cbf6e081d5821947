#include "ui/caption_typing.h"

#include <QKeyEvent>
#include <QPainter>

namespace loctex::ui {

CaptionTyping::CaptionTyping(QWidget* parent) : QWidget(parent) {
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_InputMethodEnabled);
  setMinimumHeight(48);
}

void CaptionTyping::begin(Clock clock) { begin(std::move(clock), core::TypedCaption()); }

void CaptionTyping::begin(Clock clock, core::TypedCaption so_far) {
  m_clock = std::move(clock);
  m_caption = std::move(so_far);
  update();
  Q_EMIT captionChanged();
}

void CaptionTyping::end() {
  m_clock = nullptr;
  update();
}

void CaptionTyping::keyPressEvent(QKeyEvent* event) {
  if (!m_clock) return QWidget::keyPressEvent(event);
  if (event->key() == Qt::Key_Backspace) {
    if (m_caption.backspace()) Q_EMIT captionChanged();
    update();
    return;
  }
  QString text = event->text();
  if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) text = QStringLiteral(" ");
  // Shortcuts (Ctrl, Alt) and keys without text are the window's, not the caption's.
  const bool command = event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::MetaModifier);
  if (command || text.isEmpty() || !(text.at(0).isPrint() || text.at(0).isSpace()))
    return QWidget::keyPressEvent(event);
  m_caption.type(text.toStdString(), m_clock());
  update();
  Q_EMIT captionChanged();
}

void CaptionTyping::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  painter.setPen(QPen(hasFocus() ? palette().highlight().color() : palette().mid().color(), 1));
  painter.drawRect(rect().adjusted(0, 0, -1, -1));
  QString text = QString::fromStdString(m_caption.caption());
  if (active())
    text += QChar(0x258F);  // a cursor at the end, the only place typing goes
  else if (text.isEmpty())
    text = tr("Start Type and Point (Ctrl+T), then type here while pointing");
  painter.setPen(active() || !m_caption.empty() ? palette().text().color()
                                                : palette().placeholderText().color());
  painter.drawText(rect().adjusted(8, 6, -8, -6), Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, text);
}

}  // namespace loctex::ui
