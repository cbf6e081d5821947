#pragma once
// Localized Narratives JSONL: one narrative per line, read and written in
// constant memory. The writer follows Python's json.dumps defaults, as
// Google's files do (", " and ": " separators, ASCII-only output, shortest
// round-trip floats such as 0.0 and 1e-05), so its output is byte-for-byte the
// style of the published files and every float parses back to the same double.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/line_error.h"
#include "core/narrative.h"

namespace loctex::core {

// Strict stops at the first bad line; lenient reports it and goes on.
enum class ReadMode { strict, lenient };

// What is wrong with one line of a JSONL file; what() reads
// "FILE:LINE: MESSAGE", e.g. "a.jsonl:7: field 'timed_caption[2].end_time':
// end_time 1.2 is before start_time 1.5".
using LnError = LineError;

// Parses one JSON object into a Narrative and validates it. Throws
// std::invalid_argument whose what() says what is wrong and names the field:
// bad JSON, a missing field, a wrong type, a non-finite number, or an
// utterance whose end_time is before its start_time. Quirks of real data are
// accepted: multi-word and zero-length utterances, points outside [0, 1],
// empty segments, points out of time order.
Narrative parse_narrative(std::string_view json_text);
Narrative narrative_from_json(const nlohmann::ordered_json& j);

// One line of LN JSONL, without the newline. Throws std::invalid_argument if
// a number is not finite (JSON cannot hold it) or `extra` is not an object.
std::string format_narrative(const Narrative& narrative);
nlohmann::ordered_json narrative_to_json(const Narrative& narrative);

// A line that holds no record and is skipped: empty, or only JSON's
// whitespace between values (spaces, tabs, carriage returns). Every reader
// of LN JSONL counts lines with this rule, so they number lines alike.
bool is_blank_line(std::string_view line);

// Streams narratives from a JSONL file, one line in memory at a time.
// Blank lines (is_blank_line) are skipped; a trailing '\r' (CRLF files) is
// ignored.
class LnReader {
 public:
  using ErrorHandler = std::function<void(const LnError&)>;

  // Throws std::runtime_error naming the file if it cannot be opened.
  explicit LnReader(const std::filesystem::path& path, ReadMode mode = ReadMode::strict);
  // Reads from a stream the caller owns; `source` names it in errors.
  LnReader(std::istream& in, std::string source, ReadMode mode = ReadMode::strict);

  // In lenient mode each bad line is passed here (default: kept, see errors()).
  void on_error(ErrorHandler handler) { m_on_error = std::move(handler); }

  // The next valid narrative, or nullopt at the end of the input. Strict mode
  // throws LnError at the first bad line; lenient mode reports it and goes on.
  std::optional<Narrative> next();

  // 1-based line number of the narrative last returned by next().
  std::size_t line() const { return m_record_line; }
  const std::string& source() const { return m_source; }
  std::size_t error_count() const { return m_error_count; }
  // Errors kept by the default handler, in input order.
  const std::vector<LnError>& errors() const { return m_errors; }

 private:
  std::ifstream m_file;
  std::istream* m_in = nullptr;
  std::string m_source;
  ReadMode m_mode;
  ErrorHandler m_on_error;
  std::string m_buffer;
  std::size_t m_line = 0;
  std::size_t m_record_line = 0;
  std::size_t m_error_count = 0;
  std::vector<LnError> m_errors;
};

// Reads a whole file into memory; for small files and tests.
struct LnFile {
  std::vector<Narrative> narratives;
  std::vector<std::size_t> lines;  // source line of each narrative
  std::vector<LnError> errors;
};
LnFile read_ln_file(const std::filesystem::path& path, ReadMode mode = ReadMode::strict);

// Writes narratives as JSONL, one per line, in the order given.
void write_narrative(std::ostream& out, const Narrative& narrative);
// Writes a whole file atomically (temporary file, then rename).
void write_ln_file(const std::filesystem::path& path, const std::vector<Narrative>& narratives);

}  // namespace loctex::core
