#pragma once
// Speak and Point's word times by tap-along (core::TapAlignment): the
// recording plays back, the transcript's words are shown, and the annotator
// presses Space as each word is heard. The word being heard (by the times so
// far) is highlighted and tapped words are underlined. Clicking a word makes
// it the next to tap and replays from a moment before it, so any word can be
// tapped again; Backspace takes back the last tap.

#include <QLabel>
#include <QTimer>
#include <QWidget>

#include <optional>
#include <string>
#include <vector>

#include "core/narrative.h"
#include "core/tap_alignment.h"

namespace loctex::ui {

class AudioPlayback;
class KaraokeCaption;

class TapAlong : public QWidget {
  Q_OBJECT

 public:
  // How far before a clicked word the replay starts, so it is heard coming.
  static constexpr double kLeadIn = 1.0;

  explicit TapAlong(QWidget* parent = nullptr);

  // Starts tapping `words` over a recording `duration` seconds long, timed
  // by `playback`'s position (which must outlive the tapping).
  void begin(std::vector<std::string> words, double duration, AudioPlayback* playback);
  void end();
  bool active() const { return m_alignment.has_value(); }

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

 Q_SIGNALS:
  void alignmentChanged();

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void refresh();

  KaraokeCaption* m_words;
  QLabel* m_hint;
  QTimer m_timer;
  AudioPlayback* m_playback = nullptr;
  std::optional<core::TapAlignment> m_alignment;
  int m_cursor = 0;
};

}  // namespace loctex::ui
