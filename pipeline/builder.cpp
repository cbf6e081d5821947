#include "pipeline/builder.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/content_hash.h"
#include "core/file_bytes.h"
#include "core/image_pattern.h"
#include "core/line_error.h"
#include "core/vocabulary.h"
#include "pipeline/manifest.h"
#include "pipeline/record_source.h"
#include "pipeline/sample_encoder.h"
#include "pipeline/shard_reader.h"
#include "pipeline/shard_sequence.h"

namespace loctex::pipeline {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

std::string part_text(const Part& part) {
  return std::to_string(part.index) + "/" + std::to_string(part.count);
}

// What each input is, so a resume can tell that the inputs changed.
Json describe_inputs(const std::vector<fs::path>& inputs) {
  Json out = Json::array();
  for (const auto& input : inputs) {
    if (fs::is_directory(input))
      out.push_back(
          {{"path", input.string()}, {"narratives", core::ProjectStore::open(input).narrative_count()}});
    else
      out.push_back({{"path", input.string()}, {"bytes", fs::file_size(input)}});
  }
  return out;
}

// The first parameter that differs, as "--image-size was 256, now 384".
std::optional<std::string> first_difference(const Json& was, const Json& now) {
  for (const auto& [name, value] : now.items()) {
    const Json old = was.contains(name) ? was.at(name) : Json();
    if (old != value) return "--" + name + " was " + old.dump() + ", now " + value.dump();
  }
  for (const auto& [name, value] : was.items())
    if (!now.contains(name)) return "--" + name + " was " + value.dump() + ", now unset";
  return std::nullopt;
}

// The error lines of an earlier run that a resume keeps: those of records
// that will not be read again (see resume_points()).
struct KeptErrors {
  std::vector<std::pair<std::uint64_t, std::string>> lines;  // record, line
  std::map<std::string, std::uint64_t> by_stage;
};

// Per split, the first input record not inside a finished shard; records
// before it were handled for good by the earlier run.
struct ResumePoints {
  std::uint64_t train = 0;
  std::uint64_t val = 0;
  std::uint64_t at(Split s) const { return s == Split::train ? train : val; }
  std::uint64_t unsplit() const { return std::min(train, val); }  // for records with no split
};

ResumePoints resume_points(const std::vector<ShardRecord>& shards) {
  ResumePoints points;
  for (const auto& shard : shards) {
    auto& point = shard.split == Split::train ? points.train : points.val;
    point = std::max(point, shard.last_record + 1);
  }
  return points;
}

KeptErrors keep_errors(const fs::path& file, const ResumePoints& points) {
  KeptErrors kept;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    // A line cut short by a kill is past the checkpoint; it is read again.
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("record")) continue;
    const auto record = j.at("record").get<std::uint64_t>();
    const std::string split = j.value("split", "");
    const std::uint64_t limit = split == "train" ? points.train
                                : split == "val" ? points.val
                                                 : points.unsplit();
    if (record >= limit) continue;
    kept.by_stage[j.value("stage", "")] += 1;
    kept.lines.emplace_back(record, line);
  }
  std::stable_sort(kept.lines.begin(), kept.lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return kept;
}

// errors.jsonl after a resume holds two runs sorted by record: the kept lines,
// then the new ones. Merging them restores input order in constant memory.
void merge_error_runs(const fs::path& file, std::size_t first_run_lines) {
  std::ifstream a(file, std::ios::binary);
  std::ifstream b(file, std::ios::binary);
  std::string line;
  for (std::size_t i = 0; i < first_run_lines && std::getline(b, line); ++i) {
  }
  core::AtomicFile out(file);
  const auto record_of = [](const std::string& text) {
    return Json::parse(text, nullptr, false).value("record", std::uint64_t{0});
  };
  std::string la, lb;
  std::size_t taken_a = 0;
  bool have_a = first_run_lines > 0 && static_cast<bool>(std::getline(a, la));
  bool have_b = static_cast<bool>(std::getline(b, lb));
  while (have_a || have_b) {
    if (have_a && (!have_b || record_of(la) <= record_of(lb))) {
      out.stream() << la << '\n';
      have_a = ++taken_a < first_run_lines && static_cast<bool>(std::getline(a, la));
    } else {
      out.stream() << lb << '\n';
      have_b = static_cast<bool>(std::getline(b, lb));
    }
  }
  out.commit();
}

