// Training in the app, offscreen, on 40 synthetic narratives and a tiny
// model: the run goes on its own thread and reports every step; pause holds
// it between steps and resume goes on from there; stop writes a checkpoint
// that a resumed run continues from; a failure is reported, not a crash;
// the view charts every term; closing the window while training asks first.
#include <gtest/gtest.h>

#include <QChart>
#include <QComboBox>
#include <QImage>
#include <QLineEdit>
#include <QLineSeries>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>

#include <filesystem>
#include <vector>

#include "core/ln_jsonl.h"
#include "core/project_store.h"
#include "qt_test_support.h"
#include "test_support.h"
#include "trainer_support.h"
#include "ui/attention_preview.h"
#include "ui/dataset_build.h"
#include "ui/inspect_view.h"
#include "ui/train_view.h"
#include "ui/train_window.h"
#include "ui/training_run.h"

namespace {

using namespace loctex;
using loctex::testing::TempDir;
using State = ui::TrainingRun::State;
namespace fs = std::filesystem;

constexpr int kTimeoutMs = 120'000;  // a generous bound on a few tiny steps, never a measure

class train_view_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    loctex::testing::qt_app();
    s_dir = new TempDir;
    loctex::testing::build_synthetic_shards(s_dir->path());
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }
  void SetUp() override {
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(m_dir.path().string()));
    QSettings().clear();
  }
  trainer::TrainConfig tiny(const std::string& run) const {
    return loctex::testing::tiny_config(*s_dir / "shards", m_dir / run);
  }
  // The steps of every progress signal so far.
  static std::vector<qint64> steps_of(const QSignalSpy& progress) {
    std::vector<qint64> steps;
    for (const auto& args : progress) steps.push_back(args.at(0).value<trainer::StepMetrics>().step);
    return steps;
  }
  static std::vector<qint64> range(qint64 first, qint64 last) {
    std::vector<qint64> out;
    for (qint64 s = first; s <= last; ++s) out.push_back(s);
    return out;
  }

  static inline TempDir* s_dir = nullptr;
  TempDir m_dir;
};

TEST_F(train_view_test, a_run_reports_every_step_from_its_thread_and_finishes_with_a_checkpoint) {
  ui::TrainingRun run;
  QSignalSpy started(&run, &ui::TrainingRun::started);
  QSignalSpy progress(&run, &ui::TrainingRun::progress);
  QSignalSpy finished(&run, &ui::TrainingRun::finished);
  ASSERT_TRUE(run.start(tiny("run")));
  EXPECT_EQ(run.state(), State::running);
  EXPECT_FALSE(run.start(tiny("other")));  // one run at a time
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  ASSERT_EQ(started.count(), 1);
  EXPECT_EQ(started.at(0).at(0).toLongLong(), 0);
  EXPECT_EQ(started.at(0).at(1).toLongLong(), 6);
  EXPECT_EQ(steps_of(progress), range(1, 6));
  const auto summary = finished.at(0).at(0).value<trainer::TrainSummary>();
  EXPECT_TRUE(summary.finished);
  EXPECT_EQ(summary.steps, 6);
  EXPECT_TRUE(fs::exists(summary.checkpoint));
  EXPECT_EQ(run.state(), State::finished);
  const auto last = progress.last().at(0).value<trainer::StepMetrics>();
  EXPECT_TRUE(last.terms.count("contrastive") && last.terms.count("trace_attention"));
}

TEST_F(train_view_test, pause_holds_the_run_between_steps_and_resume_goes_on_from_there) {
  // Steps enough that the run cannot end before the window hears of step 2.
  auto config = tiny("run");
  config.optim.steps = 100000;
  config.checkpoint_every = 100000;
  ui::TrainingRun run;
  QSignalSpy progress(&run, &ui::TrainingRun::progress);
  QSignalSpy paused(&run, &ui::TrainingRun::paused);
  QSignalSpy finished(&run, &ui::TrainingRun::finished);
  QObject::connect(&run, &ui::TrainingRun::progress, &run, [&run](const trainer::StepMetrics& m) {
    if (m.step == 2) run.pause();
  });
  ASSERT_TRUE(run.start(config));
  ASSERT_TRUE(paused.wait(kTimeoutMs));
  EXPECT_EQ(run.state(), State::paused);
  const qint64 held = paused.at(0).at(0).toLongLong();
  EXPECT_GE(held, 2);
  // Everything up to the held step has arrived, and nothing after it.
  ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() == held; }, kTimeoutMs));
  EXPECT_EQ(steps_of(progress), range(1, held));
  EXPECT_TRUE(finished.isEmpty());
  run.resume();
  EXPECT_EQ(run.state(), State::running);
  ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() >= held + 3; }, kTimeoutMs));
  run.stop();
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  const auto summary = finished.at(0).at(0).value<trainer::TrainSummary>();
  EXPECT_EQ(steps_of(progress), range(1, summary.steps));  // no step lost or repeated
}

