#pragma once
// Batch re-alignment of Localized Narratives: each record's typed caption is
// aligned to its voice_recording, in parallel across recordings (oneTBB, one
// aligner per worker thread), and written back as LN JSONL with the new
// timed_caption and a per-word confidence (align/alignment_record.h).
//
// Every record line reaches the output, in order (blank lines are dropped): a record that cannot be
// aligned (missing, unreadable, empty or too short audio, no words, a line
// that is not a narrative) is copied as it was and reported, with its file,
// line and reason, to the observer and errors.jsonl. Outputs appear
// atomically when the run ends.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "align/forced_aligner.h"

namespace loctex::align {

struct BatchOptions {
  std::vector<std::filesystem::path> inputs;  // LN JSONL files
  // Folder a relative voice_recording is found in; empty: each input's own.
  std::filesystem::path audio_root;
  std::filesystem::path output;  // folder: one JSONL per input, same name, and errors.jsonl
  AlignerOptions aligner;
  std::size_t threads = 0;  // 0: every core
  bool overwrite = false;   // replace outputs of an earlier run
};

inline constexpr const char* kBatchErrorsName = "errors.jsonl";

// One record that kept its old timing, as written to errors.jsonl.
struct BatchError {
  std::string source;  // input file
  std::size_t line = 0;
  std::string voice_recording;  // as the record names it, if it could be read
  std::string stage;            // "record", "audio", "words", "align"
  std::string reason;
  nlohmann::ordered_json to_json() const;
};

struct BatchSummary {
  std::uint64_t records = 0;  // lines read, bad ones included
  std::uint64_t aligned = 0;  // records given new word times
  std::uint64_t failed = 0;
  std::map<std::string, std::uint64_t> failed_by_stage;
  std::uint64_t words = 0;          // in the aligned records
  std::uint64_t words_aligned = 0;  // of those, found in the voice
  std::uint64_t words_to_check = 0;
  std::uint64_t untyped_speech = 0;  // runs of voice no typed word covers
  double audio_seconds = 0;          // of the aligned records
  double seconds = 0;                // wall clock
  std::vector<std::filesystem::path> outputs;
  nlohmann::ordered_json to_json() const;
};

struct BatchObserver {
  // From one thread at a time, in input order.
  std::function<void(std::uint64_t records_done, std::uint64_t records_total)> progress;
  std::function<void(const BatchError&)> failed;
};

// A run that cannot start or finish: no inputs, an unreadable one, two
// inputs of the same name (or one named errors.jsonl), outputs already there
// without `overwrite`, the model missing, a read error part way through an
// input (nothing is written then). what() says which.
class BatchFailure : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

BatchSummary align_batch(const BatchOptions& options, const BatchObserver& observer = {});

}  // namespace loctex::align