// (train|val)(-pNNNN)?-NNNNNN.tar(.partial)?, as shard_name() makes them.
bool looks_like_shard_name(std::string_view name) {
  const auto digits = [&](std::size_t n) {
    if (name.size() < n) return false;
    for (std::size_t i = 0; i < n; ++i)
      if (name[i] < '0' || name[i] > '9') return false;
    name.remove_prefix(n);
    return true;
  };
  const auto literal = [&](std::string_view text) {
    if (!name.starts_with(text)) return false;
    name.remove_prefix(text.size());
    return true;
  };
  if (!literal("train-") && !literal("val-")) return false;
  if (literal("p") && !(digits(4) && literal("-"))) return false;
  if (!digits(6) || !literal(".tar")) return false;
  return name.empty() || name == ".partial";
}

// One narrative on its way through the pipeline.
struct Item {
  InputRecord input;
  std::string key;
  std::optional<Split> split;
  bool pass = false;  // nothing to do: other part, excluded, or already in a kept shard
  std::optional<BuildError> error;
  std::optional<SampleFiles> files;
  std::exception_ptr failure;  // an unexpected error while encoding, rethrown in order by the write stage
};

BuildError make_error(const Item& item, std::string stage, std::string reason, std::string image = {}) {
  BuildError e;
  e.record = item.input.record;
  e.source = item.input.source;
  e.line = item.input.line;
  e.key = item.key;
  if (item.split) e.split = std::string(to_string(*item.split));
  e.image = std::move(image);
  e.stage = std::move(stage);
  e.reason = std::move(reason);
  return e;
}

std::string location(const BuildError& e) { return core::file_line(e.source, e.line); }

}  // namespace

void validate(const BuildOptions& o) {
  const auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  if (o.inputs.empty()) fail("no input: give LN JSONL files or project folders");
  if (o.output.empty()) fail("--out is required");
  if (o.image_root.empty())
    for (const auto& input : o.inputs)
      if (!std::filesystem::is_directory(input))
        fail("--images is required for LN JSONL inputs such as " + input.string());
  if (!(o.val_fraction >= 0.0 && o.val_fraction <= 1.0))
    fail("--val-fraction must be in [0, 1], got " + std::to_string(o.val_fraction));
  if (o.shard_samples == 0) fail("--shard-samples must be at least 1");
  if (o.part.count == 0 || o.part.index >= o.part.count)
    fail("--part " + part_text(o.part) + " is not a part");
  if (o.resume && o.overwrite) fail("--resume and --overwrite exclude each other");
  validate(o.image);
  try {
    core::validate(o.heatmap);
  } catch (const std::invalid_argument& e) {
    fail(std::string("heatmap: ") + e.what());
  }
  core::ImagePattern{o.image_pattern};
  for (const auto& [dataset, pattern] : o.dataset_patterns) core::ImagePattern{pattern};
}

Json build_parameters(const BuildOptions& o) {
  Json patterns = Json::object();
  for (const auto& [dataset, pattern] : o.dataset_patterns) patterns[dataset] = pattern;
  return {{"image-root", o.image_root.string()},
          {"image-pattern", o.image_pattern},
          {"dataset-image-patterns", patterns},
          {"image-size", o.image.shorter_side},
          {"jpeg-quality", o.image.jpeg_quality},
          {"heatmap-size", o.heatmap.grid},
          {"sigma", o.heatmap.sigma},
          {"time-margin", o.heatmap.time_margin},
          {"val-fraction", o.val_fraction},
          {"shard-samples", o.shard_samples},
          {"shard-bytes", o.shard_bytes},
          {"part", part_text(o.part)},
          {"vocab-min-count", o.vocab_min_count},
          {"vocab-max-size", o.vocab_max_size}};
}

void apply_sample_parameters(const nlohmann::ordered_json& parameters, BuildOptions& o) {
  o.image.shorter_side = parameters.value("image-size", o.image.shorter_side);
  o.image.jpeg_quality = parameters.value("jpeg-quality", o.image.jpeg_quality);
  o.heatmap.grid = parameters.value("heatmap-size", o.heatmap.grid);
  o.heatmap.sigma = parameters.value("sigma", o.heatmap.sigma);
  o.heatmap.time_margin = parameters.value("time-margin", o.heatmap.time_margin);
}

Json to_json(const BuildError& e) {
  Json j = {{"record", e.record}, {"source", e.source}, {"line", e.line}};
  if (!e.key.empty()) j["key"] = e.key;
  if (!e.split.empty()) j["split"] = e.split;
  if (!e.image.empty()) j["image"] = e.image;
  j["stage"] = e.stage;
  j["reason"] = e.reason;
  return j;
}

