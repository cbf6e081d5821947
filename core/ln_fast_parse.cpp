#include "core/ln_fast_parse.h"

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace loctex::core {
namespace {

namespace dom = simdjson::dom;

// One parser and one padded copy of the text per thread: the parser keeps its
// buffers from record to record, and simdjson reads up to SIMDJSON_PADDING
// bytes past the end of the text.
struct ThreadParser {
  dom::parser parser;
  std::string padded;
};

// Each read() takes one JSON value into one field, or gives false.
bool read(dom::element value, std::string& out);
bool read(dom::element value, double& out);
bool read(dom::element value, std::int64_t& out);
bool read(dom::element value, TimedUtterance& out);
bool read(dom::element value, TracePoint& out);
template <typename T>
bool read(dom::element value, std::vector<T>& out);

// The index of `key` in `names`, or N.
template <std::size_t N>
std::size_t index_of(std::string_view key, const std::string_view (&names)[N]) {
  std::size_t i = 0;
  while (i < N && names[i] != key) ++i;
  return i;
}

// read() into the n-th of `targets`.
template <typename... T>
bool read_nth(std::size_t n, dom::element value, T&... targets) {
  std::size_t i = 0;
  bool ok = false;
  ((ok = i++ == n ? read(value, targets) : ok), ...);
  return ok;
}

// Reads an object whose keys are exactly `names` (each once, in any order)
// into `targets`; an unknown, repeated or missing key gives false.
template <std::size_t N, typename... T>
bool read_fields(dom::object object, const std::string_view (&names)[N], T&... targets) {
  static_assert(sizeof...(T) == N && N < 32);
  std::uint32_t seen = 0;
  for (const auto [key, value] : object) {
    const std::size_t index = index_of(key, names);
    if (index == N || (seen >> index & 1U) || !read_nth(index, value, targets...)) return false;
    seen |= 1U << index;
  }
  return seen == (1U << N) - 1;
}

bool read(dom::element value, std::string& out) {
  std::string_view text;
  if (value.get_string().get(text)) return false;
  out.assign(text);
  return true;
}

bool read(dom::element value, double& out) { return !value.get_double().get(out); }

bool read(dom::element value, std::int64_t& out) { return !value.get_int64().get(out); }

bool read(dom::element value, TimedUtterance& out) {
  static constexpr std::string_view kNames[] = {"utterance", "start_time", "end_time"};
  dom::object object;
  return !value.get_object().get(object) &&
         read_fields(object, kNames, out.utterance, out.start_time, out.end_time) &&
         out.end_time >= out.start_time;
}

bool read(dom::element value, TracePoint& out) {
  static constexpr std::string_view kNames[] = {"x", "y", "t"};
  dom::object object;
  return !value.get_object().get(object) && read_fields(object, kNames, out.x, out.y, out.t);
}

template <typename T>
bool read(dom::element value, std::vector<T>& out) {
  dom::array array;
  if (value.get_array().get(array)) return false;
  for (const dom::element item : array) {
    T element;
    if (!read(item, element)) return false;
    out.push_back(std::move(element));
  }
  return true;
}

}  // namespace

std::optional<Narrative> parse_narrative_fast(std::string_view json_text) {
  thread_local ThreadParser local;
  local.padded.reserve(json_text.size() + simdjson::SIMDJSON_PADDING);
  local.padded.assign(json_text);
  const simdjson::padded_string_view input(local.padded.data(), local.padded.size(), local.padded.capacity());

  dom::object record;
  if (local.parser.parse(input).get_object().get(record)) return std::nullopt;
  Narrative n;
  static constexpr std::string_view kNames[] = {"dataset_id",    "image_id", "annotator_id",   "caption",
                                                "timed_caption", "traces",   "voice_recording"};
  if (!read_fields(record, kNames, n.dataset_id, n.image_id, n.annotator_id, n.caption, n.timed_caption,
                   n.traces, n.voice_recording))
    return std::nullopt;
  return n;
}

}  // namespace loctex::core
