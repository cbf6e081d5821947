#pragma once
// What the app's tests share: one offscreen QApplication per process, mouse
// moves over a TraceCanvas as the window system delivers them, a microphone
// the test speaks into, and screenshots saved where the docs take them from.

#include <QApplication>
#include <QMouseEvent>
#include <QString>
#include <QWidget>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include "ui/microphone.h"
#include "ui/trace_canvas.h"

namespace loctex::testing {

// Made on first use, so that listing the tests needs no display (and the
// offscreen platform needs none either). Mouse moves are not merged, as in
// the app; settings go to the test's own organisation, not the user's.
inline QApplication& qt_app() {
  static int argc = 1;
  static char name[] = "loctex_ui_test";
  static char* argv[] = {name, nullptr};
  static QApplication* instance = [] {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QCoreApplication::setAttribute(Qt::AA_CompressHighFrequencyEvents, false);
    auto* app = new QApplication(argc, argv);
    QCoreApplication::setOrganizationName("LocTex Studio tests");
    QCoreApplication::setApplicationName("loctex_ui_test");
    return app;
  }();
  return *instance;
}

// A mouse move (no button) to image position `image_pos` of the canvas.
inline void move_pointer(ui::TraceCanvas& canvas, QPointF image_pos) {
  const QPointF pos = canvas.toWidget(image_pos);
  QMouseEvent event(QEvent::MouseMove, pos, canvas.mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                    Qt::NoModifier);
  QApplication::sendEvent(&canvas, &event);
}

// A microphone whose samples the test delivers (say()), or one that is
// missing (a non-empty `problem`, which start() returns).
class FakeMicrophone : public ui::Microphone {
 public:
  explicit FakeMicrophone(int rate = 16000, QString problem = {})
      : m_rate(rate), m_problem(std::move(problem)) {}
  QString start(Sink sink) override {
    if (m_problem.isEmpty()) m_sink = std::move(sink);
    return m_problem;
  }
  void stop() override { m_sink = nullptr; }
  int sampleRate() const override { return m_rate; }
  bool open() const { return static_cast<bool>(m_sink); }
  void say(std::span<const std::int16_t> samples) {
    if (m_sink) m_sink(samples);
  }

 private:
  int m_rate;
  QString m_problem;
  Sink m_sink;
};

// Saves `widget` as build/tests/screenshots/NAME.png; false if it could not.
inline bool save_screenshot(QWidget& widget, const std::string& name) {
  const auto folder = std::filesystem::path(LOCTEX_TEST_BINARY_DIR) / "screenshots";
  std::filesystem::create_directories(folder);
  return widget.grab().save(QString::fromStdString((folder / (name + ".png")).string()));
}

}  // namespace loctex::testing
