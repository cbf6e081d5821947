// The recording session in a real (offscreen) window: synthetic mouse moves
// over a TraceCanvas become trace points with the right image coordinates,
// times and segments, the journal holds them after a flush, and finishing
// stores the narrative. Saves a screenshot of the canvas with its live trace.
#include "ui/recording_session.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QImage>
#include <QMouseEvent>
#include <QSignalSpy>
#include <QTest>
#include <QWheelEvent>

#include <cmath>
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/project_store.h"
#include "core/recording_journal.h"
#include "core/sqlite.h"
#include "qt_test_support.h"
#include "test_support.h"
#include "ui/trace_canvas.h"

namespace {

using namespace loctex;
using loctex::testing::TempDir;
namespace fs = std::filesystem;

class recording_session_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { loctex::testing::qt_app(); }  // before the fixture's widgets are made
  void SetUp() override {
    const fs::path file = m_dir / "shapes.jpg";
    cv::Mat image(240, 320, CV_8UC3, cv::Scalar(230, 230, 230));
    cv::circle(image, {100, 120}, 50, cv::Scalar(40, 40, 220), -1);
    cv::rectangle(image, cv::Rect(190, 60, 90, 90), cv::Scalar(200, 90, 30), -1);
    ASSERT_TRUE(cv::imwrite(file.string(), image));
    m_store.emplace(core::ProjectStore::create(m_dir / "project"));
    m_store->add_image(file, "demo", "shapes");
    m_image = QImage(QString::fromStdString(file.string()));
    ASSERT_FALSE(m_image.isNull());

    m_canvas.setImage(m_image);
    m_canvas.resize(480, 360);
    m_canvas.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&m_canvas));
    m_session.emplace(*m_store);
    m_session->setClock([this] { return m_now; });
    QObject::connect(&m_canvas, &ui::TraceCanvas::pointerMoved, &*m_session,
                     &ui::RecordingSession::addPointer);
    QObject::connect(&m_canvas, &ui::TraceCanvas::pointerLeft, &*m_session,
                     &ui::RecordingSession::pointerLeft);
    QObject::connect(&*m_session, &ui::RecordingSession::traceChanged, &m_canvas,
                     [this](double now) { m_canvas.setTrace(&m_session->capture().segments(), now); });
  }

  // A mouse move to image position (x, y) at time t, as the window system
  // would deliver it.
  void move_to(double x, double y, double t) {
    m_now = t;
    loctex::testing::move_pointer(m_canvas, {x, y});
  }

  TempDir m_dir;
  std::optional<core::ProjectStore> m_store;
  QImage m_image;
  ui::TraceCanvas m_canvas;
  std::optional<ui::RecordingSession> m_session;
  double m_now = 0;
};

TEST_F(recording_session_test, the_canvas_fits_the_image_and_its_band_and_maps_both_ways) {
  // 320×240 with a 10% band is 384×288, fitted into 480×360: scale 1.25.
  const QRectF r = m_canvas.imageRect();
  EXPECT_DOUBLE_EQ(r.width(), 400.0);
  EXPECT_DOUBLE_EQ(r.height(), 300.0);
  EXPECT_DOUBLE_EQ(r.left(), 40.0);
  EXPECT_DOUBLE_EQ(r.top(), 30.0);
  EXPECT_EQ(m_canvas.toImage({40, 30}), QPointF(0, 0));
  EXPECT_EQ(m_canvas.toImage({440, 330}), QPointF(1, 1));
  EXPECT_EQ(m_canvas.toImage(m_canvas.toWidget({0.25, 0.75})), QPointF(0.25, 0.75));
  // The band's outer edge is the widget's edge here.
  EXPECT_DOUBLE_EQ(m_canvas.toImage({0, 0}).x(), -0.1);
}

