#include "ui/tap_along.h"

#include <QKeyEvent>
#include <QVBoxLayout>

#include <algorithm>

#include "ui/audio_playback.h"
#include "ui/karaoke_caption.h"

namespace loctex::ui {

TapAlong::TapAlong(QWidget* parent) : QWidget(parent), m_words(new KaraokeCaption), m_hint(new QLabel) {
  setObjectName("tap-along");
  setFocusPolicy(Qt::StrongFocus);
  m_words->setFocusProxy(this);
  m_hint->setWordWrap(true);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_hint);
  layout->addWidget(m_words, 1);
  m_timer.setInterval(33);
  connect(&m_timer, &QTimer::timeout, this, &TapAlong::refresh);
  connect(m_words, &KaraokeCaption::wordClicked, this, &TapAlong::chooseWord);
}

void TapAlong::begin(std::vector<std::string> words, double duration, AudioPlayback* playback) {
  QStringList shown;
  for (const auto& w : words) shown << QString::fromStdString(w);
  m_alignment.emplace(std::move(words), duration);
  m_playback = playback;
  m_cursor = 0;
  m_words->setWords(shown);
  m_timer.start();
  refresh();
}

void TapAlong::end() {
  m_timer.stop();
  m_alignment.reset();
  m_playback = nullptr;
  m_words->setWords({});
}

void TapAlong::tap() {
  if (!m_alignment || !m_playback || m_cursor >= static_cast<int>(m_alignment->size())) return;
  m_alignment->tap(static_cast<std::size_t>(m_cursor), m_playback->position());
  ++m_cursor;
  refresh();
  Q_EMIT alignmentChanged();
}

void TapAlong::untap() {
  if (!m_alignment || m_cursor == 0) return;
  --m_cursor;
  m_alignment->untap(static_cast<std::size_t>(m_cursor));
  refresh();
  Q_EMIT alignmentChanged();
}

void TapAlong::chooseWord(int index) {
  if (!m_alignment || index < 0 || index >= static_cast<int>(m_alignment->size())) return;
  m_cursor = index;
  if (m_playback) {
    const double start = timedWords()[static_cast<std::size_t>(index)].start_time;
    m_playback->play(std::max(0.0, start - kLeadIn));
  }
  setFocus();
  refresh();
}

std::vector<core::TimedUtterance> TapAlong::timedWords() const {
  return m_alignment ? m_alignment->timed_words() : std::vector<core::TimedUtterance>{};
}

void TapAlong::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat() && event->modifiers() == Qt::NoModifier) {
    tap();
  } else if (event->key() == Qt::Key_Backspace && event->modifiers() == Qt::NoModifier) {
    untap();
  } else {
    QWidget::keyPressEvent(event);
  }
}

void TapAlong::refresh() {
  if (!m_alignment) return;
  const auto words = m_alignment->timed_words();
  QList<bool> tapped;
  int tapped_count = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    tapped << m_alignment->tapped(i).has_value();
    tapped_count += tapped.back() ? 1 : 0;
  }
  m_words->setUnderlined(tapped);
  // The word being heard, by the times so far.
  int heard = -1;
  if (m_playback) {
    const double t = m_playback->position();
    for (std::size_t i = 0; i < words.size(); ++i)
      if (t >= words[i].start_time && t < words[i].end_time) heard = static_cast<int>(i);
  }
  m_words->setCurrent(heard);
  const QString next =
      m_cursor < static_cast<int>(words.size())
          ? tr("Space when you hear \"%1\"").arg(QString::fromStdString(words[m_cursor].utterance))
          : tr("Every word is tapped");
  m_hint->setText(tr("%1 \u00b7 %2 of %3 tapped \u00b7 click a word to tap it again \u00b7 Backspace takes a "
                     "tap back \u00b7 Ctrl+Return saves")
                      .arg(next)
                      .arg(tapped_count)
                      .arg(words.size()));
}

}  // namespace loctex::ui
