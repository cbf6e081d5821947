#include "core/ln_jsonl.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "core/atomic_file.h"
#include "core/ln_fast_parse.h"
#include "core/words.h"

namespace loctex::core {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string field_name(std::string_view path) { return "field '" + std::string(path) + "'"; }

const Json& require(const Json& object, const char* key, const std::string& path) {
  const auto it = object.find(key);
  if (it == object.end()) fail("missing " + field_name(path));
  return *it;
}

std::string require_string(const Json& object, const char* key, const std::string& path) {
  const Json& value = require(object, key, path);
  if (!value.is_string()) fail(field_name(path) + ": expected a string, got " + value.type_name());
  return value.get<std::string>();
}

double require_number(const Json& object, const char* key, const std::string& path) {
  const Json& value = require(object, key, path);
  if (!value.is_number()) fail(field_name(path) + ": expected a number, got " + value.type_name());
  const double number = value.get<double>();
  if (!std::isfinite(number)) fail(field_name(path) + ": non-finite number");
  return number;
}

std::int64_t require_integer(const Json& object, const char* key, const std::string& path) {
  const Json& value = require(object, key, path);
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(field_name(path) + ": integer out of range");
    return static_cast<std::int64_t>(value.get<std::uint64_t>());
  }
  if (!value.is_number_integer()) {
    const std::string got = value.is_number_float() ? "a fractional number" : value.type_name();
    fail(field_name(path) + ": expected an integer, got " + got);
  }
  return value.get<std::int64_t>();
}

const Json& require_array(const Json& object, const char* key, const std::string& path) {
  const Json& value = require(object, key, path);
  if (!value.is_array()) fail(field_name(path) + ": expected an array, got " + value.type_name());
  return value;
}

void require_object(const Json& value, const std::string& path) {
  if (!value.is_object()) fail(field_name(path) + ": expected an object, got " + value.type_name());
}

std::vector<TimedUtterance> read_timed_caption(const Json& record) {
  const Json& items = require_array(record, "timed_caption", "timed_caption");
  std::vector<TimedUtterance> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string at = "timed_caption[" + std::to_string(i) + "]";
    require_object(items[i], at);
    TimedUtterance u;
    u.utterance = require_string(items[i], "utterance", at + ".utterance");
    u.start_time = require_number(items[i], "start_time", at + ".start_time");
    u.end_time = require_number(items[i], "end_time", at + ".end_time");
    if (u.end_time < u.start_time) {
      fail(field_name(at + ".end_time") + ": end_time " + Json(u.end_time).dump() + " is before start_time " +
           Json(u.start_time).dump());
    }
    out.push_back(std::move(u));
  }
  return out;
}

std::vector<TraceSegment> read_traces(const Json& record) {
  const Json& segments = require_array(record, "traces", "traces");
  std::vector<TraceSegment> out;
  out.reserve(segments.size());
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const std::string seg_at = "traces[" + std::to_string(s) + "]";
    if (!segments[s].is_array())
      fail(field_name(seg_at) + ": expected an array, got " + segments[s].type_name());
    TraceSegment segment;
    segment.reserve(segments[s].size());
    for (std::size_t p = 0; p < segments[s].size(); ++p) {
      const Json& point = segments[s][p];
      const std::string at = seg_at + "[" + std::to_string(p) + "]";
      require_object(point, at);
      segment.push_back({require_number(point, "x", at + ".x"), require_number(point, "y", at + ".y"),
                         require_number(point, "t", at + ".t")});
    }
    out.push_back(std::move(segment));
  }
  return out;
}

bool is_known_field(std::string_view key) {
  for (const char* known : kNarrativeFields)
    if (key == known) return true;
  return false;
}

// nlohmann's parse errors read "[json.exception.parse_error.101] parse error at
// line 1, column 9: ..."; the prefix means nothing to a user.
std::string strip_exception_id(std::string what) {
  if (!what.empty() && what.front() == '[') {
    const auto close = what.find("] ");
    if (close != std::string::npos) what.erase(0, close + 2);
  }
  return what;
}