TEST_F(train_view_test, stop_ends_with_a_checkpoint_that_a_resumed_run_continues_from) {
  auto config = tiny("run");
  config.checkpoint_every = 100;  // only the stop writes one before the end
  ui::TrainingRun run;
  QSignalSpy finished(&run, &ui::TrainingRun::finished);
  QObject::connect(&run, &ui::TrainingRun::progress, &run, [&run](const trainer::StepMetrics& m) {
    if (m.step == 2) run.stop();
  });
  ASSERT_TRUE(run.start(config));
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  const auto stopped = finished.at(0).at(0).value<trainer::TrainSummary>();
  EXPECT_FALSE(stopped.finished);
  EXPECT_GE(stopped.steps, 2);
  EXPECT_LT(stopped.steps, 6);
  ASSERT_TRUE(fs::exists(stopped.checkpoint));

  ui::TrainingRun again;
  QSignalSpy started(&again, &ui::TrainingRun::started);
  QSignalSpy done(&again, &ui::TrainingRun::finished);
  ASSERT_TRUE(again.start(config, /*resume=*/true));
  ASSERT_TRUE(done.wait(kTimeoutMs));
  EXPECT_EQ(started.at(0).at(0).toLongLong(), stopped.steps);
  EXPECT_TRUE(done.at(0).at(0).value<trainer::TrainSummary>().finished);
}

TEST_F(train_view_test, a_failing_run_says_why_and_the_app_goes_on) {
  auto config = tiny("run");
  config.data.shards = m_dir / "no-such-dataset";
  ui::TrainingRun run;
  QSignalSpy failed(&run, &ui::TrainingRun::failed);
  ASSERT_TRUE(run.start(config));
  ASSERT_TRUE(failed.wait(kTimeoutMs));
  const QString why = failed.at(0).at(0).toString();
  EXPECT_TRUE(why.contains("no-such-dataset")) << why.toStdString();
  EXPECT_EQ(run.state(), State::failed);
  EXPECT_TRUE(run.start(tiny("run")));  // a new run can start
  run.stop();
}

// Sets the view's form to the tiny run (64 px, 1/8 width, batch 8, `steps`).
void set_tiny_form(ui::TrainView& view, const fs::path& shards, const fs::path& output, int steps) {
  view.setDataset(QString::fromStdString(shards.string()));
  view.setOutput(QString::fromStdString(output.string()));
  view.findChild<QSpinBox*>("train-steps")->setValue(steps);
  view.findChild<QSpinBox*>("train-batch")->setValue(8);
  auto* size = view.findChild<QComboBox*>("train-image-size");
  size->setCurrentIndex(size->findData(64));
  auto* width = view.findChild<QComboBox*>("train-width");
  width->setCurrentIndex(width->findData(0.125));
}

