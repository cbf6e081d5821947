#pragma once
// The image an annotator points at, with the recorded band around it, and
// the trace drawn live with a fading tail. The canvas only reports where the
// pointer is, normalised to the image (origin top-left, 1.0 = full width or
// height; the band lies outside [0, 1]); what is recorded is decided by
// core::TraceCapture in the recording session.
//
// Localized Narratives keeps every mouse sample: the application must turn
// off Qt's event compression (Qt::AA_CompressHighFrequencyEvents) before it
// creates its QApplication, or moves that arrive together are merged.

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QWidget>

#include <optional>
#include <vector>

#include "core/narrative.h"

namespace loctex::ui {

class TraceCanvas : public QWidget {
  Q_OBJECT

 public:
  explicit TraceCanvas(QWidget* parent = nullptr);

  void setImage(const QImage& image);
  const QImage& image() const { return m_image; }
  // The band drawn around the image and kept free for pointing, as a share
  // of the image's width and height (Localized Narratives: 0.1).
  void setBand(double band);
  double band() const { return m_band; }

  // Where the image is drawn, in widget pixels: fitted with its band into
  // the widget, centred, aspect kept; then zoomed and panned.
  QRectF imageRect() const;

  // Zoom (1 = fitted, up to kMaxZoom) about a widget point, which stays over
  // the same image point; the pan moves the image by widget pixels. Ctrl+wheel
  // zooms at the cursor and a middle-button drag pans. Coordinates reported
  // while zoomed are image coordinates as always.
  static constexpr double kMaxZoom = 8.0;
  void zoomAt(double factor, const QPointF& widget_pos);
  void zoomToFit();
  double zoom() const { return m_zoom; }
  void panBy(const QPointF& delta);
  // A widget position as image coordinates, and back.
  QPointF toImage(const QPointF& widget_pos) const;
  QPointF toWidget(const QPointF& image_pos) const;

  // The trace to draw (normally the recording's), and the time of the last
  // sample; points older than `tail_seconds` before it fade out.
  void setTrace(const std::vector<core::TraceSegment>* segments, double now, double tail_seconds = 2.0);

  // One word's trace heatmap (grid×grid, rows down in y, as core/heatmap.h
  // renders it) laid over the image, and the word's part of the trace drawn
  // over everything; an empty map clears both.
  void setWordFocus(std::vector<double> heatmap, int grid, std::vector<core::TracePoint> word_trace);
  const std::vector<double>& heatmap() const { return m_heatmap; }

  // A marker where the pointer is in a replay (image coordinates); nullopt
  // hides it.
  void setPointer(std::optional<QPointF> image_pos);
  std::optional<QPointF> pointer() const { return m_pointer; }

  QSize sizeHint() const override;

 Q_SIGNALS:
  void pointerMoved(QPointF image_pos);
  void pointerLeft();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;

 private:
  QImage m_image;
  double m_band = 0.1;
  const std::vector<core::TraceSegment>* m_segments = nullptr;
  double m_now = 0;
  double m_tail = 2.0;
  std::optional<QPointF> m_pointer;
  double m_zoom = 1.0;
  QPointF m_pan;                        // widget pixels
  std::optional<QPointF> m_pan_anchor;  // during a middle-button drag
  std::vector<double> m_heatmap;
  QImage m_heat_image;
  std::vector<core::TracePoint> m_word_trace;
};

}  // namespace loctex::ui
