#include "ui/dataset_build.h"

#include <QMetaObject>

#include <memory>
#include <utility>

#include "ui/background_task.h"

namespace loctex::ui {

DatasetBuild::DatasetBuild(QObject* parent) : QObject(parent) { qRegisterMetaType<pipeline::BuildSummary>(); }

DatasetBuild::~DatasetBuild() { wait(); }

bool DatasetBuild::start(pipeline::BuildOptions options) {
  if (m_running) return false;
  wait();
  m_running = true;
  auto observer = std::make_shared<pipeline::BuildObserver>();
  observer->progress = [this](std::uint64_t done, std::uint64_t total) {
    QMetaObject::invokeMethod(
        this, [this, done, total] { Q_EMIT progress(done, total); }, Qt::QueuedConnection);
  };
  run_in_background<pipeline::BuildSummary>(
      m_thread, this,
      [options = std::move(options), observer] { return pipeline::build_dataset(options, *observer); },
      [this](pipeline::BuildSummary summary) {
        m_running = false;
        Q_EMIT finished(summary);
      },
      [this](QString message) {
        m_running = false;
        Q_EMIT failed(message);
      });
  return true;
}

void DatasetBuild::wait() {
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace loctex::ui
