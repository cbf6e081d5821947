#include "core/progress.h"

#include <unistd.h>

#include <algorithm>

namespace loctex::core {

ProgressLine::ProgressLine(std::string label, std::size_t total, bool enabled, std::FILE* out)
    : m_label(std::move(label)),
      m_total(total),
      m_enabled(enabled),
      m_out(out),
      m_tty(::isatty(::fileno(out)) != 0),
      m_start(std::chrono::steady_clock::now()),
      m_last_draw(m_start) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::size_t done, std::string detail) {
  m_done = done;
  m_detail = std::move(detail);
  if (!m_enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (m_tty) {
    if (now - m_last_draw < std::chrono::milliseconds(200)) return;
  } else {
    // The last line of a log is the final one, with the time taken.
    if (m_total > 0 && done >= m_total) return finish();
    // In a log, a line per tenth is enough; with an unknown total, none.
    const int decile = m_total > 0 ? static_cast<int>(10 * done / m_total) : -1;
    if (decile <= m_last_decile) return;
    m_last_decile = decile;
  }
  m_last_draw = now;
  draw(false);
}

void ProgressLine::resume_from(std::size_t done) {
  m_base = done;
  m_done = std::max(m_done, done);
}

void ProgressLine::finish() {
  if (m_finished) return;
  m_finished = true;
  if (m_enabled && (m_tty || m_last_decile < 10)) draw(true);
}

void ProgressLine::draw(bool final_draw) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  const std::size_t done_here = m_done > m_base ? m_done - m_base : 0;
  const double rate = elapsed > 0 ? static_cast<double>(done_here) / elapsed : 0.0;
  std::string line = m_label + " " + std::to_string(m_done);
  char buf[96];
  if (m_total > 0) {
    std::snprintf(buf, sizeof buf, "/%zu (%.0f%%)", m_total,
                  100.0 * static_cast<double>(m_done) / static_cast<double>(m_total));
    line += buf;
  }
  std::snprintf(buf, sizeof buf, " %.0f/s", rate);
  line += buf;
  if (final_draw) {
    std::snprintf(buf, sizeof buf, " in %.1fs", elapsed);
    line += buf;
  } else if (m_total > 0 && rate > 0) {
    std::snprintf(buf, sizeof buf, " ETA %.0fs", static_cast<double>(m_total - m_done) / rate);
    line += buf;
  }
  if (!m_detail.empty()) line.append(", ").append(m_detail);
  std::fprintf(m_out, m_tty ? "\r\033[K%s%s" : "%s%s", line.c_str(), (final_draw || !m_tty) ? "\n" : "");
  std::fflush(m_out);
}

}  // namespace loctex::core
