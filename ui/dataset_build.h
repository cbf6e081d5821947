#pragma once
// A training set built from the open project, in the app: the dataset
// builder (pipeline::build_dataset, as loctex-build-dataset runs it) on a
// thread of its own, its progress and skipped inputs delivered on the GUI
// thread. The project's done and accepted narratives go in; drafts and
// rejected ones are left out, as the builder does for projects.

#include <QObject>
#include <QString>

#include <cstdint>
#include <filesystem>
#include <thread>

#include "pipeline/builder.h"

namespace loctex::ui {

class DatasetBuild : public QObject {
  Q_OBJECT

 public:
  explicit DatasetBuild(QObject* parent = nullptr);
  // Waits for a build still going (the builder cannot be interrupted).
  ~DatasetBuild() override;

  // Starts building `options`; false if a build is going.
  bool start(pipeline::BuildOptions options);
  bool running() const { return m_running; }
  // Waits for the build's thread; what it sent is still queued.
  void wait();

 Q_SIGNALS:
  void progress(quint64 records_done, quint64 records_total);
  void finished(loctex::pipeline::BuildSummary summary);
  void failed(QString message);

 private:
  std::thread m_thread;
  bool m_running = false;
};

}  // namespace loctex::ui

Q_DECLARE_METATYPE(loctex::pipeline::BuildSummary)
