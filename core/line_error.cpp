#include "core/line_error.h"

#include <utility>

namespace loctex::core {

std::string file_line(const std::string& file, std::size_t line) {
  std::string out = file;
  out.append(":").append(std::to_string(line));
  return out;
}

LineError::LineError(std::string file, std::size_t line, std::string message)
    : std::runtime_error(file_line(file, line) + ": " + message),
      m_file(std::move(file)),
      m_line(line),
      m_message(std::move(message)) {}

}  // namespace loctex::core
