#include "ui/tap_along.h"

#include <QKeyEvent>
#include <QVBoxLayout>

#include <algorithm>

#include "align/alignment_record.h"
#include "ui/audio_playback.h"
#include "ui/karaoke_caption.h"
#include "ui/word_timeline.h"

namespace loctex::ui {

TapAlong::TapAlong(QWidget* parent)
    : QWidget(parent), m_words(new KaraokeCaption), m_timeline(new WordTimeline), m_hint(new QLabel) {
  setObjectName("tap-along");
  setFocusPolicy(Qt::StrongFocus);
  m_words->setFocusProxy(this);
  m_hint->setWordWrap(true);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_hint);
  layout->addWidget(m_words, 1);
  m_timeline->setObjectName("tap-timeline");
  m_timeline->setMinimumHeight(40);
  layout->addWidget(m_timeline);
  m_timer.setInterval(33);
  connect(&m_timer, &QTimer::timeout, this, &TapAlong::follow);
  connect(m_words, &KaraokeCaption::wordClicked, this, &TapAlong::chooseWord);
  connect(m_timeline, &WordTimeline::wordPicked, this, &TapAlong::chooseWord);
  // Dragging a word's edge on the timeline places it there.
  connect(m_timeline, &WordTimeline::spanEdited, this, [this](int index, double start, double end) {
    if (!m_alignment || index < 0 || index >= static_cast<int>(m_alignment->size())) return;
    m_alignment->place(static_cast<std::size_t>(index), start, end);
    m_taps.push_back(index);  // an edit by hand, as a tap is: Backspace takes it back
    updateFlags();
    refresh();
    Q_EMIT alignmentChanged();
  });
}

void TapAlong::begin(std::vector<std::string> words, double duration, AudioPlayback* playback) {
  QStringList shown;
  for (const auto& w : words) shown << QString::fromStdString(w);
  m_alignment.emplace(std::move(words), duration);
  m_playback = playback;
  m_cursor = 0;
  m_taps.clear();
  m_aligning = Aligning::no;
  m_found.assign(m_alignment->size(), std::nullopt);
  m_flagged.clear();
  m_applied.reset();
  m_words->setWords(shown);
  m_words->setFlagged({});
  m_timeline->setFlagged({});
  m_timeline->setVoice(playback ? playback->clip() : core::AudioClip{});
  m_timer.start();
  refresh();
}

void TapAlong::end() {
  m_timer.stop();
  m_alignment.reset();
  m_playback = nullptr;
  m_timed.clear();
  m_applied.reset();
  m_words->setWords({});
  m_timeline->setWords({}, 0, 1);
  m_timeline->setVoice({});
}

void TapAlong::setAligning() {
  m_aligning = Aligning::running;
  refresh();
}

void TapAlong::applyAlignment(const align::Alignment& alignment) {
  if (!m_alignment || alignment.words.size() != m_alignment->size()) return;
  m_aligning = Aligning::done;
  m_applied = alignment;
  // Words tapped by hand before the alignment landed keep their taps: they
  // are tapped again, in order, after the found words are placed.
  std::vector<std::pair<std::size_t, double>> by_hand;
  for (const int i : m_taps)
    if (const auto t = m_alignment->tapped(static_cast<std::size_t>(i))) by_hand.emplace_back(i, *t);
  const auto is_by_hand = [&](std::size_t i) {
    return std::any_of(by_hand.begin(), by_hand.end(), [i](const auto& tap) { return tap.first == i; });
  };
  for (std::size_t i = 0; i < alignment.words.size(); ++i) {
    const auto& w = alignment.words[i];
    if (!w.aligned) continue;
    m_found[i] = std::pair{w.start, w.end};
    if (!is_by_hand(i)) m_alignment->place(i, w.start, w.end);
  }
  for (const auto& [i, t] : by_hand) m_alignment->tap(i, t);
  updateFlags();
  m_cursor = nextFlagged(-1);
  refresh();
  Q_EMIT alignmentChanged();
}

void TapAlong::setAlignmentFailed(const QString& reason) {
  m_aligning = Aligning::failed;
  m_alignment_failure = reason;
  refresh();
}