// JSON has no NaN or Infinity, but Python's json.dumps writes them; name the
// real problem instead of nlohmann's "invalid literal".
std::optional<std::string> non_finite_token_at(std::string_view text, std::size_t last_read) {
  auto token_char = [](char c) { return is_ascii_alnum(c) || c == '-' || c == '+'; };
  std::size_t begin = std::min(last_read, text.size());
  while (begin > 0 && token_char(text[begin - 1])) --begin;
  std::size_t end = begin;
  while (end < text.size() && token_char(text[end])) ++end;
  const std::string_view token = text.substr(begin, end - begin);
  for (std::string_view bad : {"NaN", "-NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"})
    if (token == bad)
      return "non-finite number " + std::string(token) + " at column " + std::to_string(begin + 1);
  return std::nullopt;
}

// Python's float repr: the shortest digits that round-trip, in fixed notation
// for decimal exponents in [-4, 16) (with ".0" when integral), else d.ddde±XX.
void append_python_float(std::string& out, double value) {
  if (!std::isfinite(value)) fail("non-finite number cannot be written as JSON");
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(result.ptr - buf));
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const auto e = s.find('e');
  std::string digits(1, s[0]);
  if (e > 1) digits.append(s.substr(2, e - 2));
  const bool negative_exponent = s[e + 1] == '-';
  int exponent = 0;
  std::from_chars(s.data() + e + 2, s.data() + s.size(), exponent);
  if (negative_exponent) exponent = -exponent;

  const int n = static_cast<int>(digits.size());
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      if (n <= exponent + 1) {
        out += digits;
        out.append(static_cast<std::size_t>(exponent + 1 - n), '0');
        out += ".0";
      } else {
        out.append(digits, 0, static_cast<std::size_t>(exponent + 1));
        out += '.';
        out.append(digits, static_cast<std::size_t>(exponent + 1));
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1);
  }
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
}

// json.dumps(obj) with default arguments: ", " and ": " separators, non-ASCII
// escaped as \uXXXX (nlohmann's ensure_ascii matches Python's, lower-case hex).
void append_python_json(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += Json(key).dump(-1, ' ', true);
        out += ": ";
        append_python_json(out, item);
      }
      out += '}';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ", ";
        append_python_json(out, value[i]);
      }
      out += ']';
      return;
    }
    case Json::value_t::number_float:
      append_python_float(out, value.get<double>());
      return;
    case Json::value_t::string:
      out += value.dump(-1, ' ', true);
      return;
    default:
      out += value.dump();
      return;
  }
}

}  // namespace

Narrative narrative_from_json(const Json& record) {
  if (!record.is_object()) fail(std::string("expected a JSON object, got ") + record.type_name());
  Narrative n;
  n.dataset_id = require_string(record, "dataset_id", "dataset_id");
  n.image_id = require_string(record, "image_id", "image_id");
  n.annotator_id = require_integer(record, "annotator_id", "annotator_id");
  n.caption = require_string(record, "caption", "caption");
  n.timed_caption = read_timed_caption(record);
  n.traces = read_traces(record);
  n.voice_recording = require_string(record, "voice_recording", "voice_recording");
  for (const auto& [key, value] : record.items())
    if (!is_known_field(key)) n.extra[key] = value;
  return n;
}

Narrative parse_narrative(std::string_view json_text) {
  if (auto narrative = parse_narrative_fast(json_text)) return std::move(*narrative);
  Json record;
  try {
    record = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    if (auto non_finite = non_finite_token_at(json_text, e.byte > 0 ? e.byte - 1 : 0)) fail(*non_finite);
    // A record is one line, so "line 1, " says nothing; the column does.
    std::string what = strip_exception_id(e.what());
    if (what.rfind("parse error at line 1, ", 0) == 0)
      what.erase(0, std::string("parse error at line 1, ").size());
    fail("bad JSON: " + what);
  } catch (const Json::out_of_range& e) {
    // id 406: a literal such as 1e999 overflows a double.
    fail("non-finite number: " + strip_exception_id(e.what()));
  }
  return narrative_from_json(record);
}

