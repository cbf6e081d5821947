#pragma once
// A timeline of words: each word a block from its start to its end across
// the narrative's span over the voice's waveform, if there is one, the
// replay position a line. Review and tap-along show it. A click on a
// block picks the word; dragging a block's left or right edge re-times that
// word (the edit is applied on release, as one undoable step).

#include <QWidget>

#include <optional>
#include <vector>

#include "core/audio_file.h"
#include "core/narrative.h"

namespace loctex::ui {

class WordTimeline : public QWidget {
  Q_OBJECT

 public:
  // Slices of the waveform worth computing for a timeline (a few per
  // pixel of a wide window).
  static constexpr std::size_t kWaveformSlices = 2000;

  explicit WordTimeline(QWidget* parent = nullptr);

  // The words (one per utterance, as core::word_level gives them) over [start, end].
  void setWords(const std::vector<core::TimedUtterance>& words, double start, double end);
  void setPosition(double t);
  // The voice's waveform behind the words: its loudness in kWaveformSlices
  // slices (core::peak_envelope), from 0 on the words' clock (a narrative's
  // voice starts with its trace). An empty clip: none.
  void setVoice(const core::AudioClip& clip);
  // Words marked for checking, drawn amber; index by word.
  void setFlagged(std::vector<bool> flagged);
  const std::vector<bool>& flagged() const { return m_flagged; }
  const std::vector<float>& waveform() const { return m_waveform; }
  // Time and x in widget pixels, both ways.
  double timeAt(double x) const;
  double xAt(double t) const;
  QSize sizeHint() const override { return {480, 28}; }

 Q_SIGNALS:
  void wordPicked(int index);
  void spanEdited(int index, double start, double end);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;

 private:
  struct Drag {
    int word;
    bool left_edge;
  };
  std::vector<core::TimedUtterance> m_words;
  std::vector<float> m_waveform;
  double m_waveform_seconds = 0;
  std::vector<bool> m_flagged;
  double m_start = 0, m_end = 1, m_position = 0;
  std::optional<Drag> m_drag;
};

}  // namespace loctex::ui
