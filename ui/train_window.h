#pragma once
// The app's training window: a Train tab (the train view) and an Inspect tab
// (a checkpoint's attention against the traces), with a status bar. Closing
// it while a run is going asks first, in a box that does not block: stop the
// run (it writes its checkpoint) and close once it has, or keep training.

#include <QMainWindow>

class QTabWidget;

namespace loctex::ui {

class InspectView;
class TrainView;

class TrainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit TrainWindow(QWidget* parent = nullptr);
  // Stops a run still going (after its checkpoint) and waits for it.
  ~TrainWindow() override;
  TrainView* view() const { return m_view; }
  InspectView* inspect() const { return m_inspect; }
  // Shows the Inspect tab.
  void showInspect();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  TrainView* m_view;
  InspectView* m_inspect;
  QTabWidget* m_tabs;
  bool m_close_when_done = false;
};

}  // namespace loctex::ui