Json narrative_to_json(const Narrative& n) {
  Json record = Json::object();
  record["dataset_id"] = n.dataset_id;
  record["image_id"] = n.image_id;
  record["annotator_id"] = n.annotator_id;
  record["caption"] = n.caption;
  Json timed = Json::array();
  for (const auto& u : n.timed_caption)
    timed.push_back(Json{{"utterance", u.utterance}, {"start_time", u.start_time}, {"end_time", u.end_time}});
  record["timed_caption"] = std::move(timed);
  Json traces = Json::array();
  for (const auto& segment : n.traces) {
    Json points = Json::array();
    for (const auto& p : segment) points.push_back(Json{{"x", p.x}, {"y", p.y}, {"t", p.t}});
    traces.push_back(std::move(points));
  }
  record["traces"] = std::move(traces);
  record["voice_recording"] = n.voice_recording;
  if (!n.extra.is_object()) fail("narrative extra fields must be a JSON object");
  for (const auto& [key, value] : n.extra.items()) {
    if (is_known_field(key)) fail("extra field '" + key + "' shadows a Localized Narratives field");
    record[key] = value;
  }
  return record;
}

std::string format_narrative(const Narrative& narrative) {
  std::string out;
  out.reserve(256 + 48 * narrative.timed_caption.size() + 40 * narrative.traces.size());
  try {
    append_python_json(out, narrative_to_json(narrative));
  } catch (const Json::type_error& e) {
    // id 316: a string that is not valid UTF-8.
    fail("cannot write narrative " + narrative.dataset_id + "/" + narrative.image_id + ": " +
         strip_exception_id(e.what()));
  }
  return out;
}

LnReader::LnReader(const std::filesystem::path& path, ReadMode mode)
    : m_file(path, std::ios::binary), m_in(&m_file), m_source(path.string()), m_mode(mode) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error("cannot read " + m_source + ": it is a folder");
  if (!m_file) throw std::runtime_error("cannot open " + m_source + ": no such file or not readable");
}

LnReader::LnReader(std::istream& in, std::string source, ReadMode mode)
    : m_in(&in), m_source(std::move(source)), m_mode(mode) {}

bool is_blank_line(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::optional<Narrative> LnReader::next() {
  while (std::getline(*m_in, m_buffer)) {
    ++m_line;
    if (!m_buffer.empty() && m_buffer.back() == '\r') m_buffer.pop_back();
    if (is_blank_line(m_buffer)) continue;
    try {
      Narrative narrative = parse_narrative(m_buffer);
      m_record_line = m_line;
      return narrative;
    } catch (const std::invalid_argument& e) {
      LnError error(m_source, m_line, e.what());
      if (m_mode == ReadMode::strict) throw error;
      ++m_error_count;
      if (m_on_error)
        m_on_error(error);
      else
        m_errors.push_back(std::move(error));
    }
  }
  if (m_in->bad())
    throw std::runtime_error("cannot read " + m_source + ": I/O error after line " + std::to_string(m_line));
  return std::nullopt;
}

LnFile read_ln_file(const std::filesystem::path& path, ReadMode mode) {
  LnReader reader(path, mode);
  LnFile file;
  while (auto narrative = reader.next()) {
    file.narratives.push_back(std::move(*narrative));
    file.lines.push_back(reader.line());
  }
  file.errors = reader.errors();
  return file;
}

void write_narrative(std::ostream& out, const Narrative& narrative) {
  const std::string line = format_narrative(narrative);
  out.write(line.data(), static_cast<std::streamsize>(line.size()));
  out.put('\n');
}

void write_ln_file(const std::filesystem::path& path, const std::vector<Narrative>& narratives) {
  AtomicFile file(path);
  for (const auto& narrative : narratives) write_narrative(file.stream(), narrative);
  file.commit();
}

}  // namespace loctex::core