std::optional<nlohmann::ordered_json> TapAlong::alignmentRecord() const {
  if (!m_applied) return std::nullopt;
  auto record = align::alignment_json(*m_applied);
  const auto words = m_alignment->timed_words();
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (byHand(i, words))
      align::mark_corrected(record, i);
    else if (displaced(i))
      align::mark_displaced(record, i);
  }
  return record;
}

bool TapAlong::byHand(std::size_t i, const std::vector<core::TimedUtterance>& words) const {
  if (!m_alignment->tapped(i)) return false;
  return !m_found[i] || words[i].start_time != m_found[i]->first || words[i].end_time != m_found[i]->second;
}

bool TapAlong::displaced(std::size_t i) const { return m_found[i] && !m_alignment->tapped(i); }

void TapAlong::updateFlags() {
  if (!m_applied) return;
  const auto words = m_alignment->timed_words();
  m_flagged.clear();
  for (std::size_t i = 0; i < words.size(); ++i)
    m_flagged << (!byHand(i, words) && (displaced(i) || !m_found[i] || m_applied->words[i].needs_check()));
}

int TapAlong::nextFlagged(int index) const {
  for (int i = index + 1; i < m_flagged.size(); ++i)
    if (m_flagged[i]) return i;
  return static_cast<int>(m_alignment ? m_alignment->size() : 0);
}

void TapAlong::tap() {
  if (!m_alignment || !m_playback || m_cursor >= static_cast<int>(m_alignment->size())) return;
  m_alignment->tap(static_cast<std::size_t>(m_cursor), m_playback->position());
  m_taps.push_back(m_cursor);
  updateFlags();
  // After an alignment only the flagged words wait for a tap.
  m_cursor = m_aligning == Aligning::done ? nextFlagged(m_cursor) : m_cursor + 1;
  refresh();
  Q_EMIT alignmentChanged();
}

void TapAlong::untap() {
  if (!m_alignment || m_taps.empty()) return;
  m_cursor = m_taps.back();
  m_taps.pop_back();
  const auto index = static_cast<std::size_t>(m_cursor);
  // Back to where alignment put it, if it did, flagged again.
  if (m_found[index])
    m_alignment->place(index, m_found[index]->first, m_found[index]->second);
  else
    m_alignment->untap(index);
  updateFlags();  // flagged again if alignment doubted it
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

void TapAlong::follow() {
  if (!m_playback) return;
  // The word being heard, by the times so far.
  const double t = m_playback->position();
  int heard = -1;
  for (std::size_t i = 0; i < m_timed.size(); ++i)
    if (t >= m_timed[i].start_time && t < m_timed[i].end_time) heard = static_cast<int>(i);
  m_words->setCurrent(heard);
  m_timeline->setPosition(t);
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
  m_words->setFlagged(m_flagged);
  m_timeline->setWords(words, 0, m_alignment->duration());
  m_timeline->setFlagged(std::vector<bool>(m_flagged.cbegin(), m_flagged.cend()));
  m_timed = words;
  follow();
  const QString next =
      m_cursor < static_cast<int>(words.size())
          ? tr("Space when you hear \"%1\"").arg(QString::fromStdString(words[m_cursor].utterance))
          : (m_aligning == Aligning::done ? tr("Every word is placed") : tr("Every word is tapped"));
  QString state;
  switch (m_aligning) {
    case Aligning::running:
      state = tr("Aligning your words to your voice\u2026 \u00b7 ");
      break;
    case Aligning::done: {
      const auto to_check = std::count(m_flagged.begin(), m_flagged.end(), true);
      state = to_check == 0 ? tr("Aligned to your voice \u00b7 ")
                            : tr("Aligned to your voice: %1 to check (amber) \u00b7 ").arg(to_check);
      break;
    }
    case Aligning::failed:
      state = tr("Automatic alignment failed (%1): tap along \u00b7 ").arg(m_alignment_failure);
      break;
    case Aligning::no:
      break;
  }
  m_hint->setText(tr("%1%2 \u00b7 %3 of %4 %5 \u00b7 click a word to tap it again \u00b7 Backspace takes a "
                     "tap back \u00b7 Ctrl+Return saves")
                      .arg(state)
                      .arg(next)
                      .arg(tapped_count)
                      .arg(words.size())
                      .arg(m_aligning == Aligning::done ? tr("placed") : tr("tapped")));
}

}  // namespace loctex::ui
