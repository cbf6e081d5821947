#include "pipeline/manifest.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/content_hash.h"

namespace loctex::pipeline {

using Json = nlohmann::ordered_json;

void to_json(Json& j, const ShardRecord& shard) {
  j = Json{{"name", shard.name},
           {"split", to_string(shard.split)},
           {"samples", shard.samples},
           {"bytes", shard.bytes},
           {"sha256", shard.sha256},
           {"words", shard.words},
           {"words_with_trace", shard.words_with_trace},
           {"first_record", shard.first_record},
           {"last_record", shard.last_record}};
}

void from_json(const Json& j, ShardRecord& shard) {
  j.at("name").get_to(shard.name);
  const auto split = j.at("split").get<std::string>();
  if (split != "train" && split != "val") throw std::invalid_argument("split must be \"train\" or \"val\"");
  shard.split = split == "train" ? Split::train : Split::val;
  j.at("samples").get_to(shard.samples);
  j.at("bytes").get_to(shard.bytes);
  j.at("sha256").get_to(shard.sha256);
  j.at("words").get_to(shard.words);
  j.at("words_with_trace").get_to(shard.words_with_trace);
  j.at("first_record").get_to(shard.first_record);
  j.at("last_record").get_to(shard.last_record);
}

void to_json(Json& j, const Manifest& manifest) {
  j = Json{{"format", manifest.format},
           {"tool", "loctex-build-dataset"},
           {"tool_version", manifest.tool_version},
           {"complete", manifest.complete},
           {"parameters", manifest.parameters},
           {"inputs", manifest.inputs},
           {"shards", manifest.shards}};
  if (manifest.complete) j["totals"] = manifest.totals;
}

void from_json(const Json& j, Manifest& manifest) {
  j.at("format").get_to(manifest.format);
  if (manifest.format > kManifestFormat)
    throw std::invalid_argument("format " + std::to_string(manifest.format) +
                                " is newer than this tool reads (" + std::to_string(kManifestFormat) + ")");
  j.at("tool_version").get_to(manifest.tool_version);
  j.at("complete").get_to(manifest.complete);
  manifest.parameters = j.at("parameters");
  manifest.inputs = j.at("inputs");
  manifest.shards.clear();
  const auto& shards = j.at("shards");
  for (std::size_t i = 0; i < shards.size(); ++i) {
    try {
      manifest.shards.push_back(shards.at(i).get<ShardRecord>());
    } catch (const std::exception& e) {
      throw std::invalid_argument("shards[" + std::to_string(i) + "]: " + e.what());
    }
  }
  if (j.contains("totals")) manifest.totals = j.at("totals");
}

bool shard_matches(const std::filesystem::path& folder, const ShardRecord& shard) {
  const auto path = folder / shard.name;
  std::error_code ec;
  return std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) == shard.bytes &&
         core::sha256_file(path) == shard.sha256;
}

void ShardTotals::add(const ShardRecord& shard) {
  const auto s = static_cast<std::size_t>(shard.split);
  samples[s] += shard.samples;
  shards[s] += 1;
  bytes += shard.bytes;
  words += shard.words;
  words_with_trace += shard.words_with_trace;
}

void ShardTotals::write_to(Json& totals) const {
  totals["samples"] = {{"train", samples[0]}, {"val", samples[1]}};
  totals["shards"] = {{"train", shards[0]}, {"val", shards[1]}};
  totals["bytes"] = bytes;
  totals["words"] = words;
  totals["words_with_trace"] = words_with_trace;
  totals["words_without_trace"] = words - words_with_trace;
}

void write_manifest(const std::filesystem::path& path, const Manifest& manifest) {
  core::write_file_atomically(path, Json(manifest).dump(2) + "\n");
}

Manifest read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the manifest");
  try {
    return Json::parse(in).get<Manifest>();
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": not a loctex-build-dataset manifest: " + e.what());
  }
}

}  // namespace loctex::pipeline
