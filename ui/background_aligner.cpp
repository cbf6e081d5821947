#include "ui/background_aligner.h"

#include <QMetaObject>

#include <exception>
#include <memory>
#include <utility>

namespace loctex::ui {

BackgroundAligner::BackgroundAligner(QObject* parent)
    : BackgroundAligner(
          // Made on the alignment thread at its first request, and used
          // there only: a ForcedAligner is one thread's.
          [aligner = std::shared_ptr<align::ForcedAligner>()](const core::AudioClip& clip,
                                                              const std::vector<std::string>& words) mutable {
            if (!aligner) aligner = std::make_shared<align::ForcedAligner>();
            return aligner->align(clip, words);
          },
          parent) {}

BackgroundAligner::BackgroundAligner(AlignFunction align, QObject* parent)
    : QObject(parent), m_align(std::move(align)), m_thread([this] { run(); }) {}

BackgroundAligner::~BackgroundAligner() {
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_waiting.reset();
  }
  m_wake.notify_one();
  m_thread.join();
}

int BackgroundAligner::request(core::AudioClip clip, std::vector<std::string> words) {
  int number = 0;
  {
    const std::lock_guard lock(m_mutex);
    number = ++m_requests;
    m_waiting = Request{number, std::move(clip), std::move(words)};
  }
  m_wake.notify_one();
  return number;
}

bool BackgroundAligner::dropWaiting() {
  const std::lock_guard lock(m_mutex);
  const bool waiting = m_waiting.has_value();
  m_waiting.reset();
  return waiting;
}

void BackgroundAligner::report_failure(int number, QString message) {
  QMetaObject::invokeMethod(
      this, [this, number, message = std::move(message)] { Q_EMIT failed(number, message); },
      Qt::QueuedConnection);
}

void BackgroundAligner::run() {
  for (;;) {
    Request next{};
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait(lock, [this] { return m_stopping || m_waiting.has_value(); });
      if (m_stopping) return;
      next = std::move(*m_waiting);
      m_waiting.reset();
    }
    // Results go back through the event loop; the destructor joins this
    // thread before the QObject goes, and Qt drops calls queued for it then.
    try {
      auto alignment = m_align(next.clip, next.words);
      QMetaObject::invokeMethod(
          this,
          [this, number = next.number, alignment = std::move(alignment)] {
            Q_EMIT aligned(number, alignment);
          },
          Qt::QueuedConnection);
    } catch (const std::exception& e) {
      report_failure(next.number, QString::fromStdString(e.what()));
    } catch (...) {
      report_failure(next.number, tr("the aligner failed"));
    }
  }
}

}  // namespace loctex::ui
