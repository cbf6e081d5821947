// How responsive the app's window stays while it trains: a probe posts a
// call to the GUI thread's event loop every 16 ms (a frame at 60 Hz) and
// measures how long each waits to run, first with the Training window idle,
// then while it trains with the view's defaults (its charts redrawn at every
// metrics line).
// Prints JSON: the wait's median, 99th percentile and maximum in ms for each.
//
//   ui_latency_bench --shards DIR [--seconds 20] [--threads 0]
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QMetaObject>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <QSpinBox>

#include "ui/train_view.h"
#include "ui/train_window.h"
#include "ui/training_run.h"

namespace {

struct Waits {
  std::vector<double> ms;
  double percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
  }
};

// Probes the event loop for `seconds`.
Waits probe(QApplication& app, double seconds) {
  Waits waits;
  QElapsedTimer clock;
  clock.start();
  QTimer tick;
  tick.setInterval(16);
  QObject::connect(&tick, &QTimer::timeout, &app, [&] {
    const qint64 posted = clock.nsecsElapsed();
    QMetaObject::invokeMethod(
        &app, [&, posted] { waits.ms.push_back(static_cast<double>(clock.nsecsElapsed() - posted) / 1e6); },
        Qt::QueuedConnection);
  });
  tick.start();
  QTimer::singleShot(static_cast<int>(seconds * 1000), &app, &QCoreApplication::quit);
  app.exec();
  return waits;
}

void print(const char* name, const Waits& w, bool comma) {
  std::printf("  \"%s\": {\"probes\": %zu, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}%s\n", name,
              w.ms.size(), w.percentile(0.5), w.percentile(0.99), w.percentile(1.0), comma ? "," : "");
}

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.addHelpOption();
  parser.addOption({"shards", "a built data set", "DIR"});
  parser.addOption({"seconds", "seconds of each phase", "S", "20"});
  parser.addOption({"threads", "torch threads (0: every core)", "N", "0"});
  parser.process(app);
  if (!parser.isSet("shards")) {
    std::fprintf(stderr, "ui_latency_bench: --shards DIR is required\n");
    return 2;
  }
  const double seconds = parser.value("seconds").toDouble();

  loctex::ui::TrainWindow window;
  window.resize(1100, 700);
  window.show();
  const Waits idle = probe(app, seconds);
  loctex::ui::TrainView& view = *window.view();
  const auto output = std::filesystem::temp_directory_path() / "loctex-ui-latency-run";
  std::filesystem::remove_all(output);
  view.setDataset(parser.value("shards"));
  view.setOutput(QString::fromStdString(output.string()));
  view.findChild<QSpinBox*>("train-steps")->setMaximum(100'000'000);
  view.findChild<QSpinBox*>("train-steps")->setValue(100'000'000);  // runs through the phase
  const int threads = parser.value("threads").toInt();
  qint64 steps = 0;
  QObject::connect(view.run(), &loctex::ui::TrainingRun::progress, &app,
                   [&steps](const loctex::trainer::StepMetrics& m) { steps = m.step; });
  QString failure;
  QObject::connect(view.run(), &loctex::ui::TrainingRun::failed, &app,
                   [&failure](const QString& why) { failure = why; });
  auto config = view.config();
  config.threads = threads;
  view.run()->start(config);
  const Waits training = probe(app, seconds);
  view.run()->stop();
  view.run()->wait();
  std::filesystem::remove_all(output);
  if (!failure.isEmpty()) {
    std::fprintf(stderr, "ui_latency_bench: training failed: %s\n", failure.toStdString().c_str());
    return 1;
  }
  std::printf("{\n  \"seconds_per_phase\": %.0f,\n  \"torch_threads\": %d,\n  \"steps_trained\": %lld,\n",
              seconds, threads, static_cast<long long>(steps));
  print("idle", idle, true);
  print("training", training, false);
  std::printf("}\n");
  return 0;
}