TEST_F(recording_session_test, zoom_keeps_the_point_under_the_cursor_and_moves_still_map_to_the_image) {
  const QRectF fitted = m_canvas.imageRect();
  const QPointF cursor(300, 200);
  const QPointF under = m_canvas.toImage(cursor);
  // Ctrl+wheel, one notch up: ×1.25 about the cursor.
  QWheelEvent wheel(cursor, m_canvas.mapToGlobal(cursor), QPoint(), QPoint(0, 120), Qt::NoButton,
                    Qt::ControlModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(&m_canvas, &wheel);
  EXPECT_DOUBLE_EQ(m_canvas.zoom(), 1.25);
  EXPECT_NEAR(m_canvas.imageRect().width(), fitted.width() * 1.25, 1e-9);
  EXPECT_NEAR(m_canvas.toImage(cursor).x(), under.x(), 1e-12);
  EXPECT_NEAR(m_canvas.toImage(cursor).y(), under.y(), 1e-12);
  // A recording made while zoomed stores image coordinates.
  m_session->start("demo", "shapes", 1, core::RecordingMode::type_and_point);
  move_to(0.7, 0.3, 0.0);
  EXPECT_NEAR(m_session->capture().segments().at(0).at(0).x, 0.7, 1.0 / m_canvas.imageRect().width());
  // A middle-button drag pans by the drag.
  const QPointF before = m_canvas.imageRect().topLeft();
  QTest::mousePress(&m_canvas, Qt::MiddleButton, Qt::NoModifier, QPoint(100, 100));
  QMouseEvent drag(QEvent::MouseMove, QPointF(130, 90), m_canvas.mapToGlobal(QPointF(130, 90)), Qt::NoButton,
                   Qt::MiddleButton, Qt::NoModifier);
  QApplication::sendEvent(&m_canvas, &drag);
  QTest::mouseRelease(&m_canvas, Qt::MiddleButton, Qt::NoModifier, QPoint(130, 90));
  EXPECT_EQ(m_canvas.imageRect().topLeft() - before, QPointF(30, -10));
  // Zoom is bounded, and fitting undoes zoom and pan.
  for (int i = 0; i < 20; ++i) m_canvas.zoomAt(2.0, cursor);
  EXPECT_DOUBLE_EQ(m_canvas.zoom(), ui::TraceCanvas::kMaxZoom);
  m_canvas.zoomToFit();
  EXPECT_EQ(m_canvas.imageRect(), fitted);
  m_canvas.zoomAt(0.5, cursor);  // not below fitted
  EXPECT_EQ(m_canvas.imageRect(), fitted);
}

TEST_F(recording_session_test, mouse_moves_become_the_trace_with_times_and_segments) {
  m_session->start("demo", "shapes", 4, core::RecordingMode::type_and_point);
  QSignalSpy changed(&*m_session, &ui::RecordingSession::traceChanged);
  // Along the circle, out of the band (to the widget's edge is still band:
  // leave the widget instead), back in over the square.
  const std::vector<core::TracePoint> first = {
      {0.3, 0.5, 0.0}, {0.32, 0.48, 1 / 60.0}, {0.35, 0.45, 2 / 60.0}};
  for (const auto& p : first) move_to(p.x, p.y, p.t);
  QEvent leave(QEvent::Leave);
  QApplication::sendEvent(&m_canvas, &leave);
  const std::vector<core::TracePoint> second = {{0.72, 0.4, 1.0}, {0.75, 0.42, 1.5}};
  for (const auto& p : second) move_to(p.x, p.y, p.t);
  EXPECT_EQ(changed.count(), 5);

  const auto& segments = m_session->capture().segments();
  ASSERT_EQ(segments.size(), 2u);
  ASSERT_EQ(segments[0].size(), first.size());
  ASSERT_EQ(segments[1].size(), second.size());
  // Event positions are widget pixels at scale 1.25: a position is kept to
  // within a pixel, a time exactly.
  const double pixel = 1.0 / m_canvas.imageRect().width();
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_NEAR(segments[0][i].x, first[i].x, pixel);
    EXPECT_NEAR(segments[0][i].y, first[i].y, pixel);
    EXPECT_EQ(segments[0][i].t, first[i].t);
  }
  EXPECT_EQ(segments[1][1].t, 1.5);

  // Nothing is in the project until a flush; then everything is.
  EXPECT_EQ(core::unfinished_recordings(*m_store).at(0).points, 0);
  QSignalSpy flushed(&*m_session, &ui::RecordingSession::flushed);
  m_session->flush();
  ASSERT_EQ(flushed.count(), 1);
  EXPECT_EQ(flushed.at(0).at(0).toLongLong(), 5);
  EXPECT_EQ(core::unfinished_recordings(*m_store).at(0).points, 5);
}

TEST_F(recording_session_test, the_live_trace_fades_out_behind_the_pointer) {
  m_session->start("demo", "shapes", 4, core::RecordingMode::speak_and_point);
  // Round the circle (centre 100,120, radius 50 of 320×240) in 3 s at 60 Hz,
  // then over to the square; the tail keeps the last 2 s.
  const double pi = 3.14159265358979;
  for (int i = 0; i <= 180; ++i) {
    const double a = 2 * pi * i / 180;
    move_to((100 + 60 * std::cos(a)) / 320, (120 + 60 * std::sin(a)) / 240, i / 60.0);
  }
  for (int i = 1; i <= 60; ++i)
    move_to((160 + 75.0 * i / 60) / 320, 120.0 / 240 - 0.1 * i / 60, 3 + i / 60.0);
  const QImage shot = m_canvas.grab().toImage();
  ASSERT_EQ(shot.size(), QSize(480, 360));
  // The newest stroke is drawn fully; where the pointer was 3.5 s ago
  // (the circle's right, at t = 0.5) nothing is left.
  const auto is_trace = [&](double x, double y) {
    const QColor c = shot.pixelColor(m_canvas.toWidget({x, y}).toPoint());
    return c.red() > 200 && c.green() > 150 && c.blue() < 80;
  };
  EXPECT_TRUE(is_trace((160 + 75.0 * 59.5 / 60) / 320, 120.0 / 240 - 0.1 * 59.5 / 60));
  const double a = 2 * pi * 30 / 180;
  EXPECT_FALSE(is_trace((100 + 60 * std::cos(a)) / 320, (120 + 60 * std::sin(a)) / 240));

  // The screenshot the README shows.
  EXPECT_TRUE(loctex::testing::save_screenshot(m_canvas, "trace_canvas"));
}

