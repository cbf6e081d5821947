#pragma once
// Forced alignment (align/) off the GUI thread, for Speak and Point. One
// thread of its own runs the alignments one at a time with one aligner,
// loaded there on the first request and kept, so the model loads once and
// never on the GUI thread. A request made while another runs waits its
// turn, and replaces any request still waiting (a take redone before its
// alignment started is never aligned): the GUI thread never waits for an
// alignment. Only destruction does, for the one running, if any (about a
// second for a 90 s voice, plus the model's load if it is the first).

#include <QObject>
#include <QString>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "align/forced_aligner.h"
#include "core/audio_file.h"

namespace loctex::ui {

class BackgroundAligner : public QObject {
  Q_OBJECT

 public:
  using AlignFunction =
      std::function<align::Alignment(const core::AudioClip& clip, const std::vector<std::string>& words)>;

  // Aligns with a ForcedAligner of its own (Debian's model).
  explicit BackgroundAligner(QObject* parent = nullptr);
  // Aligns with `align`, called on the alignment thread (tests).
  explicit BackgroundAligner(AlignFunction align, QObject* parent = nullptr);
  ~BackgroundAligner() override;

  // Queues `words` to be aligned to `clip`; returns the request's number
  // (from 1), which its result carries.
  int request(core::AudioClip clip, std::vector<std::string> words);
  // Drops the request still waiting, if any (true then); a result still to
  // come for a running one is delivered, and its number tells it is stale.
  bool dropWaiting();

 Q_SIGNALS:
  // On the GUI thread: request `number` aligned, or failed with `message`
  // (the aligner's exception).
  void aligned(int number, loctex::align::Alignment alignment);
  void failed(int number, QString message);

 private:
  struct Request {
    int number;
    core::AudioClip clip;
    std::vector<std::string> words;
  };
  void run();
  void report_failure(int number, QString message);

  AlignFunction m_align;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::optional<Request> m_waiting;
  bool m_stopping = false;
  int m_requests = 0;
  std::thread m_thread;  // last: starts once the rest is ready
};

}  // namespace loctex::ui
