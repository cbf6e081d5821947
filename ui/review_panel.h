#pragma once
// Review: replay a narrative on the canvas, the pointer moving along the
// trace and the word being said highlighted, its voice playing in step (the
// voice's time t is the trace's time t), with play and pause and a timeline
// to scrub; pick among the image's narratives; a comment for
// accepting or rejecting it (the window's actions, undoable).

#include <QElapsedTimer>
#include <QString>
#include <QTimer>
#include <QWidget>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "core/heatmap.h"
#include "core/narrative.h"
#include "core/replay.h"

class QComboBox;
class QLineEdit;
class QPushButton;
class QSlider;

namespace loctex::ui {

class AudioPlayback;
class KaraokeCaption;
class WordTimeline;
class TraceCanvas;

class ReviewPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ReviewPanel(TraceCanvas* canvas, QWidget* parent = nullptr);

  // The image's narratives, as (id, label), offered in a list.
  void setNarratives(const std::vector<std::pair<std::int64_t, QString>>& entries);
  // Shows `narrative` at `at` (default: its start); the canvas draws its trace.
  void load(std::int64_t id, core::Narrative narrative, std::optional<double> at = std::nullopt);
  void clear();
  std::int64_t narrativeId() const { return m_id; }
  // The loaded narrative's voice recording; an empty path for none. Returns
  // why it cannot be played (named file and reason); empty on success.
  QString setVoice(const std::filesystem::path& file);
  AudioPlayback* voice() const { return m_voice; }

  // Moves the replay (and the voice, while playing) to `t` seconds on the
  // narrative's clock, clamped to its span.
  void seek(double t);
  double position() const { return m_t; }
  void togglePlay();
  bool playing() const { return m_timer.isActive(); }
  QString comment() const;
  KaraokeCaption* words() const { return m_words; }
  // Jumps to word `index` and shows its trace heatmap and its part of the
  // trace on the canvas (what a click on the word does).
  void focusWord(int index);
  int focusedWord() const { return m_focused; }
  // Word edits, as the timeline's drags and the word box's Enter make them:
  // each asks for the edited narrative to be stored (editRequested), or says
  // why it cannot be (editRefused).
  void renameWord(int index, const QString& text);
  void setWordSpan(int index, double start, double end);
  WordTimeline* timeline() const { return m_word_timeline; }
  const core::Narrative* narrative() const { return m_narrative ? &*m_narrative : nullptr; }

  QSize sizeHint() const override { return {480, 110}; }

 Q_SIGNALS:
  void narrativeChosen(std::int64_t id);
  void editRequested(core::Narrative edited, QString description);
  void editRefused(QString reason);

 private:
  void tick();
  // Shows the replay at `t` without touching playback.
  void showAt(double t);

  TraceCanvas* m_canvas;
  QComboBox* m_choice;
  QPushButton* m_play;
  QSlider* m_timeline;
  KaraokeCaption* m_words;
  WordTimeline* m_word_timeline;
  QLineEdit* m_word_edit;
  QLineEdit* m_comment;
  int m_focused = -1;
  AudioPlayback* m_voice;
  QTimer m_timer;
  QElapsedTimer m_clock;
  double m_play_from = 0;
  double m_t = 0;
  std::int64_t m_id = 0;
  std::optional<core::Narrative> m_narrative;
  std::optional<core::Replay> m_replay;
  std::optional<core::WordHeatmaps> m_heatmaps;  // made on the first focus
};

}  // namespace loctex::ui