Json BuildSummary::to_json() const {
  return {{"output", output.string()},
          {"complete", true},
          {"records", records},
          {"samples", {{"train", train_samples}, {"val", val_samples}}},
          {"shards", {{"train", train_shards}, {"val", val_shards}}},
          {"bytes", bytes},
          {"words", words},
          {"words_with_trace", words_with_trace},
          {"words_without_trace", words - words_with_trace},
          {"skipped", skipped},
          {"skipped_by_stage", skipped_by_stage},
          {"other_parts", other_parts},
          {"excluded", excluded},
          {"vocabulary_size", vocabulary_size},
          {"resumed_shards", resumed_shards},
          {"already_complete", already_complete},
          {"seconds", seconds}};
}

bool is_build_output_name(const std::string& name) {
  return name == kManifestName || name == kErrorsName || name == kVocabName || name == kVocabCountsName ||
         looks_like_shard_name(name) || (name.starts_with(".") && name.find(".tmp-") != std::string::npos);
}

namespace {

// Everything build_dataset() keeps between its steps.
class Build {
 public:
  Build(const BuildOptions& options, const BuildObserver& observer)
      : m_options(options), m_observer(observer), m_parameters(build_parameters(options)) {}

  BuildSummary run();

 private:
  void prepare_output();
  bool resume_from(Manifest previous);
  void run_pipeline();
  void read_stage_item(Item& item);
  void encode(Item& item, ImageResizer& resizer) const;
  void write(Item& item);
  void record_error(const BuildError& error);
  void shard_finished(const ShardRecord& shard);
  void write_checkpoint();
  void finish();
  void add_shard_totals();
  void note(const std::string& text) const {
    if (m_observer.note) m_observer.note(text);
  }

  const BuildOptions& m_options;
  const BuildObserver& m_observer;
  Json m_parameters;
  Json m_inputs;
  Manifest m_manifest;
  ResumePoints m_resume;
  KeptErrors m_kept;
  std::size_t m_first_index[2] = {0, 0};
  std::unique_ptr<ShardSequence> m_sequences[2];
  std::ofstream m_errors;
  std::uint64_t m_new_errors = 0;
  core::VocabularyBuilder m_vocabulary;
  core::ImagePattern m_default_pattern{"{image_id}"};
  std::map<std::string, core::ImagePattern> m_patterns;
  // Read stage only: keys seen (by hash, to keep memory small) and where,
  // as an index into m_sources and a line.
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::size_t>> m_seen_keys;
  std::vector<std::string> m_sources;
  BuildSummary m_summary;
  std::uint64_t m_total_records = 0;
};

BuildSummary Build::run() {
  const auto started = std::chrono::steady_clock::now();
  validate(m_options);
  m_default_pattern = core::ImagePattern(m_options.image_pattern);
  for (const auto& [dataset, pattern] : m_options.dataset_patterns) m_patterns.emplace(dataset, pattern);
  m_inputs = describe_inputs(m_options.inputs);
  m_summary.output = m_options.output;

  prepare_output();
  if (!m_summary.already_complete) {
    m_total_records = count_records(m_options.inputs);
    run_pipeline();
    finish();
  }
  m_summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return m_summary;
}

void Build::prepare_output() {
  const fs::path& out = m_options.output;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out))
    throw BuildFailure(out.string() + " exists and is not a folder");
  fs::create_directories(out);

  m_manifest.tool_version = LOCTEX_VERSION;
  m_manifest.parameters = m_parameters;
  m_manifest.inputs = m_inputs;

  std::vector<std::string> ours, others;
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    (is_build_output_name(name) ? ours : others).push_back(name);
  }
  if (!m_options.resume && !(ours.empty() && others.empty())) {
    if (!m_options.overwrite)
      throw BuildFailure(out.string() + " is not empty (" + std::to_string(ours.size() + others.size()) +
                         " entries); use --resume to go on with the build there, --overwrite to replace it, "
                         "or another --out");
    for (const auto& name : ours) fs::remove(out / name);
    if (!ours.empty())
      note("overwrite: removed " + std::to_string(ours.size()) + " files of an earlier build");
  }

  const fs::path manifest_path = out / kManifestName;
  if (m_options.resume && fs::exists(manifest_path)) {
    if (resume_from(read_manifest(manifest_path))) return;
  } else if (m_options.resume) {
    note("resume: no manifest in " + out.string() + ", starting from the beginning");
  }

  // Whatever is left of our files and not kept (partial shards, shards past
  // the checkpoint) goes, so the folder holds only this build's output.
  std::set<std::string> kept;
  for (const auto& shard : m_manifest.shards) kept.insert(shard.name);
  for (const auto& entry : fs::directory_iterator(out)) {
    const std::string name = entry.path().filename().string();
    if (looks_like_shard_name(name) && !kept.contains(name)) fs::remove(entry.path());
  }

  // The kept error lines first, atomically, then new ones appended.
  {
    core::AtomicFile errors(out / kErrorsName);
    for (const auto& [record, line] : m_kept.lines) errors.stream() << line << '\n';
    errors.commit();
  }
  m_errors.open(out / kErrorsName, std::ios::binary | std::ios::app);
  if (!m_errors) throw BuildFailure("cannot write " + (out / kErrorsName).string());
  // From here the folder holds a build in progress that --resume can take up.
  write_checkpoint();
  m_summary.skipped_by_stage = m_kept.by_stage;
  for (const auto& [stage, n] : m_kept.by_stage) m_summary.skipped += n;
}

