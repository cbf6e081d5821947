#pragma once
// The microphone's live level while speaking: a bar on a decibel scale
// (-60 dBFS to 0) that rises at once and falls back slowly, as audio tools
// draw it, so a voice reads as a steady bar and silence as none.

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

namespace loctex::ui {

class LevelMeter : public QWidget {
  Q_OBJECT

 public:
  static constexpr double kFloorDb = -60;
  static constexpr double kFallDbPerSecond = 30;

  explicit LevelMeter(QWidget* parent = nullptr);

  // The bar's fill, 0 (at or below the floor) to 1 (full scale).
  double fill() const;
  QSize sizeHint() const override { return {120, 14}; }

 public Q_SLOTS:
  // A block's peak, 0 to 1 of full scale.
  void setPeak(double peak);

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  double m_db = kFloorDb;  // the shown level when last set
  QElapsedTimer m_since;   // time since, for the fall
  QTimer m_redraw;         // 30 frames a second while the bar shows
};

}  // namespace loctex::ui
