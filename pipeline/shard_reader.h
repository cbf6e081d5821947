#pragma once
// Reads WebDataset tar shards sample by sample. WebDataset's rule: a member's
// key is its path up to the first dot of the file name, the rest is the
// extension ("a/b/key.heatmaps.npy" → key "a/b/key", extension
// "heatmaps.npy"); consecutive members with the same key form one sample.
// (WebDataset itself skips names without a dot and lower-cases extensions;
// we keep such members, with extension "", and extensions as stored.)

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace loctex::pipeline {

// {key, extension}; the extension is "" for a name without a dot.
std::pair<std::string, std::string> split_webdataset_name(std::string_view member_name);

struct ShardSample {
  std::string key;
  std::map<std::string, std::string> files;  // extension → bytes, e.g. "jpg", "json", "heatmaps.npy"
};

class ShardReader {
 public:
  // Opens a tar file (plain; gzip-compressed tars are read too). Throws
  // std::runtime_error naming the file if it cannot be opened or is not a
  // tar (an empty, zero-byte file is not one).
  explicit ShardReader(const std::filesystem::path& path);
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;
  ~ShardReader();

  // The next sample, or nullopt at the end. Non-regular members (folders,
  // links) are skipped. Throws std::runtime_error naming the file and the
  // member for a corrupt or truncated tar, for a key that appears again
  // after another key (a sample split in two) and for a sample with two files
  // of one extension. Every sample returned is whole: an error past it is
  // thrown by the next call. A tar cut exactly after a member cannot be told
  // from a complete one (so says libarchive, as do GNU tar and Python); the
  // manifest's size and SHA-256 catch that.
  std::optional<ShardSample> next();

  const std::filesystem::path& path() const;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace loctex::pipeline
