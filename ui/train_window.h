#pragma once
// The app's training window: the train view with a status bar. Closing it
// while a run is going asks first, in a box that does not block: stop the
// run (it writes its checkpoint) and close once it has, or keep training.

#include <QMainWindow>

namespace loctex::ui {

class TrainView;

class TrainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit TrainWindow(QWidget* parent = nullptr);
  TrainView* view() const { return m_view; }

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  TrainView* m_view;
  bool m_close_when_done = false;
};

}  // namespace loctex::ui
