#include "pipeline/merge.h"

#include <fstream>
#include <map>
#include <string>

#include "core/atomic_file.h"
#include "core/vocabulary.h"
#include "pipeline/builder.h"
#include "pipeline/manifest.h"

namespace loctex::pipeline {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Json MergeSummary::to_json() const {
  return {{"parts", parts},
          {"samples", {{"train", train_samples}, {"val", val_samples}}},
          {"shards", shards},
          {"skipped", skipped},
          {"vocabulary_size", vocabulary_size}};
}

MergeSummary merge_parts(const std::vector<fs::path>& part_folders, const fs::path& out) {
  if (part_folders.empty()) throw BuildFailure("merge: no part folders given");

  // Read and check every part before writing anything.
  std::map<std::size_t, std::pair<fs::path, Manifest>> parts;  // by part index
  Json parameters;
  std::size_t count = 0;
  for (const auto& folder : part_folders) {
    Manifest m = read_manifest(folder / kManifestName);
    if (!m.complete)
      throw BuildFailure("merge: the build in " + folder.string() +
                         " is not complete; finish it with --resume");
    const Part part = parse_part(m.parameters.at("part").get<std::string>());
    Json shared = m.parameters;
    shared.erase("part");
    if (parts.empty()) {
      parameters = shared;
      count = part.count;
    } else if (shared != parameters || part.count != count) {
      throw BuildFailure("merge: " + folder.string() + " was built with other options than " +
                         parts.begin()->second.first.string());
    } else if (m.inputs != parts.begin()->second.second.inputs) {
      throw BuildFailure("merge: " + folder.string() + " was built from other inputs than " +
                         parts.begin()->second.first.string());
    }
    if (parts.contains(part.index))
      throw BuildFailure("merge: part " + std::to_string(part.index) + " is given twice: " +
                         parts.at(part.index).first.string() + " and " + folder.string());
    parts.emplace(part.index, std::pair{folder, std::move(m)});
  }
  std::string missing;
  for (std::size_t i = 0; i < count; ++i)
    if (!parts.contains(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty())
    throw BuildFailure("merge: parts missing of " + std::to_string(count) + ": " + missing);

  fs::create_directories(out);
  Manifest merged;
  merged.tool_version = parts.begin()->second.second.tool_version;
  merged.parameters = parameters;
  merged.parameters["part"] = "all/" + std::to_string(count);
  merged.inputs = parts.begin()->second.second.inputs;
  merged.complete = true;

  MergeSummary summary;
  summary.parts = count;
  core::VocabularyBuilder vocabulary;
  core::AtomicFile errors(out / kErrorsName);
  Json totals = parts.begin()->second.second.totals;  // records and excluded: every part reads every record
  std::map<std::string, std::uint64_t> by_stage;
  ShardTotals shard_totals;
  for (const auto& [index, entry] : parts) {
    const auto& [folder, m] = entry;
    for (ShardRecord shard : m.shards) {
      const fs::path path = folder / shard.name;
      if (!shard_matches(folder, shard))
        throw BuildFailure("merge: " + path.string() + " is missing or does not match its checksum");
      shard.name = fs::proximate(path, out).generic_string();
      shard_totals.add(shard);
      merged.shards.push_back(std::move(shard));
    }
    vocabulary.merge(core::Vocabulary::load(folder / kVocabCountsName));

    // Bad lines are reported by every part (they are read before the part is
    // known); keep part 0's.
    std::ifstream in(folder / kErrorsName, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      const Json j = Json::parse(line, nullptr, false);
      const std::string stage = j.is_object() ? j.value("stage", "") : "";
      if (stage == "record" && index != 0) continue;
      errors.stream() << line << '\n';
      by_stage[stage] += 1;
      summary.skipped += 1;
    }
  }
  errors.commit();
  summary.shards = merged.shards.size();
  summary.train_samples = shard_totals.samples[0];
  summary.val_samples = shard_totals.samples[1];

  const auto vocab = vocabulary.build(parameters.at("vocab-min-count").get<std::size_t>(),
                                      parameters.at("vocab-max-size").get<std::size_t>());
  vocab.save(out / kVocabName);
  summary.vocabulary_size = vocab.size();

  shard_totals.write_to(totals);
  totals["skipped"] = summary.skipped;
  totals["skipped_by_stage"] = by_stage;
  // Each record belongs to exactly one part, so what one part left to the
  // others, the others built: nothing is left over.
  totals["other_parts"] = 0;
  totals["vocabulary_size"] = summary.vocabulary_size;
  merged.totals = totals;
  write_manifest(out / kManifestName, merged);
  return summary;
}

}  // namespace loctex::pipeline
