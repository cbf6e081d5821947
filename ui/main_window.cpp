#include "ui/main_window.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QIcon>
#include <QImage>
#include <QImageReader>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPixmap>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>
#include <limits>
#include <stdexcept>

#include "align/alignment_record.h"
#include "core/audio_file.h"
#include "core/recording_journal.h"
#include "core/words.h"
#include "ui/audio_playback.h"
#include "ui/caption_typing.h"
#include "ui/karaoke_caption.h"
#include "ui/microphone.h"
#include "ui/review_commands.h"
#include "ui/review_panel.h"
#include "ui/speak_and_point_panel.h"
#include "ui/trace_canvas.h"

namespace loctex::ui {
namespace {

constexpr int kDatasetRole = Qt::UserRole;
constexpr int kImageRole = Qt::UserRole + 1;
constexpr int kDoneRole = Qt::UserRole + 2;
constexpr int kStateRole = Qt::UserRole + 3;
constexpr int kThumbnailSide = 48;

// The state an image's list row shows, as a key: "to do" without
// narratives, else its latest narrative's status name. The row's text and
// the filter use it.
QString state_key(const core::NarrativeEntry* latest) {
  if (!latest) return QStringLiteral("to do");
  const auto status = core::to_string(latest->status);
  return QString::fromUtf8(status.data(), static_cast<qsizetype>(status.size()));
}

bool is_done(const core::NarrativeEntry* latest) {
  return latest &&
         (latest->status == core::NarrativeStatus::done || latest->status == core::NarrativeStatus::accepted);
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("LocTex Studio"));
  m_images = new QListWidget;
  m_images->setMinimumWidth(200);
  m_images->setIconSize(QSize(kThumbnailSide, kThumbnailSide));
  m_filter = new QComboBox;
  m_filter->setObjectName("state-filter");
  m_filter->addItem(tr("All images"), QString());
  for (const char* state : {"to do", "draft", "done", "accepted", "rejected"})
    m_filter->addItem(QCoreApplication::translate("state", state), QString::fromLatin1(state));
  connect(m_filter, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilter);
  auto* left = new QWidget;
  auto* left_layout = new QVBoxLayout(left);
  left_layout->setContentsMargins(0, 0, 0, 0);
  left_layout->addWidget(m_filter);
  left_layout->addWidget(m_images, 1);
  m_canvas = new TraceCanvas;
  m_caption = new CaptionTyping;
  m_karaoke = new KaraokeCaption;
  m_caption_stack = new QStackedWidget;
  m_caption_stack->addWidget(m_caption);
  m_caption_stack->addWidget(m_karaoke);
  m_review = new ReviewPanel(m_canvas);
  m_caption_stack->addWidget(m_review);
  m_speak = new SpeakAndPointPanel;
  m_caption_stack->addWidget(m_speak);
  connect(m_speak, &SpeakAndPointPanel::wordsChanged, this, [this] {
    if (m_session && m_session->isRecording())
      m_session->setCaption(m_speak->transcript(), m_speak->timedWords());
  });
  connect(m_speak, &SpeakAndPointPanel::failed, this,
          [this](const QString& message) { statusBar()->showMessage(message); });
  m_microphone_factory = [] { return std::make_unique<SystemMicrophone>(); };
  m_spoken_timer = new QTimer(this);
  m_spoken_timer->setInterval(33);
  connect(m_spoken_timer, &QTimer::timeout, this, &MainWindow::showSpokenTrace);
  connect(m_review, &ReviewPanel::narrativeChosen, this, &MainWindow::reviewNarrative);
  connect(m_review, &ReviewPanel::editRefused, this,
          [this](const QString& why) { statusBar()->showMessage(why); });
  connect(
      m_review, &ReviewPanel::editRequested, this,
      [this](const core::Narrative& edited, const QString& text) {
        const std::int64_t id = m_review->narrativeId();
        if (!m_store || id == 0 || !m_review->narrative()) return;
        m_undo->push(new NarrativeEditCommand(*m_store, id, *m_review->narrative(), edited, text, [this, id] {
          // Show the stored version, where the replay was.
          if (m_review->narrativeId() == id)
            m_review->load(id, m_store->load_narrative(id), m_review->position());
        }));
      });
  m_undo = new QUndoStack(this);
  m_caption_stack->setMaximumHeight(150);
  m_karaoke_timer = new QTimer(this);
  m_karaoke_timer->setInterval(33);  // the highlight moves at 30 frames a second
  connect(m_karaoke_timer, &QTimer::timeout, this, &MainWindow::showRetraceProgress);
  auto* centre = new QWidget;
  auto* layout = new QVBoxLayout(centre);
  layout->addWidget(m_canvas, 1);
  layout->addWidget(m_caption_stack);
  auto* splitter = new QSplitter;
  splitter->addWidget(left);
  splitter->addWidget(centre);
  splitter->setStretchFactor(1, 1);
  setCentralWidget(splitter);
  m_state = new QLabel;
  m_state->setContentsMargins(0, 0, 16, 0);  // clear of the size grip
  // Room for the longest state, so the text never jumps or is cut.
  m_state->setMinimumWidth(m_state->fontMetrics().horizontalAdvance(QStringLiteral(
                               "Recording 9999.9 s \u00b7 999999 points \u00b7 999 samples/s")) +
                           24);
  statusBar()->addPermanentWidget(m_state);
  m_status_timer = new QTimer(this);
  m_status_timer->setInterval(200);
  connect(m_status_timer, &QTimer::timeout, this, &MainWindow::updateStatus);
  connect(m_images, &QListWidget::currentRowChanged, this, &MainWindow::showSelectedImage);
  createActions();

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  m_annotator_id = settings.value("annotator_id", 1).toLongLong();
  m_retrace_wpm =
      std::clamp(settings.value("retrace_wpm", 150.0).toDouble(), core::RetraceSchedule::kMinWordsPerMinute,
                 core::RetraceSchedule::kMaxWordsPerMinute);
  updateStatus();
}

MainWindow::~MainWindow() {
  // The voice recorder still holds the microphone (a member, destroyed
  // before the child panel): close it first.
  m_speak->end();
}

QAction* MainWindow::makeAction(QMenu* menu, const QString& name, const QString& text,
                                const QKeySequence& keys) {
  auto* action = new QAction(text, this);
  menu->addAction(action);
  action->setShortcut(keys);
  action->setObjectName(name);
  m_actions[name] = action;
  return action;
}

QAction* MainWindow::action(const QString& name) const {
  const auto it = m_actions.find(name);
  return it == m_actions.end() ? nullptr : it->second;
}

void MainWindow::createActions() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  connect(makeAction(file, "new-project", tr("&New Project..."), QKeySequence::New), &QAction::triggered,
          this, [this] {
            const QString folder = QFileDialog::getExistingDirectory(this, tr("New project folder"));
            if (folder.isEmpty()) return;
            try {
              core::ProjectStore::create(folder.toStdString());
            } catch (const std::exception& e) {
              statusBar()->showMessage(QString::fromStdString(e.what()));
              return;
            }
            openProject(folder);
          });
  connect(makeAction(file, "open-project", tr("&Open Project..."), QKeySequence::Open), &QAction::triggered,
          this, [this] {
            const QString folder = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
            if (!folder.isEmpty()) openProject(folder);
          });
  connect(makeAction(file, "add-images", tr("&Add Images..."), QKeySequence(tr("Ctrl+I"))),
          &QAction::triggered, this, [this] {
            if (m_store)
              addImages(QFileDialog::getOpenFileNames(this, tr("Add images"), {},
                                                      tr("Images (*.jpg *.jpeg *.png *.JPG *.JPEG *.PNG)")));
          });
  connect(makeAction(file, "add-image-folder", tr("Add Image &Folder..."), QKeySequence(tr("Ctrl+Alt+I"))),
          &QAction::triggered, this, [this] {
            if (!m_store) return;
            const QString folder = QFileDialog::getExistingDirectory(this, tr("Add the images in a folder"));
            if (!folder.isEmpty()) addImages({folder});
          });
  file->addSeparator();
  connect(makeAction(file, "import", tr("&Import LN JSONL..."), QKeySequence(tr("Ctrl+Shift+I"))),
          &QAction::triggered, this, [this] {
            const QString jsonl =
                QFileDialog::getOpenFileName(this, tr("Import narratives"), {}, tr("LN JSONL (*.jsonl)"));
            if (jsonl.isEmpty()) return;
            const QString images = QFileDialog::getExistingDirectory(
                this, tr("Folder of their images ({image_id}.jpg); cancel to import without images"));
            importNarratives(jsonl, images);
          });
  const auto export_to = [this](bool accepted_only) {
    const QString path = QFileDialog::getSaveFileName(
        this, accepted_only ? tr("Export accepted narratives") : tr("Export all narratives"), {},
        tr("LN JSONL (*.jsonl)"));
    if (!path.isEmpty()) exportNarratives(path, accepted_only);
  };
  connect(makeAction(file, "export-all", tr("&Export All..."), QKeySequence(tr("Ctrl+E"))),
          &QAction::triggered, this, [export_to] { export_to(false); });
  connect(makeAction(file, "export-accepted", tr("Export &Accepted..."), QKeySequence(tr("Ctrl+Shift+E"))),
          &QAction::triggered, this, [export_to] { export_to(true); });
  file->addSeparator();
  connect(makeAction(file, "annotator", tr("Annota&tor..."), QKeySequence(tr("Ctrl+Shift+N"))),
          &QAction::triggered, this, &MainWindow::askAnnotatorId);
  file->addSeparator();
  // Some platforms (and the generic theme) bind no Quit key: Ctrl+Q is the convention there.
  const QKeySequence quit_keys = QKeySequence(QKeySequence::Quit).isEmpty()
                                     ? QKeySequence(tr("Ctrl+Q"))
                                     : QKeySequence(QKeySequence::Quit);
  connect(makeAction(file, "quit", tr("&Quit"), quit_keys), &QAction::triggered, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = m_undo->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  undo->setObjectName("undo");
  m_actions["undo"] = undo;
  edit->addAction(undo);
  QAction* redo = m_undo->createRedoAction(this, tr("&Redo"));
  redo->setShortcut(QKeySequence::Redo);
  redo->setObjectName("redo");
  m_actions["redo"] = redo;
  edit->addAction(redo);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  connect(makeAction(view, "zoom-in", tr("Zoom &In"), QKeySequence::ZoomIn), &QAction::triggered, this,
          [this] { m_canvas->zoomAt(1.25, m_canvas->rect().center()); });
  connect(makeAction(view, "zoom-out", tr("Zoom &Out"), QKeySequence::ZoomOut), &QAction::triggered, this,
          [this] { m_canvas->zoomAt(1 / 1.25, m_canvas->rect().center()); });
  connect(makeAction(view, "zoom-fit", tr("&Fit to Window"), QKeySequence(tr("Ctrl+0"))), &QAction::triggered,
          m_canvas, &TraceCanvas::zoomToFit);

  QMenu* review = menuBar()->addMenu(tr("Re&view"));
  connect(makeAction(review, "play", tr("&Play or Pause"), QKeySequence(Qt::Key_Space)), &QAction::triggered,
          m_review, &ReviewPanel::togglePlay);
  connect(makeAction(review, "accept", tr("&Accept"), QKeySequence(tr("Ctrl+Shift+A"))), &QAction::triggered,
          this, [this] { setReviewStatus(core::NarrativeStatus::accepted); });
  connect(makeAction(review, "reject", tr("&Reject"), QKeySequence(tr("Ctrl+Shift+R"))), &QAction::triggered,
          this, [this] { setReviewStatus(core::NarrativeStatus::rejected); });

  QMenu* record = menuBar()->addMenu(tr("&Record"));
  connect(makeAction(record, "speak-and-point", tr("&Speak and Point"), QKeySequence(tr("Ctrl+R"))),
          &QAction::triggered, this, &MainWindow::startSpeakAndPoint);
  connect(makeAction(record, "type-and-point", tr("&Type and Point"), QKeySequence(tr("Ctrl+T"))),
          &QAction::triggered, this, &MainWindow::startTypeAndPoint);
  connect(makeAction(record, "retrace", tr("&Re-trace Caption"), QKeySequence(tr("Ctrl+Shift+T"))),
          &QAction::triggered, this, &MainWindow::startRetrace);
  connect(makeAction(record, "retrace-faster", tr("Re-trace &Faster"), QKeySequence(tr("Ctrl+Up"))),
          &QAction::triggered, this, [this] { changeRetracePace(1.1); });
  connect(makeAction(record, "retrace-slower", tr("Re-trace S&lower"), QKeySequence(tr("Ctrl+Down"))),
          &QAction::triggered, this, [this] { changeRetracePace(1 / 1.1); });
  record->addSeparator();
  // Transcription players' keys (F9 play, F7/F8 back and forward), free while typing.
  connect(makeAction(record, "play-recording", tr("&Play or Pause Recording"), QKeySequence(Qt::Key_F9)),
          &QAction::triggered, m_speak, &SpeakAndPointPanel::togglePlayback);
  connect(makeAction(record, "skip-back", tr("Skip &Back"), QKeySequence(Qt::Key_F7)), &QAction::triggered,
          this, [this] { m_speak->skip(-SpeakAndPointPanel::kSkipSeconds); });
  connect(makeAction(record, "skip-forward", tr("Skip F&orward"), QKeySequence(Qt::Key_F8)),
          &QAction::triggered, this, [this] { m_speak->skip(SpeakAndPointPanel::kSkipSeconds); });
  record->addSeparator();
  connect(makeAction(record, "stop-recording", tr("&Stop and Save"), QKeySequence(tr("Ctrl+Return"))),
          &QAction::triggered, this, &MainWindow::stopRecording);
  connect(makeAction(record, "discard-recording", tr("&Discard Recording"), QKeySequence(Qt::Key_Escape)),
          &QAction::triggered, this, &MainWindow::discardRecording);

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  connect(makeAction(help, "shortcuts", tr("&Keyboard Shortcuts"), QKeySequence::HelpContents),
          &QAction::triggered, this, &MainWindow::showShortcuts);

  // The frequent actions, also on a toolbar; text, since the platform may
  // have no icon theme.
  QToolBar* tools = addToolBar(tr("Record and Review"));
  tools->setObjectName("main-toolbar");  // saveState() keeps toolbars by name
  tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
  tools->setMovable(false);
  for (const char* name : {"speak-and-point", "type-and-point", "retrace", "", "stop-recording",
                           "discard-recording", "", "play", "accept", "reject", "", "undo", "redo"}) {
    if (*name == '\0')
      tools->addSeparator();
    else
      tools->addAction(action(name));
  }
  for (const auto& [name, a] : m_actions) showKeysInToolTip(a);
}

QAction* MainWindow::addToolAction(const QString& name, const QString& text, const QKeySequence& keys) {
  if (!m_tools) {
    m_tools = new QMenu(tr("&Tools"), this);
    menuBar()->insertMenu(menuBar()->actions().constLast(), m_tools);  // before Help
  }
  QAction* a = makeAction(m_tools, name, text, keys);
  showKeysInToolTip(a);
  return a;
}

void MainWindow::showKeysInToolTip(QAction* a) {
  // As a menu shows the keys beside the text, so does the toolbar's tooltip.
  const QString keys = a->shortcut().toString(QKeySequence::NativeText);
  a->setToolTip(keys.isEmpty() ? a->text().remove('&') : tr("%1 (%2)").arg(a->text().remove('&'), keys));
}

bool MainWindow::openProject(const QString& folder) {
  if (m_session && m_session->isRecording()) {
    statusBar()->showMessage(tr("Stop or discard the recording before opening another project"));
    return false;
  }
  try {
    auto store = core::ProjectStore::open(folder.toStdString());
    m_session.reset();
    m_store.emplace(std::move(store));
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return false;
  }
  // Nothing of the previous project may act on this one: its undo steps and
  // recovery offers name its narratives and journals by id.
  m_undo->clear();
  for (auto* box : findChildren<QMessageBox*>("recovery")) {
    box->hide();  // unanswered: the journals stay for the next time that project opens
    box->deleteLater();
  }
  m_review->clear();
  m_review->setNarratives({});
  m_canvas->setImage(QImage());
  m_session = std::make_unique<RecordingSession>(*m_store);
  if (m_clock) m_session->setClock(m_clock);
  connect(m_canvas, &TraceCanvas::pointerMoved, m_session.get(), &RecordingSession::addPointer);
  connect(m_canvas, &TraceCanvas::pointerLeft, m_session.get(), &RecordingSession::pointerLeft);
  connect(m_session.get(), &RecordingSession::traceChanged, m_canvas,
          [this](double now) { m_canvas->setTrace(&m_session->capture().segments(), now); });
  connect(m_session.get(), &RecordingSession::failed, this,
          [this](const QString& message) { statusBar()->showMessage(tr("Not saved yet: %1").arg(message)); });
  QSettings().setValue("project", folder);
  setWindowTitle(tr("%1 - LocTex Studio").arg(QFileInfo(folder).fileName()));
  refreshImages();
  offerRecovery();
  Q_EMIT projectOpened(projectFolder());
  return true;
}

QString MainWindow::projectFolder() const {
  return m_store ? QString::fromStdString(m_store->folder().string()) : QString();
}

void MainWindow::offerRecovery() {
  const auto interrupted = core::unfinished_recordings(*m_store);
  if (interrupted.empty()) return;
  statusBar()->showMessage(
      tr("%n interrupted recording(s) in this project", nullptr, static_cast<int>(interrupted.size())));
  // One box per recording, not modal: the window stays usable and the boxes
  // can be answered in any order.
  for (const auto& r : interrupted) {
    auto* box = new QMessageBox(
        QMessageBox::Question, tr("Interrupted recording"),
        tr("A recording of %1 (%2 points, \"%3\") was interrupted at %4. Continue it, keep it as a draft, "
           "or discard it?")
            .arg(QString::fromStdString(r.image_id))
            .arg(r.points)
            .arg(QString::fromStdString(r.caption).left(60))
            .arg(QString::fromStdString(r.updated_at)),
        QMessageBox::NoButton, this);
    auto* resume = box->addButton(tr("Continue"), QMessageBox::AcceptRole);
    auto* draft = box->addButton(tr("Keep as Draft"), QMessageBox::ActionRole);
    box->addButton(tr("Discard"), QMessageBox::DestructiveRole);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName("recovery");
    const std::int64_t id = r.id;
    connect(box, &QMessageBox::buttonClicked, this, [this, id, resume, draft](QAbstractButton* button) {
      recoverRecording(id, button == resume  ? Recovery::resume
                           : button == draft ? Recovery::save_as_draft
                                             : Recovery::discard);
    });
    box->setModal(false);
    box->show();
  }
}

bool MainWindow::recoverRecording(std::int64_t journal_id, Recovery choice) {
  if (!m_store || !m_session || m_session->isRecording()) {
    statusBar()->showMessage(tr("Stop the current recording first"));
    return false;
  }
  try {
    if (choice == Recovery::resume) {
      const auto summary = core::unfinished_recordings(*m_store);
      const auto it =
          std::find_if(summary.begin(), summary.end(), [&](const auto& r) { return r.id == journal_id; });
      if (it != summary.end() && it->mode == core::RecordingMode::retrace) {
        statusBar()->showMessage(
            tr("A re-trace cannot be continued (its pace would not match); keep it as a draft instead"));
        return false;
      }
      const bool spoken = it != summary.end() && it->mode == core::RecordingMode::speak_and_point;
      std::filesystem::path voice;
      if (spoken) {
        // The voice must be readable before the journal is taken up again.
        const auto named = core::RecordingJournal::resume(*m_store, journal_id).voice_file();
        if (!named) throw std::runtime_error("this Speak and Point recording names no voice file");
        voice = *named;
        core::probe_audio(voice);  // names the file if it is missing or unreadable
      }
      const core::Narrative so_far = m_session->resume(journal_id);
      for (int row = 0; row < m_images->count(); ++row) {
        const auto* item = m_images->item(row);
        if (item->data(kDatasetRole).toString().toStdString() == so_far.dataset_id &&
            item->data(kImageRole).toString().toStdString() == so_far.image_id)
          m_images->setCurrentRow(row);
      }
      m_canvas->setTrace(&m_session->capture().segments(), m_session->elapsed());
      if (!spoken) {
        beginTyping(core::TypedCaption::from_words(so_far.timed_caption));
        return true;
      }
      m_session->endTrace();  // the speaking is over; its words are typed on
      m_review->clear();
      m_caption_stack->setCurrentWidget(m_speak);
      m_images->setEnabled(false);
      if (const QString why = m_speak->startTranscribing(voice, QString::fromStdString(so_far.caption));
          !why.isEmpty())
        statusBar()->showMessage(why);
      replayWithVoice();
      m_status_timer->start();
      updateStatus();
      return true;
    }
    auto journal = core::RecordingJournal::resume(*m_store, journal_id);
    if (choice == Recovery::save_as_draft) {
      const auto id = journal.finish(journal.narrative(), core::NarrativeStatus::draft);
      statusBar()->showMessage(tr("Kept the interrupted recording as draft narrative %1").arg(id), 5000);
    } else {
      journal.discard();
      statusBar()->showMessage(tr("Discarded the interrupted recording"), 5000);
    }
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return false;
  }
  refreshImages();
  return true;
}

core::ImportReport MainWindow::importNarratives(const QString& jsonl, const QString& image_folder) {
  core::ImportReport report;
  if (!m_store) return report;
  // A busy bar and the lines read so far: counting the lines first would
  // read the file twice.
  QProgressDialog progress(tr("Importing %1").arg(QFileInfo(jsonl).fileName()), tr("Cancel"), 0, 0, this);
  progress.setWindowModality(Qt::WindowModal);
  progress.setMinimumDuration(500);
  core::ImportOptions options;
  options.mode = core::ReadMode::lenient;
  if (!image_folder.isEmpty()) options.image_folder = image_folder.toStdString();
  QString first_problem;
  options.on_error = [&](const core::LnError& e) {
    if (first_problem.isEmpty()) first_problem = QString::fromStdString(e.what());
  };
  options.progress = [&](std::size_t read) {
    if (read % 200 == 0) {
      progress.setLabelText(tr("Importing %1: %2 lines read").arg(QFileInfo(jsonl).fileName()).arg(read));
      QCoreApplication::processEvents();  // draws the dialog and takes a click on Cancel
    }
    if (progress.wasCanceled()) throw std::runtime_error("import cancelled; nothing was imported");
  };
  try {
    report = m_store->import_jsonl(jsonl.toStdString(), options);
    QString message = tr("Imported %1 narratives, skipped %2 lines, %3 problems")
                          .arg(report.imported)
                          .arg(report.skipped)
                          .arg(report.problems);
    if (!first_problem.isEmpty()) message += tr("; the first: %1").arg(first_problem);
    statusBar()->showMessage(message);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
  }
  refreshImages();
  return report;
}

int MainWindow::addImages(const QStringList& paths) {
  if (!m_store) return 0;
  // A folder stands for its images (not its subfolders), by name.
  QStringList files;
  for (const QString& path : paths) {
    const QFileInfo info(path);
    if (!info.isDir()) {
      files << path;
      continue;
    }
    QDir folder(path);
    for (const QString& name : folder.entryList({"*.jpg", "*.jpeg", "*.png"}, QDir::Files, QDir::Name))
      files << folder.filePath(name);
  }
  QProgressDialog progress(tr("Adding images"), tr("Cancel"), 0, static_cast<int>(files.size()), this);
  progress.setWindowModality(Qt::WindowModal);
  progress.setMinimumDuration(500);
  int added = 0, failed = 0;
  QString first_problem;
  for (const QString& f : files) {
    if (progress.wasCanceled()) break;
    try {
      m_store->add_image(f.toStdString(), "local", QFileInfo(f).completeBaseName().toStdString());
      ++added;
    } catch (const std::exception& e) {
      if (failed++ == 0) first_problem = QString::fromStdString(e.what());
    }
    progress.setValue(added + failed);  // also takes a click on Cancel
  }
  QString message = added == 1 ? tr("Added 1 image") : tr("Added %1 images").arg(added);
  if (failed > 0) message += tr("; %1 could not be read, the first: %2").arg(failed).arg(first_problem);
  if (progress.wasCanceled()) message += tr("; cancelled before the rest");
  statusBar()->showMessage(message);
  refreshImages();
  return added;
}

long long MainWindow::exportNarratives(const QString& path, bool accepted_only) {
  if (!m_store) return -1;
  QProgressDialog progress(tr("Exporting to %1").arg(QFileInfo(path).fileName()), tr("Cancel"), 0, 0, this);
  progress.setWindowModality(Qt::WindowModal);
  progress.setMinimumDuration(500);
  try {
    const auto n = m_store->export_jsonl(
        path.toStdString(), accepted_only ? core::ExportFilter::accepted_only : core::ExportFilter::all,
        [&](std::size_t written, std::size_t total) {
          if (written % 100 != 0 && written != total) return;
          progress.setMaximum(static_cast<int>(total));
          progress.setValue(static_cast<int>(written));  // draws the dialog and takes a click on Cancel
          if (progress.wasCanceled()) throw std::runtime_error("export cancelled; no file was written");
        });
    statusBar()->showMessage(tr("Exported %1 narratives to %2").arg(n).arg(path), 5000);
    return static_cast<long long>(n);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return -1;
  }
}

void MainWindow::setRecordingClock(RecordingSession::Clock clock) {
  m_clock = std::move(clock);
  if (m_session) m_session->setClock(m_clock);
}

void MainWindow::setMicrophoneFactory(MicrophoneFactory factory) {
  m_microphone_factory = std::move(factory);
}

void MainWindow::askAnnotatorId() {
  // Window-modal, opened rather than run: the event loop goes on, and the
  // action is off while recording anyway.
  auto* dialog = new QInputDialog(this);
  dialog->setObjectName("annotator-dialog");
  dialog->setWindowTitle(tr("Annotator"));
  dialog->setLabelText(tr("Your annotator id (stored with every narrative you record):"));
  dialog->setInputMode(QInputDialog::IntInput);
  dialog->setIntRange(1, std::numeric_limits<int>::max());
  dialog->setIntValue(
      static_cast<int>(std::min<std::int64_t>(m_annotator_id, std::numeric_limits<int>::max())));
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  connect(dialog, &QInputDialog::intValueSelected, this, [this](int id) {
    setAnnotatorId(id);
    statusBar()->showMessage(tr("Recording as annotator %1").arg(id), 5000);
  });
  dialog->open();
}

void MainWindow::setAnnotatorId(std::int64_t id) {
  m_annotator_id = id;
  QSettings().setValue("annotator_id", static_cast<qlonglong>(id));
}

QString MainWindow::progressText() const {
  int done = 0;
  const int total = m_images->count();
  for (int i = 0; i < total; ++i) done += m_images->item(i)->data(kDoneRole).toBool() ? 1 : 0;
  return tr("%1 of %2 done").arg(done).arg(total);
}

void MainWindow::refreshImages() {
  const int row = m_images->currentRow();
  m_images->clear();
  if (!m_store) return;
  // Each image's latest narrative, in one pass over them all.
  const auto narratives = m_store->list_narratives();  // oldest first: the last one seen is the latest
  std::map<std::pair<std::string, std::string>, const core::NarrativeEntry*> latest;
  for (const auto& n : narratives) latest[{n.dataset_id, n.image_id}] = &n;
  for (const auto& image : m_store->list_images()) {
    const auto it = latest.find({image.dataset_id, image.image_id});
    const core::NarrativeEntry* newest = it == latest.end() ? nullptr : it->second;
    const QString state = state_key(newest);
    const bool done = is_done(newest);
    auto* item = new QListWidgetItem(QString::fromStdString(image.image_id) + " \u2014 " +
                                     QCoreApplication::translate("state", state.toUtf8().constData()));
    item->setData(kDatasetRole, QString::fromStdString(image.dataset_id));
    item->setData(kImageRole, QString::fromStdString(image.image_id));
    item->setData(kDoneRole, done);
    item->setData(kStateRole, state);
    item->setIcon(thumbnail(image));
    m_images->addItem(item);
  }
  if (m_images->count() > 0) m_images->setCurrentRow(std::clamp(row, 0, m_images->count() - 1));
  applyFilter();
  updateStatus();
}

QIcon MainWindow::thumbnail(const core::ImageRecord& image) {
  // Keyed by content hash too, so a replaced file gets a new thumbnail.
  const QString key =
      QString::fromStdString(image.dataset_id + "/" + image.image_id + "#" + image.content_hash);
  if (const auto it = m_thumbnails.find(key); it != m_thumbnails.end()) return it->second;
  QIcon icon;
  if (const auto file = m_store->image_file(image.dataset_id, image.image_id)) {
    QImageReader reader(QString::fromStdString(file->string()));
    reader.setAutoTransform(true);  // EXIF orientation, as the store measures it
    const QSize size = reader.size();
    if (size.isValid())  // decode scaled down: JPEG decoders skip most of the work
      reader.setScaledSize(size.scaled(kThumbnailSide, kThumbnailSide, Qt::KeepAspectRatio));
    const QImage small = reader.read();
    if (!small.isNull()) icon = QIcon(QPixmap::fromImage(small));
  }
  m_thumbnails[key] = icon;
  return icon;
}

void MainWindow::applyFilter() {
  const QString wanted = m_filter->currentData().toString();
  for (int i = 0; i < m_images->count(); ++i) {
    auto* item = m_images->item(i);
    item->setHidden(!wanted.isEmpty() && item->data(kStateRole).toString() != wanted);
  }
}

void MainWindow::showSelectedImage() {
  auto* item = m_images->currentItem();
  if (!m_store || !item) return;
  const std::string dataset_id = item->data(kDatasetRole).toString().toStdString();
  const std::string image_id = item->data(kImageRole).toString().toStdString();
  const auto file = m_store->image_file(dataset_id, image_id);
  m_canvas->setImage(file ? QImage(QString::fromStdString(file->string())) : QImage());
  m_canvas->setTrace(nullptr, 0);
  m_canvas->setPointer(std::nullopt);
  if (m_session && m_session->isRecording()) return;
  // The image's narratives, newest first, for review.
  std::vector<std::pair<std::int64_t, QString>> entries;
  for (const auto& n : m_store->list_narratives(dataset_id, image_id)) {
    const auto status = core::to_string(n.status);
    entries.emplace_back(n.id,
                         tr("#%1 by annotator %2, %3")
                             .arg(n.id)
                             .arg(n.annotator_id)
                             .arg(QString::fromUtf8(status.data(), static_cast<qsizetype>(status.size()))));
  }
  std::reverse(entries.begin(), entries.end());
  // The narrative under review stays (the list is refreshed after Accept,
  // Reject and their undo); another image opens its newest.
  const std::int64_t reviewed = m_review->narrativeId();
  const bool keep =
      std::any_of(entries.begin(), entries.end(), [&](const auto& e) { return e.first == reviewed; });
  m_review->setNarratives(entries);
  if (entries.empty()) {
    m_review->clear();
    m_caption_stack->setCurrentWidget(m_caption);
  } else {
    reviewNarrative(keep ? reviewed : entries.front().first);
  }
  updateStatus();
}

std::optional<std::pair<core::Narrative, std::filesystem::path>> MainWindow::reviewedNarrative() const {
  if (!m_store || m_caption_stack->currentWidget() != m_review || !m_review->narrative()) return std::nullopt;
  const core::Narrative& narrative = *m_review->narrative();
  const auto file = m_store->image_file(narrative.dataset_id, narrative.image_id);
  if (!file) return std::nullopt;
  return std::pair{narrative, *file};
}

void MainWindow::reviewNarrative(std::int64_t id) {
  if (!m_store || (m_session && m_session->isRecording())) return;
  try {
    m_review->load(id, m_store->load_narrative(id));
    // The voice, where the project holds one, plays with the replay.
    const auto audio = m_store->audio_recordings(id);
    std::filesystem::path voice;
    if (!audio.empty()) {
      voice = audio.back().path;
      if (voice.is_relative()) voice = m_store->folder() / voice;
    } else if (const auto& named = m_review->narrative()->voice_recording; !named.empty()) {
      // An imported narrative names its voice as Google's data does
      // ("coco_val/coco_val_137576_93.ogg"): played if the project holds it there.
      if (const auto candidate = m_store->folder() / named; std::filesystem::is_regular_file(candidate))
        voice = candidate;
    }
    if (const QString why = m_review->setVoice(voice); !why.isEmpty())
      statusBar()->showMessage(tr("Replaying without the voice: %1").arg(why));
    m_caption_stack->setCurrentWidget(m_review);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
  }
  updateStatus();
}

void MainWindow::setReviewStatus(core::NarrativeStatus status) {
  if (!m_store || m_caption_stack->currentWidget() != m_review || m_review->narrativeId() == 0) return;
  const std::int64_t id = m_review->narrativeId();
  m_undo->push(new StatusCommand(*m_store, id, status, m_review->comment().toStdString(),
                                 [this] { refreshImages(); }));
}

QListWidgetItem* MainWindow::imageToRecord() {
  auto* item = m_images->currentItem();
  if (!m_session || !item) {
    statusBar()->showMessage(tr("Open a project and choose an image first"));
    return nullptr;
  }
  return m_session->isRecording() ? nullptr : item;
}

bool MainWindow::startSession(core::RecordingMode mode) {
  auto* item = imageToRecord();
  if (!item) return false;
  try {
    m_session->start(item->data(kDatasetRole).toString(), item->data(kImageRole).toString(), m_annotator_id,
                     mode);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return false;
  }
  return true;
}

void MainWindow::startSpeakAndPoint() {
  if (!startSession(core::RecordingMode::speak_and_point)) return;
  m_microphone = m_microphone_factory();
  const QString why =
      m_speak->startSpeaking(*m_microphone, m_session->voiceFile().value(), m_session->elapsed());
  if (!why.isEmpty()) {
    m_session->discard();
    m_microphone.reset();
    statusBar()->showMessage(
        tr("Cannot record your voice: %1. Type and Point (Ctrl+T) records without a microphone.").arg(why));
    return;
  }
  m_review->clear();
  m_caption_stack->setCurrentWidget(m_speak);
  m_images->setEnabled(false);
  m_canvas->setFocus();
  m_status_timer->start();
  updateStatus();
}

void MainWindow::stepSpeakAndPoint() {
  switch (m_speak->step()) {
    case SpeakAndPointPanel::Step::speaking:
      m_session->endTrace();
      m_speak->stopSpeaking();
      m_microphone.reset();
      replayWithVoice();
      statusBar()->showMessage(tr("Now type what you said while it plays back"), 5000);
      break;
    case SpeakAndPointPanel::Step::transcribing:
      if (!m_speak->startTapping()) {
        statusBar()->showMessage(tr("Type the transcript first"));
        return;
      }
      statusBar()->showMessage(tr("Press Space as you hear each word"), 5000);
      break;
    case SpeakAndPointPanel::Step::tapping:
    case SpeakAndPointPanel::Step::idle:
      break;
  }
  updateStatus();
}

void MainWindow::replayWithVoice() {
  m_spoken_replay.reset();
  m_spoken = core::Narrative();
  m_spoken.traces = m_session->capture().segments();
  m_spoken_replay.emplace(m_spoken);
  m_spoken_timer->start();
  showSpokenTrace();
}

void MainWindow::showSpokenTrace() {
  if (!m_spoken_replay) return;
  const double t = m_speak->playback()->position();
  m_canvas->setTrace(&m_spoken.traces, t);
  const auto pointer = m_spoken_replay->pointer_at(t);
  m_canvas->setPointer(pointer ? std::optional<QPointF>(QPointF(pointer->x, pointer->y)) : std::nullopt);
}

void MainWindow::startTypeAndPoint() {
  if (!startSession(core::RecordingMode::type_and_point)) return;
  beginTyping(core::TypedCaption());
}

void MainWindow::beginTyping(core::TypedCaption so_far) {
  m_review->clear();
  m_caption_stack->setCurrentWidget(m_caption);
  m_images->setEnabled(false);  // the image may not change under a recording
  m_caption->begin([this] { return m_session->elapsed(); }, std::move(so_far));
  connect(m_caption, &CaptionTyping::captionChanged, m_session.get(), [this] {
    m_session->setCaption(QString::fromStdString(m_caption->caption().caption()),
                          m_caption->caption().words());
  });
  m_caption->setFocus();
  m_status_timer->start();
  updateStatus();
}

void MainWindow::startRetrace() {
  auto* item = imageToRecord();
  if (!item) return;
  // The caption to re-trace: the image's latest narrative's.
  const auto narratives = m_store->list_narratives(item->data(kDatasetRole).toString().toStdString(),
                                                   item->data(kImageRole).toString().toStdString());
  if (narratives.empty()) {
    statusBar()->showMessage(
        tr("This image has no caption to re-trace: import one or record Type and Point"));
    return;
  }
  try {
    m_schedule.emplace(core::caption_words(m_store->load_narrative(narratives.back().id).caption),
                       m_retrace_wpm);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return;
  }
  if (!startSession(core::RecordingMode::retrace)) {
    m_schedule.reset();
    return;
  }
  saveRetraceCaption();
  QStringList shown;
  for (const auto& w : m_schedule->timed_words()) shown << QString::fromStdString(w.utterance);
  m_karaoke->setWords(shown);
  m_review->clear();
  m_caption_stack->setCurrentWidget(m_karaoke);
  m_images->setEnabled(false);
  m_karaoke_timer->start();
  m_status_timer->start();
  showRetraceProgress();
  updateStatus();
}

void MainWindow::saveRetraceCaption() {
  // The caption as shown, its words at the times they are shown: what Stop
  // saves, and what the journal keeps meanwhile.
  const auto words = m_schedule->timed_words();
  m_session->setCaption(QString::fromStdString(core::join_utterances(words)), words);
}

void MainWindow::changeRetracePace(double factor) {
  m_retrace_wpm = std::clamp(m_retrace_wpm * factor, core::RetraceSchedule::kMinWordsPerMinute,
                             core::RetraceSchedule::kMaxWordsPerMinute);
  QSettings().setValue("retrace_wpm", m_retrace_wpm);
  if (m_schedule && m_session && m_session->isRecording()) {
    m_schedule->set_pace(m_retrace_wpm, m_session->elapsed());
    saveRetraceCaption();
  }
  statusBar()->showMessage(tr("Re-trace pace: %1 words a minute").arg(m_retrace_wpm, 0, 'f', 0), 3000);
}

void MainWindow::showRetraceProgress() {
  if (!m_schedule || !m_session || !m_session->isRecording()) return;
  const auto word = m_schedule->word_at(m_session->elapsed());
  m_karaoke->setCurrent(word ? static_cast<int>(*word) : -1);
  if (!word) statusBar()->showMessage(tr("End of the caption: Ctrl+Return saves, Esc discards"));
}

void MainWindow::endRecordingUi() {
  m_spoken_timer->stop();
  m_spoken_replay.reset();
  m_canvas->setPointer(std::nullopt);
  m_speak->end();
  m_microphone.reset();
  m_caption->end();
  disconnect(m_caption, &CaptionTyping::captionChanged, m_session.get(), nullptr);
  m_karaoke_timer->stop();
  m_status_timer->stop();
  m_schedule.reset();
  m_caption_stack->setCurrentWidget(m_caption);
  m_images->setEnabled(true);
}

void MainWindow::stopRecording() {
  if (!m_session || !m_session->isRecording()) return;
  const bool spoken = m_session->mode() == core::RecordingMode::speak_and_point;
  if (spoken && m_speak->step() != SpeakAndPointPanel::Step::tapping) return stepSpeakAndPoint();
  QString caption;
  std::vector<core::TimedUtterance> words;
  auto extra = nlohmann::ordered_json::object();
  if (spoken) {
    caption = m_speak->transcript();
    words = m_speak->timedWords();
    if (auto record = m_speak->alignmentRecord()) extra[align::kAlignmentField] = std::move(*record);
  } else if (m_schedule) {
    words = m_schedule->timed_words();
    caption = QString::fromStdString(core::join_utterances(words));
  } else {
    caption = QString::fromStdString(m_caption->caption().caption());
    words = m_caption->caption().words();
  }
  try {
    const auto id = m_session->finish(caption, words, core::NarrativeStatus::draft, extra);
    statusBar()->showMessage(tr("Saved narrative %1").arg(id), 5000);
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
    return;
  }
  endRecordingUi();
  refreshImages();  // shows the image again: the new narrative, ready for review
}

void MainWindow::discardRecording() {
  if (!m_session || !m_session->isRecording()) return;
  endRecordingUi();  // closes the voice file before the journal deletes it
  m_session->discard();
  showSelectedImage();
  statusBar()->showMessage(tr("Recording discarded"), 5000);
}

void MainWindow::updateStatus() {
  const bool recording = m_session && m_session->isRecording();
  for (const char* name : {"stop-recording", "discard-recording"}) action(name)->setEnabled(recording);
  for (const char* name : {"speak-and-point", "type-and-point", "retrace"})
    action(name)->setEnabled(m_store.has_value() && !recording);
  const auto step = m_speak->step();
  const bool listening =
      step == SpeakAndPointPanel::Step::transcribing || step == SpeakAndPointPanel::Step::tapping;
  for (const char* name : {"play-recording", "skip-back", "skip-forward"})
    action(name)->setEnabled(listening);
  action("stop-recording")
      ->setText(step == SpeakAndPointPanel::Step::speaking       ? tr("&Stop Speaking")
                : step == SpeakAndPointPanel::Step::transcribing ? tr("&Done Typing")
                                                                 : tr("&Stop and Save"));
  showKeysInToolTip(action("stop-recording"));
  const bool reviewing = !recording && m_caption_stack->currentWidget() == m_review;
  for (const char* name : {"play", "accept", "reject"}) action(name)->setEnabled(reviewing);
  for (const char* name :
       {"add-images", "add-image-folder", "import", "export-all", "export-accepted", "annotator"})
    action(name)->setEnabled(m_store.has_value() && !recording);
  if (!recording) {
    m_state->setText(m_store ? progressText() : tr("No project open"));
    return;
  }
  if (step == SpeakAndPointPanel::Step::transcribing || step == SpeakAndPointPanel::Step::tapping) {
    m_state->setText(step == SpeakAndPointPanel::Step::tapping ? tr("Tapping words") : tr("Transcribing"));
    return;
  }
  const double seconds = m_session->elapsed();
  const auto points = m_session->capture().points();
  m_state->setText(tr("Recording %1 s \u00b7 %2 points \u00b7 %3 samples/s")
                       .arg(seconds, 0, 'f', 1)
                       .arg(points)
                       .arg(seconds > 0 ? static_cast<double>(points) / seconds : 0.0, 0, 'f', 0));
}

void MainWindow::showShortcuts() {
  QString text;
  for (const auto& [name, action] : m_actions)
    text += action->text().remove('&') + "\t" + action->shortcut().toString(QKeySequence::NativeText) + "\n";
  auto* box = new QMessageBox(QMessageBox::NoIcon, tr("Keyboard Shortcuts"), text, QMessageBox::Close, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setModal(false);  // never blocks a recording
  box->show();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (m_session && m_session->isRecording()) {
    m_session->flush();  // the journal keeps it for recovery
    m_speak->end();      // and the voice file, closed whole
  }
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  event->accept();
}

}  // namespace loctex::ui