TEST_F(train_view_test, the_view_charts_every_term_the_rate_and_the_speed_as_it_trains) {
  ui::TrainWindow window;
  window.resize(1280, 780);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ui::TrainView& view = *window.view();
  set_tiny_form(view, *s_dir / "shards", m_dir / "run", 100000);  // never ends before the pause
  view.findChild<QSpinBox*>("train-preview-every")->setValue(10);
  view.findChild<QSpinBox*>("train-eval-every")->setValue(10);
  const auto config = view.config();
  EXPECT_EQ(config.optim.steps, 100000);
  EXPECT_EQ(config.model.image_size, 64);
  EXPECT_DOUBLE_EQ(config.objectives.trace_attention, 1.0);
  QSignalSpy progress(view.run(), &ui::TrainingRun::progress);
  QSignalSpy paused(view.run(), &ui::TrainingRun::paused);
  QSignalSpy finished(view.run(), &ui::TrainingRun::finished);
  QSignalSpy evaluated(view.run(), &ui::TrainingRun::evaluated);
  int reports = 0;  // the view logs every 10 steps (the trainer's default)
  QObject::connect(view.run(), &ui::TrainingRun::progress, &view, [&view, &reports] {
    if (++reports == 3) view.togglePause();
  });
  QTest::mouseClick(view.findChild<QPushButton*>("train-start"), Qt::LeftButton);
  ASSERT_TRUE(paused.wait(kTimeoutMs));
  const qint64 held = paused.at(0).at(0).toLongLong();
  ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() == held / 10; }, kTimeoutMs));
  EXPECT_EQ(view.findChild<QPushButton*>("train-pause")->text(), "Resume");
  EXPECT_FALSE(view.findChild<QPushButton*>("train-start")->isEnabled());
  for (const char* name : {"loss", "contrastive", "trace_attention", "lr", "samples/s"}) {
    ASSERT_NE(view.series(name), nullptr) << name;
    EXPECT_EQ(view.series(name)->count(), progress.count()) << name;
  }
  const auto first = progress.at(0).at(0).value<trainer::StepMetrics>();
  EXPECT_EQ(first.step, 10);
  EXPECT_EQ(view.series("loss")->at(0), QPointF(10, first.loss));
  EXPECT_EQ(view.series("lr")->at(0), QPointF(10, first.lr));
  EXPECT_TRUE(view.progressText().startsWith(QString("Step %1 of 100000").arg(progress.count() * 10)))
      << view.progressText().toStdString();
  EXPECT_TRUE(view.progressText().contains("ETA")) << view.progressText().toStdString();
  // An evaluation every 10 steps, charted.
  ASSERT_TRUE(QTest::qWaitFor([&] { return evaluated.count() == held / 10; }, kTimeoutMs));
  for (const char* name :
       {"R@1 i\u2192t", "R@5 i\u2192t", "R@10 i\u2192t", "R@1 t\u2192i", "pointing", "chance"}) {
    ASSERT_NE(view.series(QString::fromUtf8(name)), nullptr) << name;
    EXPECT_EQ(view.series(QString::fromUtf8(name))->count(), evaluated.count()) << name;
  }
  const auto point = evaluated.last().at(0).value<trainer::EvalPoint>();
  EXPECT_EQ(point.step, held);
  EXPECT_EQ(view.series("pointing")->points().last(),
            QPointF(static_cast<double>(held), point.pointing_accuracy));
  // Previews before the first step and every 10 steps, the newest shown:
  // the first sample's first traced word, model beside trace, 192 px tiles.
  ui::AttentionPreview& preview = *view.preview();
  ASSERT_TRUE(QTest::qWaitFor([&] { return preview.count() == held / 10 + 1; }, kTimeoutMs));
  EXPECT_EQ(preview.shownStep(), held);
  EXPECT_EQ(preview.image().width(), 2 * 192);
  EXPECT_GT(preview.image().height(), 192);
  EXPECT_TRUE(loctex::testing::save_screenshot(window, "train_window"));
  auto* history = preview.findChild<QSlider*>("preview-history");
  history->setValue(0);  // back to the model before its first step
  EXPECT_EQ(preview.shownStep(), 0);
  const QImage untrained = preview.image();
  history->setValue(history->maximum());
  EXPECT_NE(preview.image(), untrained);  // the attention has changed since
  history->setValue(1);                   // looking back: new previews do not move the view
  QTest::mouseClick(view.findChild<QPushButton*>("train-pause"), Qt::LeftButton);  // resume
  ASSERT_TRUE(QTest::qWaitFor([&] { return progress.count() >= held / 10 + 2; }, kTimeoutMs));
  QTest::mouseClick(view.findChild<QPushButton*>("train-stop"), Qt::LeftButton);
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  const auto summary = finished.at(0).at(0).value<trainer::TrainSummary>();
  EXPECT_EQ(view.series("loss")->count(), progress.count());
  EXPECT_GT(preview.count(), held / 10 + 1);
  EXPECT_EQ(preview.shownStep(), 10);
  EXPECT_TRUE(view.findChild<QPushButton*>("train-start")->isEnabled());
  EXPECT_TRUE(window.statusBar()->currentMessage().startsWith(
      QString("Training stopped at step %1").arg(summary.steps)))
      << window.statusBar()->currentMessage().toStdString();
}

