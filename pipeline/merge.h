#pragma once
// `loctex-build-dataset merge`: the N parts of a --part build (run on N
// machines, each into its own folder) checked and joined into one data set
// description: manifest.json listing every part's shards by path relative to
// the merged folder, vocab.txt from the summed counts, errors.jsonl.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace loctex::pipeline {

struct MergeSummary {
  std::size_t parts = 0;
  std::uint64_t train_samples = 0;
  std::uint64_t val_samples = 0;
  std::size_t shards = 0;
  std::uint64_t skipped = 0;
  std::size_t vocabulary_size = 0;
  nlohmann::ordered_json to_json() const;
};

// Throws BuildFailure (builder.h) saying what is wrong: a folder without a
// complete manifest, parts built with different options or inputs, a part
// missing or given twice, a shard missing or not matching its checksum.
MergeSummary merge_parts(const std::vector<std::filesystem::path>& part_folders,
                         const std::filesystem::path& out);

}  // namespace loctex::pipeline
