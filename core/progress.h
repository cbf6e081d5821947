#pragma once
// A progress line on stderr for long command-line work: "label 1234/5000 (25%)
// 310/s ETA 12s", redrawn in place at most 5 times a second on a terminal;
// when stderr is not a terminal (CI, logs) one line every 10% instead.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace loctex::core {

class ProgressLine {
 public:
  // total = 0 when unknown (e.g. lines of a file being streamed).
  ProgressLine(std::string label, std::size_t total, bool enabled = true, std::FILE* out = stderr);
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine();  // finishes the line

  // `detail` is appended to the line, e.g. "loss 1.23, 267 samples/s".
  void update(std::size_t done, std::string detail = {});
  // Work already done before this line started (a resumed run): the rate and
  // the ETA count only what is done from here.
  void resume_from(std::size_t done);
  void finish();

 private:
  void draw(bool final_draw);

  std::string m_label;
  std::size_t m_total;
  bool m_enabled;
  std::FILE* m_out;
  bool m_tty;
  bool m_finished = false;
  std::size_t m_done = 0;
  std::size_t m_base = 0;
  std::string m_detail;
  int m_last_decile = -1;
  std::chrono::steady_clock::time_point m_start;
  std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace loctex::core