TEST_F(train_view_test, a_data_set_is_built_from_the_open_project_with_progress_and_trained_on) {
  // A project of the 40 synthetic narratives (imported as done), one left a draft.
  const fs::path project = m_dir / "project";
  {
    auto store = core::ProjectStore::create(project);
    core::ImportOptions import;
    import.image_folder = *s_dir / "synth/images";
    ASSERT_EQ(store.import_jsonl(*s_dir / "synth/narratives.jsonl", import).imported, 40u);
    store.set_status(store.list_narratives().front().id, core::NarrativeStatus::draft);
  }
  ui::TrainWindow window;
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ui::TrainView& view = *window.view();
  auto* build = view.findChild<QPushButton*>("train-build");
  EXPECT_FALSE(build->isEnabled());  // no project yet
  view.setProject(QString::fromStdString(project.string()));
  ASSERT_TRUE(build->isEnabled());
  QSignalSpy progress(view.build(), &ui::DatasetBuild::progress);
  QSignalSpy finished(view.build(), &ui::DatasetBuild::finished);
  QTest::mouseClick(build, Qt::LeftButton);
  EXPECT_FALSE(build->isEnabled());  // one build at a time
  EXPECT_FALSE(view.findChild<QPushButton*>("train-start")->isEnabled());
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  const auto summary = finished.at(0).at(0).value<pipeline::BuildSummary>();
  EXPECT_EQ(summary.excluded, 1u);  // the draft
  EXPECT_EQ(summary.train_samples + summary.val_samples, 39u);
  EXPECT_GT(summary.val_samples, 0u);
  EXPECT_EQ(summary.output.parent_path(), project / "datasets");
  EXPECT_TRUE(fs::exists(summary.output / "manifest.json"));
  ASSERT_GT(progress.count(), 0);
  EXPECT_EQ(progress.last().at(0).toULongLong(), 40u);  // every record read
  auto* bar = view.findChild<QProgressBar*>("train-build-progress");
  EXPECT_EQ(bar->value(), bar->maximum());
  EXPECT_EQ(view.findChild<QLineEdit*>("train-dataset")->text().toStdString(), summary.output.string());
  EXPECT_TRUE(window.statusBar()->currentMessage().contains("1 narratives not done or accepted left out"))
      << window.statusBar()->currentMessage().toStdString();

  // And the new data set trains.
  set_tiny_form(view, summary.output, m_dir / "run", 3);
  QSignalSpy trained(view.run(), &ui::TrainingRun::finished);
  view.start();
  ASSERT_TRUE(trained.wait(kTimeoutMs));
  EXPECT_TRUE(trained.at(0).at(0).value<trainer::TrainSummary>().finished);
}

