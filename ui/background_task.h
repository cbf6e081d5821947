#pragma once
// Long work off the GUI thread, as the Training window's view models do it
// (a training run, a data set build, an inspection): `work` runs on a thread
// of its own, and its result or the message of the exception it threw comes
// back through `context`'s event loop, on the GUI thread. Calls queued for a
// context that has been destroyed are dropped.

#include <QMetaObject>
#include <QObject>
#include <QString>

#include <exception>
#include <functional>
#include <thread>
#include <utility>

namespace loctex::ui {

// Starts `work` on `thread` (which must not be running). `done(result)` or
// `failed(message)` then runs on `context`'s thread.
template <typename Result>
void run_in_background(std::thread& thread, QObject* context, std::function<Result()> work,
                       std::function<void(Result)> done, std::function<void(QString)> failed) {
  thread = std::thread([context, work = std::move(work), done = std::move(done), failed = std::move(failed)] {
    try {
      Result result = work();
      QMetaObject::invokeMethod(
          context, [done, result = std::move(result)]() mutable { done(std::move(result)); },
          Qt::QueuedConnection);
    } catch (const std::exception& e) {
      const QString message = QString::fromStdString(e.what());
      QMetaObject::invokeMethod(
          context, [failed, message] { failed(message); }, Qt::QueuedConnection);
    }
  });
}

}  // namespace loctex::ui