// Verifies the earlier run's shards and takes over its state. Returns true
// when that run had finished: nothing is left to do.
bool Build::resume_from(Manifest previous) {
  const fs::path& out = m_options.output;
  if (const auto difference = first_difference(previous.parameters, m_parameters))
    throw BuildFailure("cannot resume the build in " + out.string() + ": " + *difference +
                       "; run with the same options, or --overwrite to start again");
  if (previous.inputs != m_inputs)
    throw BuildFailure("cannot resume the build in " + out.string() +
                       ": the inputs differ from those it was started with (" + previous.inputs.dump() +
                       "); use --overwrite to start again");

  // Keep, per split, the longest run of shards that still match their
  // checksums; a shard that does not is rebuilt, with every later one.
  bool broken[2] = {false, false};
  std::size_t verified = 0;
  for (const auto& shard : previous.shards) {
    const auto s = static_cast<std::size_t>(shard.split);
    if (broken[s]) continue;
    if (!shard_matches(out, shard)) {
      broken[s] = true;
      note("resume: " + shard.name + " is missing or does not match its checksum; rebuilding from it");
      continue;
    }
    ++verified;
    m_manifest.shards.push_back(shard);
  }
  m_summary.resumed_shards = verified;

  if (previous.complete && !broken[0] && !broken[1]) {
    note("resume: the build in " + out.string() + " is complete; " + std::to_string(verified) +
         " shards verified");
    // The shards are those verified; the counts of what was read are the totals'.
    const Json& t = previous.totals;
    m_summary.already_complete = true;
    m_summary.records = t.value("records", std::uint64_t{0});
    m_summary.skipped = t.value("skipped", std::uint64_t{0});
    m_summary.skipped_by_stage = t.value("skipped_by_stage", std::map<std::string, std::uint64_t>{});
    m_summary.other_parts = t.value("other_parts", std::uint64_t{0});
    m_summary.excluded = t.value("excluded", std::uint64_t{0});
    m_summary.vocabulary_size = t.value("vocabulary_size", std::size_t{0});
    add_shard_totals();
    return true;
  }

  m_resume = resume_points(m_manifest.shards);
  for (const auto& shard : m_manifest.shards) {
    m_first_index[static_cast<std::size_t>(shard.split)] += 1;
    if (shard.split != Split::train) continue;
    // The vocabulary counts the training split's words: read them back.
    ShardReader reader(out / shard.name);
    while (auto sample = reader.next()) {
      const auto json = Json::parse(sample->files.at("json"));
      for (const auto& word : json.at("words")) m_vocabulary.add(word.at("text").get<std::string>());
    }
  }
  m_kept = keep_errors(out / kErrorsName, m_resume);
  note("resume: " + std::to_string(verified) + " shards verified; going on from input record " +
       std::to_string(m_resume.unsplit()));
  return false;
}

