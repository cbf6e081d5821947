#pragma once
// The annotation app's window: a project's images on the left, the image to
// point at in the middle, the caption typed under it, the recording state in
// the status bar. Every action sits in a menu with its standard shortcut;
// Help > Keyboard Shortcuts (F1) lists them. The window's geometry, the last
// project and the annotator id are remembered (QSettings).

#include <QIcon>
#include <QMainWindow>
#include <QString>
#include <QStringList>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "core/project_store.h"
#include "core/replay.h"
#include "core/retrace_schedule.h"
#include "core/typed_caption.h"
#include "ui/recording_session.h"

class QAction;
class QComboBox;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QMenu;
class QStackedWidget;
class QUndoStack;
class QTimer;

namespace loctex::ui {

class CaptionTyping;
class KaraokeCaption;
class Microphone;
class ReviewPanel;
class SpeakAndPointPanel;
class TraceCanvas;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens the project in `folder`; on failure says why in the status bar
  // and returns false, leaving the open project (if any) as it was.
  bool openProject(const QString& folder);
  bool hasProject() const { return m_store.has_value(); }
  // The open project's folder; empty without one.
  QString projectFolder() const;

  // Image files, and the images (*.jpg, *.jpeg, *.png) directly in any
  // folder given, into the project as dataset "local" with their base names
  // as ids, with a progress dialog for many. Unreadable files are skipped,
  // counted and the first named in the status bar; returns the number added.
  int addImages(const QStringList& paths);
  // LN JSONL into the project (lenient: bad lines are skipped and counted),
  // images looked up as IMAGE_FOLDER/{image_id}.jpg when a folder is given,
  // with a progress dialog for long files. The outcome goes to the status
  // bar; throws nothing.
  core::ImportReport importNarratives(const QString& jsonl, const QString& image_folder = {});
  // Every narrative, or the accepted ones, to LN JSONL written atomically,
  // with a progress dialog for long exports (cancelling writes nothing); the
  // number written, or -1 after an error or a cancel (in the status bar).
  long long exportNarratives(const QString& path, bool accepted_only);

  // The named action ("new-project", "open-project", "add-images",
  // "add-image-folder", "import",
  // "export-all", "export-accepted", "retrace", "retrace-faster",
  // "retrace-slower", "annotator", "play", "accept", "reject", "undo", "redo",
  // "speak-and-point", "type-and-point", "play-recording", "skip-back",
  // "skip-forward", "stop-recording", "discard-recording", "shortcuts",
  // "quit"); nullptr for an unknown name.
  QAction* action(const QString& name) const;
  // What to do with an interrupted recording found in the project.
  enum class Recovery { resume, save_as_draft, discard };
  // Resumes it (Type and Point: the image is selected, pointing and typing go
  // on; Speak and Point: its transcript is typed on, the voice playing back),
  // stores it as a draft narrative as it is, or deletes it. False, with the
  // reason in the status bar, if that cannot be done.
  bool recoverRecording(std::int64_t journal_id, Recovery choice);

  // An action of another part of the app (the training window) in the
  // Tools menu, listed with the others (action(name), F1).
  QAction* addToolAction(const QString& name, const QString& text, const QKeySequence& keys);

  // The recording's clock; tests drive time with their own.
  void setRecordingClock(RecordingSession::Clock clock);
  // Where Speak and Point's voice comes from: the system's default input
  // unless replaced (tests feed their own samples).
  using MicrophoneFactory = std::function<std::unique_ptr<Microphone>()>;
  void setMicrophoneFactory(MicrophoneFactory factory);
  void setAnnotatorId(std::int64_t id);
  std::int64_t annotatorId() const { return m_annotator_id; }

  QListWidget* imageList() const { return m_images; }
  TraceCanvas* canvas() const { return m_canvas; }
  CaptionTyping* captionInput() const { return m_caption; }
  KaraokeCaption* karaoke() const { return m_karaoke; }
  ReviewPanel* review() const { return m_review; }
  SpeakAndPointPanel* speakAndPoint() const { return m_speak; }
  // The narrative under review and its image file; nullopt when none is, or
  // its image has no file in the project.
  std::optional<std::pair<core::Narrative, std::filesystem::path>> reviewedNarrative() const;
  // Shows narrative `id` for review (replay, accept, reject).
  void reviewNarrative(std::int64_t id);
  // Re-trace's schedule while re-tracing; nullptr otherwise.
  const core::RetraceSchedule* retraceSchedule() const { return m_schedule ? &*m_schedule : nullptr; }
  RecordingSession* session() const { return m_session.get(); }
  QString progressText() const;

 Q_SIGNALS:
  // A project was opened (its folder): windows that work on "the project",
  // such as Training's Build from Project, follow it.
  void projectOpened(QString folder);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createActions();
  void refreshImages();
  void showSelectedImage();
  // The selected image if a recording can start on it; otherwise nullptr,
  // and the status bar says why when it is not an ongoing recording.
  QListWidgetItem* imageToRecord();
  // Starts the session on the selected image; false (said in the status
  // bar) if it cannot.
  bool startSession(core::RecordingMode mode);
  void startSpeakAndPoint();
  // Ctrl+Return in Speak and Point: speaking, then transcribing, then saving.
  void stepSpeakAndPoint();
  // While the voice plays back (transcribing, tapping), the trace replays
  // with it, so the annotator sees what they pointed at as they hear it.
  void replayWithVoice();
  void showSpokenTrace();
  void startTypeAndPoint();
  void startRetrace();
  void changeRetracePace(double factor);
  void saveRetraceCaption();
  void showRetraceProgress();
  void endRecordingUi();
  void applyFilter();
  QIcon thumbnail(const core::ImageRecord& image);
  void setReviewStatus(core::NarrativeStatus status);
  void beginTyping(core::TypedCaption so_far);
  void offerRecovery();
  void stopRecording();
  void discardRecording();
  void updateStatus();
  void showShortcuts();
  void askAnnotatorId();
  static void showKeysInToolTip(QAction* action);
  QAction* makeAction(QMenu* menu, const QString& name, const QString& text, const QKeySequence& keys);

  std::optional<core::ProjectStore> m_store;
  std::unique_ptr<RecordingSession> m_session;
  RecordingSession::Clock m_clock;
  std::int64_t m_annotator_id = 1;
  std::map<QString, QAction*> m_actions;
  QMenu* m_tools = nullptr;
  QListWidget* m_images = nullptr;
  QComboBox* m_filter = nullptr;
  std::map<QString, QIcon> m_thumbnails;
  TraceCanvas* m_canvas = nullptr;
  CaptionTyping* m_caption = nullptr;
  KaraokeCaption* m_karaoke = nullptr;
  ReviewPanel* m_review = nullptr;
  SpeakAndPointPanel* m_speak = nullptr;
  MicrophoneFactory m_microphone_factory;
  std::unique_ptr<Microphone> m_microphone;
  core::Narrative m_spoken;                     // the trace that replays with the voice
  std::optional<core::Replay> m_spoken_replay;  // refers to m_spoken
  QTimer* m_spoken_timer = nullptr;
  QUndoStack* m_undo = nullptr;
  QStackedWidget* m_caption_stack = nullptr;
  QTimer* m_karaoke_timer = nullptr;
  std::optional<core::RetraceSchedule> m_schedule;
  double m_retrace_wpm = 150;
  QLabel* m_state = nullptr;
  QTimer* m_status_timer = nullptr;
};

}  // namespace loctex::ui
