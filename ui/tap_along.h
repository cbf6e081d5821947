#pragma once
// Speak and Point's word times by tap-along (core::TapAlignment): the
// recording plays back, the transcript's words are shown, and the annotator
// presses Space as each word is heard. The word being heard (by the times so
// far) is highlighted and tapped words are underlined. Clicking a word makes
// it the next to tap and replays from a moment before it, so any word can be
// tapped again; Backspace takes back the last tap.
//
// Forced alignment (align/) places the words first: words it is sure of are
// placed with their found spans, doubtful and unaligned ones are flagged
// amber, and the cursor goes from one flagged word to the next, so Space
// corrects just those. A timeline under the words shows each word's span
// over the voice's waveform.

#include <QLabel>
#include <QTimer>
#include <QWidget>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "align/forced_aligner.h"
#include "core/narrative.h"
#include "core/tap_alignment.h"

namespace loctex::ui {

class AudioPlayback;
class KaraokeCaption;
class WordTimeline;

class TapAlong : public QWidget {
  Q_OBJECT

 public:
  // How far before a clicked word the replay starts, so it is heard coming.
  static constexpr double kLeadIn = 1.0;

  explicit TapAlong(QWidget* parent = nullptr);

  // Starts tapping `words` over a recording `duration` seconds long, timed
  // by `playback`'s position (which must outlive the tapping), its voice's
  // waveform on the timeline.
  void begin(std::vector<std::string> words, double duration, AudioPlayback* playback);
  void end();
  bool active() const { return m_alignment.has_value(); }

  // Alignment is under way: the hint says so; tapping goes on meanwhile.
  void setAligning();
  // Places the words as `alignment` found them (the same words, in order)
  // and flags those that need checking; words the annotator tapped since
  // tapping began keep their taps. The cursor goes to the first flagged word.
  void applyAlignment(const align::Alignment& alignment);
  // Alignment failed: the hint says why, and tapping goes on by hand.
  void setAlignmentFailed(const QString& reason);
  // Words flagged for checking, by index; empty before an alignment.
  const QList<bool>& flagged() const { return m_flagged; }
  // What the alignment found (align::alignment_json), as the words stand
  // now: a word whose time is the annotator's (tapped, or dragged off where
  // alignment put it) is marked corrected, a found word a hand tap pushed
  // out of order displaced; nullopt before an alignment landed.
  std::optional<nlohmann::ordered_json> alignmentRecord() const;

  // The word at the cursor starts at the playback position; the cursor
  // moves to the next word. What Space does.
  void tap();
  // Takes back the tap before the cursor and moves the cursor back to it.
  void untap();
  // Word `index` is the next to tap; playback goes back to kLeadIn before it.
  void chooseWord(int index);
  int cursor() const { return m_cursor; }
  std::vector<core::TimedUtterance> timedWords() const;
  KaraokeCaption* words() const { return m_words; }
  WordTimeline* timeline() const { return m_timeline; }

 Q_SIGNALS:
  void alignmentChanged();

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  // After a change of times, flags or taps: words, timeline and hint.
  void refresh();
  // On the timer: the word being heard and the position, nothing else, so
  // a drag on the timeline is not redrawn under the pointer.
  void follow();
  // The next flagged word after `index`, or the end.
  int nextFlagged(int index) const;
  // Word i's time is the annotator's: tapped, and not where alignment put it
  // (`words`: the current times).
  bool byHand(std::size_t i, const std::vector<core::TimedUtterance>& words) const;
  // Word i lost the time alignment found to a hand tap of another word.
  bool displaced(std::size_t i) const;
  // After an alignment: flags the words to check, from the words' state now
  // (doubted by the aligner, unaligned or displaced, and not timed by hand).
  void updateFlags();

  KaraokeCaption* m_words;
  WordTimeline* m_timeline;
  QLabel* m_hint;
  QTimer m_timer;
  AudioPlayback* m_playback = nullptr;
  std::optional<core::TapAlignment> m_alignment;
  int m_cursor = 0;
  std::vector<int> m_taps;  // words the annotator tapped, in order, for Backspace
  enum class Aligning { no, running, done, failed } m_aligning = Aligning::no;
  QString m_alignment_failure;
  // Per word, the span forced alignment found, to go back to when a tap
  // is taken back.
  std::vector<std::optional<std::pair<double, double>>> m_found;
  QList<bool> m_flagged;
  std::optional<align::Alignment> m_applied;  // the alignment placed, for its record
  std::vector<core::TimedUtterance> m_timed;  // the words' times as last refreshed
};

}  // namespace loctex::ui