TEST_F(train_view_test, inspect_browses_a_checkpoints_samples_with_words_sorted_by_disagreement) {
  ui::TrainWindow window;
  window.resize(1280, 780);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  // A run trained in the window is the one the Inspect tab opens next.
  set_tiny_form(*window.view(), *s_dir / "shards", m_dir / "run", 6);
  QSignalSpy trained(window.view()->run(), &ui::TrainingRun::finished);
  window.view()->start();
  ASSERT_TRUE(trained.wait(kTimeoutMs));
  ui::InspectView& inspect = *window.inspect();
  EXPECT_EQ(inspect.findChild<QLineEdit*>("inspect-run")->text().toStdString(), (m_dir / "run").string());
  window.showInspect();

  QSignalSpy opened(&inspect, &ui::InspectView::opened);
  inspect.findChild<QSpinBox*>("inspect-count")->setValue(3);
  QTest::mouseClick(inspect.findChild<QPushButton*>("inspect-open"), Qt::LeftButton);
  ASSERT_TRUE(opened.wait(kTimeoutMs));
  const auto& inspection = *inspect.inspection();
  EXPECT_EQ(inspection.step, 6);
  auto* samples = inspect.findChild<QListWidget*>("inspect-samples");
  ASSERT_EQ(samples->count(), static_cast<int>(inspection.samples.size()));
  ASSERT_EQ(samples->count(), 3);  // the count asked for
  EXPECT_TRUE(samples->item(0)->text().startsWith(QString::fromStdString(inspection.samples[0].key)));
  // The words of the sample shown, most disagreeing first, with hit or miss.
  auto* words = inspect.findChild<QTableWidget*>("inspect-words");
  const auto& first = inspection.samples[0];
  ASSERT_EQ(words->rowCount(), static_cast<int>(first.words.size()));
  for (int row = 0; row < words->rowCount(); ++row) {
    const auto& word = first.words[static_cast<std::size_t>(words->item(row, 0)->data(Qt::UserRole).toInt())];
    EXPECT_EQ(words->item(row, 0)->text().toStdString(), word.text);
    EXPECT_EQ(words->item(row, 2)->text(), word.hit ? "hit" : "miss");
    if (row > 0) {
      EXPECT_GE(words->item(row - 1, 1)->text().toDouble(), words->item(row, 1)->text().toDouble());
    }
  }
  double most = 0;
  for (const auto& w : first.words) most = std::max(most, w.kl);
  EXPECT_DOUBLE_EQ(first.words[static_cast<std::size_t>(inspect.shownWord())].kl, most);
  EXPECT_TRUE(loctex::testing::save_screenshot(window, "inspect_view"));

  const fs::path png = m_dir / "overlay.png";
  ASSERT_TRUE(inspect.exportPng(QString::fromStdString(png.string())));
  const QImage exported(QString::fromStdString(png.string()));
  EXPECT_EQ(exported.width(), 2 * ui::InspectView::kTileSide);
  EXPECT_GT(exported.height(), ui::InspectView::kTileSide);

  // A narrative outside the data set (as the app's review holds it), on the same model.
  const auto narratives = core::read_ln_file(*s_dir / "synth/narratives.jsonl").narratives;
  const auto& narrative = narratives.at(0);
  QSignalSpy reopened(&inspect, &ui::InspectView::opened);
  inspect.openNarrative(narrative, *s_dir / "synth/images" / (narrative.image_id + ".jpg"));
  ASSERT_TRUE(reopened.wait(kTimeoutMs));
  ASSERT_EQ(inspect.inspection()->samples.size(), 1u);
  EXPECT_EQ(inspect.inspection()->samples[0].key, narrative.dataset_id + "/" + narrative.image_id);
  EXPECT_EQ(samples->count(), 1);
  EXPECT_GT(words->rowCount(), 0);

  // A missing run is named, and the view goes on.
  QSignalSpy failed(&inspect, &ui::InspectView::failed);
  inspect.setRun(QString::fromStdString((m_dir / "no-such-run").string()));
  inspect.open();
  ASSERT_TRUE(failed.wait(kTimeoutMs));
  EXPECT_TRUE(failed.at(0).at(0).toString().contains("no-such-run"));
  EXPECT_TRUE(inspect.inspection().has_value());  // what was open stays
}

TEST_F(train_view_test, closing_the_window_while_training_asks_then_stops_with_a_checkpoint) {
  ui::TrainWindow window;
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ui::TrainView& view = *window.view();
  set_tiny_form(view, *s_dir / "shards", m_dir / "run", 100000);
  QSignalSpy progress(view.run(), &ui::TrainingRun::progress);
  view.start();
  ASSERT_TRUE(progress.wait(kTimeoutMs));
  window.close();
  EXPECT_TRUE(window.isVisible());  // not closed: asked first
  auto* box = window.findChild<QMessageBox*>("close-while-training");
  ASSERT_NE(box, nullptr);
  QAbstractButton* keep = nullptr;
  for (QAbstractButton* b : box->buttons())
    if (b->text() == "Keep Training") keep = b;
  ASSERT_NE(keep, nullptr);
  keep->click();
  EXPECT_EQ(view.run()->state(), State::running);
  window.close();
  box = window.findChild<QMessageBox*>("close-while-training");
  ASSERT_NE(box, nullptr);
  for (QAbstractButton* b : box->buttons())
    if (b->text() == "Stop and Close") b->click();
  ASSERT_TRUE(QTest::qWaitFor([&] { return !window.isVisible(); }, kTimeoutMs));
  EXPECT_EQ(view.run()->state(), State::finished);
  EXPECT_FALSE(loctex::testing::files_in(m_dir / "run/checkpoints").empty());

  // Shown again (as Tools > Training does), a run that ends leaves it open.
  window.show();
  set_tiny_form(view, *s_dir / "shards", m_dir / "again", 3);
  QSignalSpy finished(view.run(), &ui::TrainingRun::finished);
  view.start();
  ASSERT_TRUE(finished.wait(kTimeoutMs));
  QCoreApplication::processEvents();
  EXPECT_TRUE(window.isVisible());
}

}  // namespace
