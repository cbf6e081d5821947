#include "ui/training_run.h"

#include <QMetaObject>

#include <memory>
#include <utility>

#include "ui/background_task.h"

namespace loctex::ui {

TrainingRun::TrainingRun(QObject* parent) : QObject(parent) {
  qRegisterMetaType<trainer::StepMetrics>();
  qRegisterMetaType<trainer::TrainSummary>();
  qRegisterMetaType<trainer::EvalPoint>();
  qRegisterMetaType<std::vector<trainer::AttentionSample>>();
}

TrainingRun::~TrainingRun() {
  stop();
  wait();
}

bool TrainingRun::start(trainer::TrainConfig config, bool resume) {
  if (active()) return false;
  wait();  // a finished run's thread
  m_config = std::move(config);
  {
    const std::lock_guard lock(m_mutex);
    m_pause = false;
    m_stop = false;
  }
  m_step = 0;
  setState(State::running);
  // Everything reaches the window through its event loop, on its thread; a
  // run whose window is gone drops what it still had to say.
  auto observer = std::make_shared<trainer::TrainObserver>();
  observer->started = [this](std::int64_t start, std::int64_t total) {
    m_step = start;
    QMetaObject::invokeMethod(
        this, [this, start, total] { Q_EMIT started(start, total); }, Qt::QueuedConnection);
  };
  observer->progress = [this](const trainer::StepMetrics& metrics, std::int64_t total) {
    m_step = metrics.step;
    QMetaObject::invokeMethod(
        this, [this, metrics, total] { Q_EMIT progress(metrics, total); }, Qt::QueuedConnection);
  };
  observer->stop_requested = [this](std::int64_t steps_done) {
    m_step = steps_done;
    return pollStop();
  };
  observer->eval_every = m_eval_every;
  observer->evaluated = [this](const trainer::EvalPoint& point) {
    QMetaObject::invokeMethod(
        this, [this, point] { Q_EMIT evaluated(point); }, Qt::QueuedConnection);
  };
  observer->preview_every = m_preview_every;
  observer->preview_samples = m_preview_samples;
  observer->preview = [this](std::int64_t step, std::vector<trainer::AttentionSample> samples) {
    QMetaObject::invokeMethod(
        this, [this, step, samples = std::move(samples)] { Q_EMIT preview(step, samples); },
        Qt::QueuedConnection);
  };
  run_in_background<trainer::TrainSummary>(
      m_thread, this,
      [config = m_config, resume, observer] { return trainer::train(config, resume, *observer); },
      [this](trainer::TrainSummary summary) {
        setState(State::finished);
        Q_EMIT finished(summary);
      },
      [this](QString message) {
        setState(State::failed);
        Q_EMIT failed(message);
      });
  return true;
}

bool TrainingRun::pollStop() {
  std::unique_lock lock(m_mutex);
  if (m_pause && !m_stop) {
    const qint64 step = m_step;
    QMetaObject::invokeMethod(
        this,
        [this, step] {
          {
            const std::lock_guard check(m_mutex);
            if (!m_pause || m_stop) return;  // resumed or stopped before this arrived
          }
          if (m_state == State::running) setState(State::paused);
          Q_EMIT paused(step);
        },
        Qt::QueuedConnection);
    m_wake.wait(lock, [this] { return !m_pause || m_stop; });
  }
  return m_stop;
}

void TrainingRun::pause() {
  if (m_state != State::running) return;
  const std::lock_guard lock(m_mutex);
  m_pause = true;
}

void TrainingRun::resume() {
  if (m_state != State::paused && m_state != State::running) return;
  {
    const std::lock_guard lock(m_mutex);
    m_pause = false;
  }
  m_wake.notify_all();
  if (m_state == State::paused) setState(State::running);
}

void TrainingRun::stop() {
  if (!active()) return;
  {
    const std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  setState(State::stopping);
}

void TrainingRun::wait() {
  if (m_thread.joinable()) m_thread.join();
}

void TrainingRun::setState(State state) {
  if (state == m_state) return;
  m_state = state;
  Q_EMIT stateChanged(state);
}

}  // namespace loctex::ui