void Build::read_stage_item(Item& item) {
  if (item.input.excluded) {
    m_summary.excluded += 1;
    item.pass = true;
    return;
  }
  if (!item.input.narrative) {
    item.error = make_error(item, "record", item.input.error);
    if (item.input.record < m_resume.unsplit()) item.pass = true;
    return;
  }
  const auto& n = *item.input.narrative;
  const ImageHash hash = image_hash(n.dataset_id, n.image_id);
  if (!in_part(hash, m_options.part)) {
    m_summary.other_parts += 1;
    item.pass = true;
    return;
  }
  item.split = split_of(hash, m_options.val_fraction);
  item.key = sample_key(n.dataset_id, n.image_id, std::to_string(n.annotator_id));
  const bool done_before = item.input.record < m_resume.at(*item.split);

  // Keys are remembered by a 64-bit hash: 16 bytes a sample, not the key.
  const std::string key_hash = core::sha256_hex(item.key).substr(0, 16);
  if (m_sources.empty() || m_sources.back() != item.input.source) m_sources.push_back(item.input.source);
  const auto [it, inserted] = m_seen_keys.try_emplace(
      std::stoull(key_hash, nullptr, 16), static_cast<std::uint32_t>(m_sources.size() - 1), item.input.line);
  if (!inserted) {
    item.error = make_error(item, "duplicate",
                            "the same dataset_id, image_id and annotator_id as " +
                                core::file_line(m_sources[it->second.first], it->second.second));
  }
  if (done_before) item.pass = true;
}

void Build::encode(Item& item, ImageResizer& resizer) const {
  const auto& n = *item.input.narrative;
  std::string image;
  try {
    check_narrative(n);
    fs::path file;
    if (item.input.from_project) {
      if (!item.input.image_file)
        throw SampleError("image", "the project holds no image file for " + n.dataset_id + "/" + n.image_id);
      file = *item.input.image_file;
    } else {
      const auto found = m_patterns.find(n.dataset_id);
      const auto& pattern = found == m_patterns.end() ? m_default_pattern : found->second;
      fs::path relative;
      try {
        relative = pattern.format(n.dataset_id, n.image_id);
        image = relative.string();
        file = core::resolve_inside(m_options.image_root, relative);
      } catch (const std::invalid_argument& e) {
        throw SampleError("image", e.what());
      }
    }
    image = file.string();
    std::string bytes;
    try {
      bytes = core::read_file_bytes(file);
    } catch (const std::runtime_error& e) {
      throw SampleError("image", e.what());
    }
    item.files =
        encode_sample(n, item.key, bytes, {item.input.source, item.input.line}, resizer, m_options.heatmap);
  } catch (const SampleError& e) {
    item.error = make_error(item, e.stage(), e.what(), e.stage() == "image" ? image : std::string());
  }
}

void Build::record_error(const BuildError& error) {
  if (m_options.strict)
    throw BuildFailure("--strict: " + location(error) + ": " + error.stage + ": " + error.reason +
                       (error.image.empty() ? "" : " (" + error.image + ")"));
  m_errors << to_json(error).dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
  m_new_errors += 1;
  m_summary.skipped += 1;
  m_summary.skipped_by_stage[error.stage] += 1;
  if (m_observer.skipped) m_observer.skipped(error);
}

void Build::write_checkpoint() {
  // Error lines up to here must be on disk before the manifest says so.
  m_errors.flush();
  write_manifest(m_options.output / kManifestName, m_manifest);
}

void Build::shard_finished(const ShardRecord& shard) {
  m_manifest.shards.push_back(shard);
  write_checkpoint();
}

void Build::write(Item& item) {
  if (!item.pass) {
    if (item.error) {
      record_error(*item.error);
    } else if (item.files) {
      const auto s = static_cast<std::size_t>(*item.split);
      m_sequences[s]->add(*item.files, item.input.record,
                          [this](const ShardRecord& shard) { shard_finished(shard); });
      if (*item.split == Split::train)
        for (const auto& word : item.files->words) m_vocabulary.add(word);
    }
  }
  if (m_observer.progress) m_observer.progress(item.input.record + 1, m_total_records);
}

// The summary's sample, shard and word counts, from the manifest's shards.
void Build::add_shard_totals() {
  ShardTotals totals;
  for (const auto& shard : m_manifest.shards) totals.add(shard);
  m_summary.train_samples = totals.samples[0];
  m_summary.val_samples = totals.samples[1];
  m_summary.train_shards = totals.shards[0];
  m_summary.val_shards = totals.shards[1];
  m_summary.bytes = totals.bytes;
  m_summary.words = totals.words;
  m_summary.words_with_trace = totals.words_with_trace;
}

