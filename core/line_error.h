#pragma once
// Errors located in one line of a text input (a JSONL record, a vocabulary
// entry), written as compilers write them, so editors and terminals can jump
// to the line.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace loctex::core {

// "FILE:LINE", the start of every message about a line of input.
std::string file_line(const std::string& file, std::size_t line);

// What is wrong with one line of a file; what() reads "FILE:LINE: MESSAGE",
// e.g. "a.jsonl:7: field 'timed_caption[2].end_time': end_time 1.2 is before
// start_time 1.5".
class LineError : public std::runtime_error {
 public:
  LineError(std::string file, std::size_t line, std::string message);
  const std::string& file() const { return m_file; }
  std::size_t line() const { return m_line; }
  const std::string& message() const { return m_message; }

 private:
  std::string m_file;
  std::size_t m_line;
  std::string m_message;
};

}  // namespace loctex::core