TEST_F(recording_session_test, finish_stores_the_narrative_with_the_captured_trace) {
  m_session->start("demo", "shapes", 4, core::RecordingMode::type_and_point);
  move_to(0.5, 0.5, 0.25);
  move_to(0.6, 0.5, 0.5);
  move_to(1.5, 0.5, 0.75);  // beyond the band: not recorded, and ends the segment
  move_to(0.6, 0.6, 1.0);
  const auto trace = m_session->capture().segments();
  const std::int64_t id =
      m_session->finish("a circle", {{"a", 0.2, 0.4}, {"circle", 0.4, 0.9}}, core::NarrativeStatus::done);
  EXPECT_FALSE(m_session->isRecording());
  const core::Narrative n = m_store->load_narrative(id);
  EXPECT_EQ(n.image_id, "shapes");
  EXPECT_EQ(n.annotator_id, 4);
  EXPECT_EQ(n.caption, "a circle");
  EXPECT_EQ(n.timed_caption.size(), 2u);
  EXPECT_EQ(n.traces, trace);
  ASSERT_EQ(n.traces.size(), 2u);
  EXPECT_TRUE(core::unfinished_recordings(*m_store).empty());
  EXPECT_EQ(m_store->narrative_entry(id).status, core::NarrativeStatus::done);
}

// A flush the store refuses (here a trigger stands in for a full disk)
// loses nothing: the session says why, keeps the points, refuses to finish
// without them, and writes them all with the next flush that succeeds.
TEST_F(recording_session_test, a_failed_flush_keeps_its_points_for_the_next_one) {
  m_session->start("demo", "shapes", 1, core::RecordingMode::type_and_point);
  move_to(0.1, 0.1, 0.0);
  move_to(0.2, 0.1, 0.1);
  core::sqlite::Database other(m_store->database_path(), core::sqlite::Database::OpenMode::existing);
  other.execute(
      "CREATE TRIGGER full_disk BEFORE INSERT ON recording_points BEGIN SELECT RAISE(ABORT, 'disk is full'); "
      "END");
  QSignalSpy failed(&*m_session, &ui::RecordingSession::failed);
  QSignalSpy flushed(&*m_session, &ui::RecordingSession::flushed);
  m_session->flush();
  ASSERT_EQ(failed.count(), 1);
  EXPECT_TRUE(failed.at(0).at(0).toString().contains("disk is full"))
      << failed.at(0).at(0).toString().toStdString();
  EXPECT_EQ(flushed.count(), 0);
  EXPECT_EQ(core::unfinished_recordings(*m_store).at(0).points, 0);
  move_to(0.3, 0.1, 0.2);
  EXPECT_THROW(m_session->finish("a", {}), std::runtime_error);  // its last points are not written
  EXPECT_TRUE(m_session->isRecording());

  other.execute("DROP TRIGGER full_disk");
  m_session->flush();
  ASSERT_EQ(flushed.count(), 1);
  EXPECT_EQ(flushed.at(0).at(0).toLongLong(), 3);
  const auto id = m_session->finish("a", {});
  EXPECT_EQ(m_store->load_narrative(id).traces.at(0).size(), 3u);
}

TEST_F(recording_session_test, a_timer_flushes_without_being_asked) {
  m_session->start("demo", "shapes", 1, core::RecordingMode::retrace);
  move_to(0.5, 0.5, 0.0);
  QSignalSpy flushed(&*m_session, &ui::RecordingSession::flushed);
  // The flush timer runs on the event loop: wait for its signal, not for a time.
  ASSERT_TRUE(flushed.wait(5000));
  EXPECT_EQ(core::unfinished_recordings(*m_store).at(0).points, 1);
  m_session->discard();
  EXPECT_TRUE(core::unfinished_recordings(*m_store).empty());
}

TEST_F(recording_session_test, moves_before_start_are_not_recorded) {
  move_to(0.5, 0.5, 0.0);
  EXPECT_EQ(m_session->capture().points(), 0);
  EXPECT_THROW(m_session->start("demo", "missing", 1, core::RecordingMode::retrace), std::invalid_argument);
  EXPECT_FALSE(m_session->isRecording());
}

}  // namespace
