#pragma once
// Where the annotator types the caption in Type and point. Each keystroke is
// timed by the recording's clock as it happens, so every word spans from its
// first keystroke to the one that ends it (core::TypedCaption). Typing only
// appends; Backspace takes back the last character. Corrections elsewhere
// belong to review.

#include <QWidget>

#include <functional>

#include "core/typed_caption.h"

namespace loctex::ui {

class CaptionTyping : public QWidget {
  Q_OBJECT

 public:
  using Clock = std::function<double()>;

  explicit CaptionTyping(QWidget* parent = nullptr);

  // Starts a new caption timed by `clock`; typing is ignored without one.
  void begin(Clock clock);
  // Goes on typing after `so_far` (a recovered recording's words).
  void begin(Clock clock, core::TypedCaption so_far);
  // Stops taking keystrokes; the caption stays until the next begin().
  void end();
  bool active() const { return static_cast<bool>(m_clock); }
  const core::TypedCaption& caption() const { return m_caption; }

  QSize sizeHint() const override { return {480, 72}; }

 Q_SIGNALS:
  void captionChanged();

 protected:
  void keyPressEvent(QKeyEvent* event) override;
  void paintEvent(QPaintEvent* event) override;

 private:
  Clock m_clock;
  core::TypedCaption m_caption;
};

}  // namespace loctex::ui
