#include "ui/train_window.h"

#include <QCloseEvent>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>

#include "ui/inspect_view.h"
#include "ui/train_view.h"
#include "ui/training_run.h"

namespace loctex::ui {

TrainWindow::TrainWindow(QWidget* parent)
    : QMainWindow(parent), m_view(new TrainView), m_inspect(new InspectView), m_tabs(new QTabWidget) {
  setWindowTitle(tr("Training - LocTex Studio"));
  m_tabs->addTab(m_view, tr("&Train"));
  m_tabs->addTab(m_inspect, tr("&Inspect"));
  setCentralWidget(m_tabs);
  const auto show = [this](const QString& text) { statusBar()->showMessage(text); };
  connect(m_view, &TrainView::message, this, show);
  connect(m_inspect, &InspectView::message, this, show);
  // A run that ends is the one to inspect next.
  connect(m_view->run(), &TrainingRun::finished, this,
          [this] { m_inspect->setRun(QString::fromStdString(m_view->run()->config().output.string())); });
  // A run asked to stop on close closes the window when it has ended.
  connect(m_view->run(), &TrainingRun::stateChanged, this, [this](TrainingRun::State state) {
    if (m_close_when_done && (state == TrainingRun::State::finished || state == TrainingRun::State::failed)) {
      m_close_when_done = false;  // once: the window may be shown again
      close();
    }
  });
  resize(1280, 780);  // the settings, three charts and the preview side by side
  restoreGeometry(QSettings().value("train_window/geometry").toByteArray());
}

TrainWindow::~TrainWindow() {
  // Stopped and joined while the view and this window are whole: the run's
  // last signals must not reach widgets being destroyed.
  m_view->run()->stop();
  m_view->run()->wait();
}

void TrainWindow::showInspect() { m_tabs->setCurrentWidget(m_inspect); }

void TrainWindow::closeEvent(QCloseEvent* event) {
  QSettings().setValue("train_window/geometry", saveGeometry());
  if (!m_view->run()->active()) {
    event->accept();
    return;
  }
  event->ignore();
  if (m_close_when_done) return;  // already stopping
  auto* box = new QMessageBox(QMessageBox::Question, tr("Training is running"),
                              tr("Stop training and close? The run writes a checkpoint first, so it can be "
                                 "continued later."),
                              QMessageBox::NoButton, this);
  box->setObjectName("close-while-training");
  auto* stop = box->addButton(tr("Stop and Close"), QMessageBox::AcceptRole);
  box->addButton(tr("Keep Training"), QMessageBox::RejectRole);
  box->setAttribute(Qt::WA_DeleteOnClose);
  connect(box, &QMessageBox::buttonClicked, this, [this, stop](QAbstractButton* button) {
    if (button != stop) return;
    m_close_when_done = true;
    m_view->stop();
  });
  box->open();
}

}  // namespace loctex::ui
