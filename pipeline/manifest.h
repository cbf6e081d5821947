#pragma once
// manifest.json: what a build made and how. Written atomically after every
// finished shard with "complete": false (the checkpoint that --resume starts
// from) and once more at the end with "complete": true and the totals.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/sample_key.h"

namespace loctex::pipeline {

inline constexpr int kManifestFormat = 1;

// The files a build writes beside its shards.
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kErrorsName = "errors.jsonl";
inline constexpr const char* kVocabName = "vocab.txt";
inline constexpr const char* kVocabCountsName = "vocab-counts.txt";  // a part's, every count

struct ShardRecord {
  std::string name;  // file name, e.g. "train-000003.tar"
  Split split = Split::train;
  std::size_t samples = 0;
  std::uint64_t bytes = 0;
  std::string sha256;
  std::size_t words = 0;
  std::size_t words_with_trace = 0;
  // Input records (numbered from 0 over all inputs, bad lines included) of
  // the first and last sample, so a resumed build knows where a split goes on.
  std::uint64_t first_record = 0;
  std::uint64_t last_record = 0;
};

struct Manifest {
  int format = kManifestFormat;
  std::string tool_version;
  bool complete = false;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();  // [{path, bytes}]
  std::vector<ShardRecord> shards;
  nlohmann::ordered_json totals = nlohmann::ordered_json::object();  // when complete
};

void to_json(nlohmann::ordered_json& j, const ShardRecord& shard);
void from_json(const nlohmann::ordered_json& j, ShardRecord& shard);
void to_json(nlohmann::ordered_json& j, const Manifest& manifest);
void from_json(const nlohmann::ordered_json& j, Manifest& manifest);

// Whether folder/shard.name exists with the recorded size and sha256.
bool shard_matches(const std::filesystem::path& folder, const ShardRecord& shard);

// What a list of shards holds, per split where it matters.
struct ShardTotals {
  std::uint64_t samples[2] = {0, 0};  // indexed by Split
  std::size_t shards[2] = {0, 0};
  std::uint64_t bytes = 0;
  std::uint64_t words = 0;
  std::uint64_t words_with_trace = 0;

  void add(const ShardRecord& shard);
  // Sets "samples", "shards", "bytes", "words", "words_with_trace" and
  // "words_without_trace" of a manifest's totals.
  void write_to(nlohmann::ordered_json& totals) const;
};

// Atomic (temporary file, fsync, rename).
void write_manifest(const std::filesystem::path& path, const Manifest& manifest);
// Throws std::runtime_error naming the file and the field that is missing or
// wrong, or a format newer than this tool reads.
Manifest read_manifest(const std::filesystem::path& path);

}  // namespace loctex::pipeline