void Build::run_pipeline() {
  for (const Split split : {Split::train, Split::val}) {
    const auto s = static_cast<std::size_t>(split);
    m_sequences[s] =
        std::make_unique<ShardSequence>(m_options.output, split, m_options.part, m_first_index[s],
                                        m_options.shard_samples, m_options.shard_bytes);
  }
  const unsigned threads =
      m_options.threads > 0 ? m_options.threads : std::max(1U, std::thread::hardware_concurrency());
  const std::size_t tokens = m_options.max_in_flight > 0 ? m_options.max_in_flight : 4 * std::size_t{threads};

  RecordSource source(m_options.inputs);
  tbb::enumerable_thread_specific<ImageResizer> resizers(m_options.image);
  // More threads than cores is allowed (a build waiting on slow storage).
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, threads);
  tbb::task_arena arena(static_cast<int>(threads));
  // Read in order, encode in parallel, write in order. No exception may leave
  // a filter: oneTBB cancels the pipeline and leaks the items in flight. The
  // first failure is kept, reading stops, the items in flight drain through,
  // and the failure is rethrown once the pipeline has ended. Each serial stage
  // owns its failure; a write failure is of an earlier record than any read one.
  std::exception_ptr read_failure;
  std::exception_ptr write_failure;
  std::atomic<bool> stopping{false};
  const auto read = [&](tbb::flow_control& fc) -> std::shared_ptr<Item> {
    if (stopping.load(std::memory_order_relaxed)) {
      fc.stop();
      return nullptr;
    }
    try {
      auto input = source.next();
      if (!input) {
        fc.stop();
        return nullptr;
      }
      auto item = std::make_shared<Item>();
      item->input = std::move(*input);
      m_summary.records += 1;
      read_stage_item(*item);
      return item;
    } catch (...) {
      read_failure = std::current_exception();
      stopping.store(true, std::memory_order_relaxed);
      fc.stop();
      return nullptr;
    }
  };
  const auto process = [&](std::shared_ptr<Item> item) {
    if (item->pass || item->error) return item;
    try {
      encode(*item, resizers.local());
    } catch (...) {
      item->failure = std::current_exception();
    }
    return item;
  };
  const auto store = [&](std::shared_ptr<Item> item) {
    if (write_failure) return;
    try {
      if (item->failure) std::rethrow_exception(item->failure);
      write(*item);
    } catch (...) {
      write_failure = std::current_exception();
      stopping.store(true, std::memory_order_relaxed);
    }
  };
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens, tbb::make_filter<void, std::shared_ptr<Item>>(tbb::filter_mode::serial_in_order, read) &
                    tbb::make_filter<std::shared_ptr<Item>, std::shared_ptr<Item>>(tbb::filter_mode::parallel,
                                                                                   process) &
                    tbb::make_filter<std::shared_ptr<Item>, void>(tbb::filter_mode::serial_in_order, store));
  });
  if (write_failure) std::rethrow_exception(write_failure);
  if (read_failure) std::rethrow_exception(read_failure);
}

void Build::finish() {
  for (auto& sequence : m_sequences)
    if (const auto finished = sequence->finish()) m_manifest.shards.push_back(*finished);
  write_checkpoint();
  m_errors.close();
  if (!m_kept.lines.empty() && m_new_errors > 0)
    merge_error_runs(m_options.output / kErrorsName, m_kept.lines.size());

  const fs::path& out = m_options.output;
  // Parts keep every count; merge applies the cut-offs to the sums.
  const bool whole = m_options.part.whole();
  const auto vocabulary = whole ? m_vocabulary.build(m_options.vocab_min_count, m_options.vocab_max_size)
                                : m_vocabulary.build(1, 0);
  vocabulary.save(out / (whole ? kVocabName : kVocabCountsName));
  m_summary.vocabulary_size = vocabulary.size();

  add_shard_totals();
  // Shards in name order within each split, train first.
  std::stable_sort(m_manifest.shards.begin(), m_manifest.shards.end(), [](const auto& a, const auto& b) {
    return std::tie(a.split, a.name) < std::tie(b.split, b.name);
  });
  Json totals = m_summary.to_json();
  for (const char* transient : {"output", "complete", "resumed_shards", "already_complete", "seconds"})
    totals.erase(transient);
  m_manifest.totals = totals;
  m_manifest.complete = true;
  write_manifest(out / kManifestName, m_manifest);
}

}  // namespace

BuildSummary build_dataset(const BuildOptions& options, const BuildObserver& observer) {
  return Build(options, observer).run();
}

}  // namespace loctex::pipeline
