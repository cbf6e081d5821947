#pragma once
// The app's training run: trainer::train() (the same loctex_trainer library
// as loctex-train) on a thread of its own, driven from the window (start,
// pause, resume, stop) and reporting through signals delivered on the GUI
// thread, so the window stays responsive while it trains. Pause holds the
// run between two steps; stop ends it after a checkpoint; an exception in
// training ends it with failed(), never a crash.

#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "trainer/config.h"
#include "trainer/train.h"

namespace loctex::ui {

class TrainingRun : public QObject {
  Q_OBJECT

 public:
  enum class State { idle, running, paused, stopping, finished, failed };
  Q_ENUM(State)

  explicit TrainingRun(QObject* parent = nullptr);
  // Stops a run still going (it writes its checkpoint) and waits for it.
  ~TrainingRun() override;

  // Previews of the model's attention on `samples` validation samples
  // before the first step and every `every` steps (0: none); for the next
  // start().
  void setPreview(std::int64_t every, std::int64_t samples) {
    m_preview_every = every;
    m_preview_samples = samples;
  }

  // An evaluation on the validation split every `every` steps and at the
  // end (0: none); for the next start().
  void setEvaluation(std::int64_t every) { m_eval_every = every; }

  // Starts training as `config` says (resuming OUTPUT's latest checkpoint
  // with `resume`); false if a run is going already.
  bool start(trainer::TrainConfig config, bool resume = false);
  // Holds the run after the step in progress; paused() says when it holds.
  void pause();
  void resume();
  // Ends the run after the step in progress, with a checkpoint.
  void stop();
  // Waits for the run's thread to end; signals it sent are still queued.
  void wait();

  State state() const { return m_state; }
  bool active() const {
    return m_state == State::running || m_state == State::paused || m_state == State::stopping;
  }
  const trainer::TrainConfig& config() const { return m_config; }

 Q_SIGNALS:
  void started(qint64 start_step, qint64 total_steps);
  void progress(loctex::trainer::StepMetrics metrics, qint64 total_steps);
  // The run holds after step `step`.
  void paused(qint64 step);
  void preview(qint64 step, std::vector<loctex::trainer::AttentionSample> samples);
  void evaluated(loctex::trainer::EvalPoint point);
  void finished(loctex::trainer::TrainSummary summary);
  void failed(QString message);
  void stateChanged(loctex::ui::TrainingRun::State state);

 private:
  void setState(State state);
  // Runs on the training thread, between steps (m_step: the steps done):
  // holds while paused.
  bool pollStop();

  trainer::TrainConfig m_config;
  State m_state = State::idle;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_pause = false;  // guarded by m_mutex
  bool m_stop = false;   // guarded by m_mutex
  std::atomic<std::int64_t> m_step{0};
  std::int64_t m_preview_every = 0;
  std::int64_t m_preview_samples = 4;
  std::int64_t m_eval_every = 0;
};

}  // namespace loctex::ui

Q_DECLARE_METATYPE(loctex::trainer::StepMetrics)
Q_DECLARE_METATYPE(loctex::trainer::TrainSummary)
Q_DECLARE_METATYPE(loctex::trainer::EvalPoint)
Q_DECLARE_METATYPE(std::vector<loctex::trainer::AttentionSample>)
