#include "ui/dataset_build.h"

#include <QMetaObject>

#include <exception>
#include <utility>

namespace loctex::ui {

DatasetBuild::DatasetBuild(QObject* parent) : QObject(parent) { qRegisterMetaType<pipeline::BuildSummary>(); }

DatasetBuild::~DatasetBuild() { wait(); }

bool DatasetBuild::start(pipeline::BuildOptions options) {
  if (m_running) return false;
  wait();
  m_running = true;
  m_thread = std::thread([this, options = std::move(options)] {
    pipeline::BuildObserver observer;
    observer.progress = [this](std::uint64_t done, std::uint64_t total) {
      QMetaObject::invokeMethod(
          this, [this, done, total] { Q_EMIT progress(done, total); }, Qt::QueuedConnection);
    };
    try {
      pipeline::BuildSummary summary = pipeline::build_dataset(options, observer);
      QMetaObject::invokeMethod(
          this,
          [this, summary] {
            m_running = false;
            Q_EMIT finished(summary);
          },
          Qt::QueuedConnection);
    } catch (const std::exception& e) {
      const QString message = QString::fromStdString(e.what());
      QMetaObject::invokeMethod(
          this,
          [this, message] {
            m_running = false;
            Q_EMIT failed(message);
          },
          Qt::QueuedConnection);
    }
  });
  return true;
}

void DatasetBuild::wait() {
  if (m_thread.joinable()) m_thread.join();
}

}  // namespace loctex::ui
