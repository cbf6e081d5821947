#include "ui/speak_and_point_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <string>

#include "core/audio_file.h"
#include "core/tap_alignment.h"
#include "core/words.h"
#include "ui/audio_playback.h"
#include "ui/background_aligner.h"
#include "ui/level_meter.h"
#include "ui/microphone.h"
#include "ui/tap_along.h"
#include "ui/voice_recorder.h"

namespace loctex::ui {
namespace {

QString clock_text(double seconds) {
  const int tenths = static_cast<int>(seconds * 10);
  return QStringLiteral("%1:%2.%3")
      .arg(tenths / 600)
      .arg(tenths / 10 % 60, 2, 10, QLatin1Char('0'))
      .arg(tenths % 10);
}

}  // namespace

SpeakAndPointPanel::SpeakAndPointPanel(QWidget* parent)
    : QWidget(parent),
      m_recorder(new VoiceRecorder(this)),
      m_playback(new AudioPlayback(this)),
      m_pages(new QStackedWidget),
      m_speaking_page(new QWidget),
      m_level(new LevelMeter),
      m_transcribing_page(new QWidget),
      m_transcript(new QPlainTextEdit),
      m_position(new QLabel),
      m_tap(new TapAlong),
      m_aligner(new BackgroundAligner(this)) {
  auto* speaking = new QHBoxLayout(m_speaking_page);
  auto* speak_hint =
      new QLabel(tr("Describe the image aloud while pointing at what you describe. "
                    "Ctrl+Return when you are done."));
  speak_hint->setWordWrap(true);  // never widens the window
  speaking->addWidget(speak_hint, 1);
  speaking->addWidget(m_level);
  m_level->setMinimumWidth(160);
  m_transcript->setObjectName("transcript");
  m_transcript->setPlaceholderText(tr("Type what you said, word for word"));
  m_position->setObjectName("playback-position");
  auto* transcribing = new QVBoxLayout(m_transcribing_page);
  transcribing->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  auto* transcribe_hint =
      new QLabel(tr("F9 plays or pauses your recording, F7 and F8 skip 5 s. Ctrl+Return "
                    "when the transcript is complete."));
  transcribe_hint->setWordWrap(true);
  bar->addWidget(transcribe_hint, 1);
  bar->addWidget(m_position);
  transcribing->addLayout(bar);
  transcribing->addWidget(m_transcript, 1);
  m_pages->addWidget(new QWidget);  // idle
  m_pages->addWidget(m_speaking_page);
  m_pages->addWidget(m_transcribing_page);
  m_pages->addWidget(m_tap);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_pages);
  connect(m_recorder, &VoiceRecorder::level, m_level, &LevelMeter::setPeak);
  connect(m_recorder, &VoiceRecorder::failed, this, &SpeakAndPointPanel::failed);
  connect(m_transcript, &QPlainTextEdit::textChanged, this, [this] {
    if (m_step == Step::transcribing) Q_EMIT wordsChanged();
  });
  connect(m_tap, &TapAlong::alignmentChanged, this, &SpeakAndPointPanel::wordsChanged);
  m_position_timer.setInterval(100);
  connect(&m_position_timer, &QTimer::timeout, this, &SpeakAndPointPanel::showPosition);
  // Only the result for this tapping counts: an earlier take's is dropped.
  const auto current = [this](int request) { return request == m_align_request && m_step == Step::tapping; };
  connect(m_aligner, &BackgroundAligner::aligned, this,
          [this, current](int request, const align::Alignment& a) {
            if (!current(request)) return;
            m_tap->applyAlignment(a);
            Q_EMIT aligned({});
          });
  connect(m_aligner, &BackgroundAligner::failed, this, [this, current](int request, const QString& message) {
    if (!current(request)) return;
    m_tap->setAlignmentFailed(message);
    Q_EMIT aligned(message);
  });
}

QString SpeakAndPointPanel::startSpeaking(Microphone& microphone, const std::filesystem::path& voice,
                                          double now) {
  end();
  if (QString why = m_recorder->start(microphone, voice, now); !why.isEmpty()) return why;
  m_voice = voice;
  m_step = Step::speaking;
  m_pages->setCurrentWidget(m_speaking_page);
  return {};
}

void SpeakAndPointPanel::stopSpeaking() {
  if (m_step != Step::speaking) return;
  m_recorder->stop();
  if (const QString why = startTranscribing(m_voice, QString()); !why.isEmpty()) Q_EMIT failed(why);
}

QString SpeakAndPointPanel::startTranscribing(const std::filesystem::path& voice, const QString& so_far) {
  if (const QString why = m_playback->load(voice); !why.isEmpty()) return why;
  m_voice = voice;
  m_step = Step::transcribing;
  m_transcript->setPlainText(so_far);
  m_transcript->moveCursor(QTextCursor::End);
  m_pages->setCurrentWidget(m_transcribing_page);
  m_transcript->setFocus();
  m_playback->play(0);
  m_position_timer.start();
  showPosition();
  return {};
}

bool SpeakAndPointPanel::startTapping() {
  if (m_step != Step::transcribing) return false;
  auto words = core::caption_words(m_transcript->toPlainText().toStdString());
  if (words.empty()) return false;
  m_step = Step::tapping;
  m_position_timer.stop();  // the transcribing page's clock is hidden now
  m_align_request = m_aligner->request(m_playback->clip(), words);
  m_tap->begin(std::move(words), m_playback->duration(), m_playback);
  m_tap->setAligning();
  m_pages->setCurrentWidget(m_tap);
  m_tap->setFocus();
  m_playback->play(0);
  return true;
}

void SpeakAndPointPanel::end() {
  m_align_request = 0;  // a result still to come is for this tapping: dropped
  m_aligner->dropWaiting();
  m_recorder->stop();
  m_playback->unload();
  m_tap->end();
  m_position_timer.stop();
  m_step = Step::idle;
  m_transcript->clear();
  m_pages->setCurrentIndex(0);
}

QString SpeakAndPointPanel::transcript() const { return m_transcript->toPlainText().simplified(); }

std::vector<core::TimedUtterance> SpeakAndPointPanel::timedWords() const {
  if (m_step == Step::tapping) return m_tap->timedWords();
  // Not tapped yet: the words share the recording (core::TapAlignment without taps).
  return core::TapAlignment(core::caption_words(m_transcript->toPlainText().toStdString()), duration())
      .timed_words();
}

std::optional<nlohmann::ordered_json> SpeakAndPointPanel::alignmentRecord() const {
  return m_step == Step::tapping ? m_tap->alignmentRecord() : std::nullopt;
}

double SpeakAndPointPanel::duration() const {
  return m_step == Step::speaking ? m_recorder->duration() : m_playback->duration();
}

void SpeakAndPointPanel::togglePlayback() {
  if (!m_playback->loaded()) return;
  if (m_playback->isPlaying())
    m_playback->pause();
  else
    m_playback->play(m_playback->position() >= m_playback->duration() ? 0 : m_playback->position());
  showPosition();
}

void SpeakAndPointPanel::skip(double seconds) {
  if (!m_playback->loaded()) return;
  const bool playing = m_playback->isPlaying();
  const double to = m_playback->position() + seconds;
  m_playback->play(to);
  if (!playing) m_playback->pause();
  showPosition();
}

void SpeakAndPointPanel::showPosition() {
  QString text =
      tr("%1 / %2").arg(clock_text(m_playback->position())).arg(clock_text(m_playback->duration()));
  if (m_playback->isPlaying() && !m_playback->audible()) text += tr(" (no sound output: playing silently)");
  m_position->setText(text);
}

}  // namespace loctex::ui
