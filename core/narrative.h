#pragma once
// The narrative model: one record of Google's Localized Narratives JSONL
// (Pont-Tuset et al., ECCV 2020), field for field.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace loctex::core {

// One mouse-trace sample. x and y are normalised to the image with the origin
// at the top-left; they may lie slightly outside [0, 1] because Localized
// Narratives records a band around the image. t is seconds from the start of
// the recording, on the same clock as the timed caption.
struct TracePoint {
  double x = 0.0;
  double y = 0.0;
  double t = 0.0;
  friend bool operator==(const TracePoint&, const TracePoint&) = default;
};

// A trace segment: the pointer's path from entering the band to leaving it.
using TraceSegment = std::vector<TracePoint>;

// One entry of `timed_caption`. Real data holds multi-word utterances
// ("In this") and zero-length ones (start_time == end_time).
struct TimedUtterance {
  std::string utterance;
  double start_time = 0.0;
  double end_time = 0.0;
  friend bool operator==(const TimedUtterance&, const TimedUtterance&) = default;
};

struct Narrative {
  std::string dataset_id;  // e.g. "mscoco_val2017"
  std::string image_id;    // a string, unpadded for COCO: "137576"
  std::int64_t annotator_id = 0;
  std::string caption;
  std::vector<TimedUtterance> timed_caption;
  std::vector<TraceSegment> traces;
  std::string voice_recording;  // a path or name; may be empty for typed narratives
  // Fields this version does not know, kept in their original order so that
  // a read-write round trip loses nothing. Always a JSON object.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();

  friend bool operator==(const Narrative&, const Narrative&) = default;
};

// The order in which Google's files list the fields; the writer follows it.
inline constexpr const char* kNarrativeFields[] = {"dataset_id",    "image_id", "annotator_id",   "caption",
                                                   "timed_caption", "traces",   "voice_recording"};

}  // namespace loctex::core
