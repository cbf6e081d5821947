#pragma once
// The numbered shards of one split ("train-000000.tar", "train-000001.tar",
// ...): appends samples to the open shard and starts the next one when the
// open shard holds --shard-samples samples or the next sample would take it
// past --shard-bytes. A shard is finished as soon as it is full. A shard is never empty and one sample always
// fits, even when it alone is larger than --shard-bytes.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/manifest.h"
#include "pipeline/sample_encoder.h"
#include "pipeline/tar_writer.h"

namespace loctex::pipeline {

// "train-000012.tar", or "train-p0003-000012.tar" for part 3 of a --part build.
std::string shard_name(Split split, const Part& part, std::size_t index);

class ShardSequence {
 public:
  ShardSequence(std::filesystem::path folder, Split split, Part part, std::size_t first_index,
                std::size_t max_samples, std::uint64_t max_bytes);

  // Appends a sample from input record `record`, calling `finished` for each
  // shard this finishes: the open one when the sample would take it past
  // the byte limit, and the new one when the sample fills it.
  void add(const SampleFiles& sample, std::uint64_t record,
           const std::function<void(const ShardRecord&)>& finished);
  // Finishes the open shard, if any.
  std::optional<ShardRecord> finish();

  std::size_t next_index() const { return m_index; }

 private:
  void open();

  std::filesystem::path m_folder;
  Split m_split;
  Part m_part;
  std::size_t m_index;
  std::size_t m_max_samples;
  std::uint64_t m_max_bytes;
  std::unique_ptr<TarWriter> m_writer;
  ShardRecord m_open;
};

}  // namespace loctex::pipeline
