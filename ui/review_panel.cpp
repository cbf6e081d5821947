#include "ui/review_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "align/alignment_record.h"
#include "core/audio_file.h"
#include "core/word_edits.h"
#include "ui/audio_playback.h"
#include "ui/karaoke_caption.h"
#include "ui/trace_canvas.h"
#include "ui/word_timeline.h"

namespace loctex::ui {
namespace {
constexpr int kTimelineSteps = 1000;
}

ReviewPanel::ReviewPanel(TraceCanvas* canvas, QWidget* parent)
    : QWidget(parent),
      m_canvas(canvas),
      m_choice(new QComboBox),
      m_play(new QPushButton(tr("Play"))),
      m_timeline(new QSlider(Qt::Horizontal)),
      m_words(new KaraokeCaption),
      m_word_timeline(new WordTimeline),
      m_word_edit(new QLineEdit),
      m_comment(new QLineEdit),
      m_voice(new AudioPlayback(this)) {
  m_word_edit->setPlaceholderText(tr("Word (click one; Enter renames it)"));
  m_word_edit->setMaximumWidth(220);
  m_word_edit->setObjectName("word-text");
  m_comment->setObjectName("review-comment");
  m_timeline->setRange(0, kTimelineSteps);
  m_choice->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_comment->setPlaceholderText(tr("Review comment (saved with Accept or Reject)"));
  auto* controls = new QHBoxLayout;
  controls->addWidget(m_choice);
  controls->addWidget(m_play);
  controls->addWidget(m_timeline, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(controls);
  m_word_timeline->setMinimumHeight(40);  // room for the waveform under the words
  layout->addWidget(m_word_timeline);
  layout->addWidget(m_words, 1);
  auto* edits = new QHBoxLayout;
  edits->addWidget(m_word_edit);
  edits->addWidget(m_comment, 1);
  layout->addLayout(edits);
  connect(m_word_timeline, &WordTimeline::wordPicked, this, &ReviewPanel::focusWord);
  connect(m_word_timeline, &WordTimeline::spanEdited, this, &ReviewPanel::setWordSpan);
  connect(m_word_edit, &QLineEdit::returnPressed, this,
          [this] { renameWord(m_focused, m_word_edit->text()); });
  m_timer.setInterval(33);
  connect(&m_timer, &QTimer::timeout, this, &ReviewPanel::tick);
  connect(m_play, &QPushButton::clicked, this, &ReviewPanel::togglePlay);
  connect(m_timeline, &QSlider::valueChanged, this, [this](int value) {
    if (!m_replay) return;
    seek(m_replay->start() + (m_replay->end() - m_replay->start()) * value / kTimelineSteps);
  });
  connect(m_words, &KaraokeCaption::wordClicked, this, &ReviewPanel::focusWord);
  connect(m_choice, &QComboBox::activated, this,
          [this](int index) { Q_EMIT narrativeChosen(m_choice->itemData(index).toLongLong()); });
}

void ReviewPanel::setNarratives(const std::vector<std::pair<std::int64_t, QString>>& entries) {
  const QSignalBlocker block(m_choice);
  m_choice->clear();
  for (const auto& [id, label] : entries) m_choice->addItem(label, static_cast<qlonglong>(id));
}

void ReviewPanel::load(std::int64_t id, core::Narrative narrative, std::optional<double> at) {
  if (playing()) togglePlay();
  if (id != m_id) {  // a reload after an edit keeps the voice and its waveform
    m_voice->unload();
    m_word_timeline->setVoice({});
  }
  m_id = id;
  m_replay.reset();
  m_heatmaps.reset();
  m_canvas->setWordFocus({}, 0, {});
  m_narrative = std::move(narrative);
  m_replay.emplace(*m_narrative);
  QStringList words;
  for (const auto& w : m_replay->words()) words << QString::fromStdString(w.text);
  m_words->setWords(words);
  if (!at) m_comment->clear();  // a reload after an edit keeps what was typed
  m_focused = -1;
  m_word_edit->clear();
  m_word_timeline->setWords(core::word_level(m_narrative->timed_caption), m_replay->start(), m_replay->end());
  // Words the aligner doubted and nobody has re-timed since, amber.
  const auto to_check = align::words_to_check(*m_narrative);
  m_word_timeline->setFlagged(to_check);
  m_words->setFlagged(QList<bool>(to_check.begin(), to_check.end()));
  const int index = m_choice->findData(static_cast<qlonglong>(id));
  if (index >= 0) m_choice->setCurrentIndex(index);
  seek(at ? *at : m_replay->start());
}

QString ReviewPanel::setVoice(const std::filesystem::path& file) {
  if (playing()) togglePlay();
  m_voice->unload();
  const QString why = file.empty() ? QString() : m_voice->load(file);
  m_word_timeline->setVoice(m_voice->clip());  // empty unless loaded
  return why;
}

void ReviewPanel::clear() {
  if (playing()) togglePlay();
  m_voice->unload();
  m_replay.reset();
  m_heatmaps.reset();
  m_narrative.reset();
  m_id = 0;
  m_canvas->setWordFocus({}, 0, {});
  m_words->setWords({});
  m_word_timeline->setWords({}, 0, 1);
  m_word_timeline->setFlagged({});
  m_word_timeline->setVoice({});
  m_canvas->setPointer(std::nullopt);
  m_canvas->setTrace(nullptr, 0);
}

void ReviewPanel::seek(double t) {
  showAt(t);
  if (!playing()) return;
  m_play_from = m_t;
  m_clock.restart();
  if (m_voice->loaded()) m_voice->play(m_t);
}

void ReviewPanel::showAt(double t) {
  if (!m_replay) return;
  m_t = std::clamp(t, m_replay->start(), m_replay->end());
  const auto pointer = m_replay->pointer_at(m_t);
  m_canvas->setPointer(pointer ? std::optional<QPointF>(QPointF(pointer->x, pointer->y)) : std::nullopt);
  m_canvas->setTrace(&m_narrative->traces, m_t);
  const auto word = m_replay->word_at(m_t);
  m_words->setCurrent(word ? static_cast<int>(*word) : -1);
  m_word_timeline->setPosition(m_t);
  const double span = m_replay->end() - m_replay->start();
  const QSignalBlocker block(m_timeline);
  m_timeline->setValue(
      span > 0 ? static_cast<int>(std::lround((m_t - m_replay->start()) / span * kTimelineSteps)) : 0);
}

void ReviewPanel::togglePlay() {
  if (!m_replay) return;
  if (m_timer.isActive()) {
    m_timer.stop();
    m_voice->pause();
    m_play->setText(tr("Play"));
    return;
  }
  if (m_t >= m_replay->end()) showAt(m_replay->start());  // from the start again after the end
  m_play_from = m_t;
  m_clock.start();
  m_timer.start();
  if (m_voice->loaded()) m_voice->play(m_t);
  m_play->setText(tr("Pause"));
}

void ReviewPanel::focusWord(int index) {
  if (!m_replay || index < 0 || static_cast<std::size_t>(index) >= m_replay->words().size()) return;
  if (m_timer.isActive()) togglePlay();
  if (!m_heatmaps) m_heatmaps = core::render_word_heatmaps(*m_narrative);  // the dataset builder's renderer
  const auto& word = m_replay->words()[static_cast<std::size_t>(index)];
  std::vector<core::TracePoint> part;
  for (const auto& segment : m_narrative->traces)
    for (const auto& p : segment)
      if (p.t >= word.start && p.t <= word.end) part.push_back(p);
  const auto map = m_heatmaps->map(static_cast<std::size_t>(index));
  m_canvas->setWordFocus(std::vector<double>(map.begin(), map.end()), m_heatmaps->grid, std::move(part));
  m_focused = index;
  m_word_edit->setText(QString::fromStdString(word.text));
  seek(word.start);
}

void ReviewPanel::renameWord(int index, const QString& text) {
  if (!m_narrative || index < 0) return Q_EMIT editRefused(tr("Click a word first"));
  try {
    Q_EMIT editRequested(core::rename_word(*m_narrative, static_cast<std::size_t>(index), text.toStdString()),
                         tr("Rename word %1 to \"%2\"").arg(index + 1).arg(text));
  } catch (const std::exception& e) {
    Q_EMIT editRefused(QString::fromStdString(e.what()));
  }
}

void ReviewPanel::setWordSpan(int index, double start, double end) {
  if (!m_narrative || index < 0) return;
  try {
    auto edited = core::set_word_span(*m_narrative, static_cast<std::size_t>(index), start, end);
    align::mark_corrected(edited, static_cast<std::size_t>(index));  // timed by hand: no longer in doubt
    Q_EMIT editRequested(std::move(edited), tr("Re-time word %1").arg(index + 1));
  } catch (const std::exception& e) {
    Q_EMIT editRefused(QString::fromStdString(e.what()));
  }
}

QString ReviewPanel::comment() const { return m_comment->text(); }

void ReviewPanel::tick() {
  if (!m_replay) return;
  // The voice, when there is one, is the clock: the words follow the sound.
  showAt(m_voice->loaded() && m_voice->isPlaying()
             ? m_voice->position()
             : m_play_from + static_cast<double>(m_clock.nsecsElapsed()) * 1e-9);
  if (m_t >= m_replay->end()) togglePlay();  // stops at the end
}

}  // namespace loctex::ui
