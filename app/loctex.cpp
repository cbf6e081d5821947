// loctex: the annotation app. Opens the project given on the command line,
// or the last one.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

#include "ui/main_window.h"
#ifdef LOCTEX_HAS_TRAINER
#include <QAction>
#include <QStatusBar>

#include "ui/inspect_view.h"
#include "ui/train_view.h"
#include "ui/train_window.h"
#endif

int main(int argc, char** argv) {
  // Every mouse sample is part of the trace: no merging of moves that
  // arrive together (docs/recording.md).
  QCoreApplication::setAttribute(Qt::AA_CompressHighFrequencyEvents, false);
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName("LocTex Studio");
  QCoreApplication::setApplicationName("loctex");

  QCommandLineParser parser;
  parser.setApplicationDescription(
      "Record, replay and review localized narratives.\n\n"
      "Examples:\n"
      "  loctex demo/project    open the demo's project (bash scripts/demo.sh makes it)\n"
      "  loctex                 open the last project\n\n"
      "Tools > Training (Ctrl+Shift+L) trains and inspects models; Tools > Inspect Narrative with Model\n"
      "(Ctrl+Shift+M) shows a model's attention on the narrative under review (docs/trainer.md).\n\n"
      "Exit code: 0 when the window is closed. docs/recording.md describes the recording modes.");
  parser.addHelpOption();
  parser.addPositionalArgument("project", "Project folder to open (default: the last one)");
  parser.process(app);

  loctex::ui::MainWindow window;
#ifdef LOCTEX_HAS_TRAINER
  // Training has a window of its own, made when first asked for.
  loctex::ui::TrainWindow* training = nullptr;
  // Its Build from Project builds the project open now, not the one open
  // when it was first shown.
  QObject::connect(&window, &loctex::ui::MainWindow::projectOpened, &window,
                   [&training](const QString& folder) {
                     if (training) training->view()->setProject(folder);
                   });
  QObject::connect(
      window.addToolAction("train", QObject::tr("&Training..."), QKeySequence(QObject::tr("Ctrl+Shift+L"))),
      &QAction::triggered, &window, [&training, &window] {
        if (!training) training = new loctex::ui::TrainWindow;
        training->view()->setProject(window.projectFolder());  // "Build from Project" builds this one
        training->show();
        training->raise();
      });
  // The narrative under review against a model: Inspect, on that narrative.
  QObject::connect(
      window.addToolAction("inspect-narrative", QObject::tr("&Inspect Narrative with Model..."),
                           QKeySequence(QObject::tr("Ctrl+Shift+M"))),
      &QAction::triggered, &window, [&training, &window] {
        const auto reviewed = window.reviewedNarrative();
        if (!reviewed) {
          window.statusBar()->showMessage(QObject::tr("Choose a narrative (with its image) to review first"));
          return;
        }
        if (!training) training = new loctex::ui::TrainWindow;
        training->view()->setProject(window.projectFolder());
        training->show();
        training->raise();
        training->showInspect();
        training->inspect()->openNarrative(reviewed->first, reviewed->second);
      });
#endif
  const QStringList args = parser.positionalArguments();
  const QString project = args.isEmpty() ? QSettings().value("project").toString() : args.front();
  if (!project.isEmpty()) window.openProject(project);
  window.show();
  const int status = app.exec();
#ifdef LOCTEX_HAS_TRAINER
  delete training;  // stops a run still going, after its checkpoint
#endif
  return status;
}
