#include "align/batch_align.h"

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "align/alignment_record.h"
#include "core/atomic_file.h"
#include "core/line_error.h"
#include "core/ln_jsonl.h"
#include "core/words.h"

namespace loctex::align {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Aligners made as workers need them and handed back after each record: as
// many as records are aligned at once, each used by one thread at a time.
class AlignerPool {
 public:
  explicit AlignerPool(const AlignerOptions& options) : m_options(options) {
    m_free.push_back(std::make_unique<ForcedAligner>(m_options));  // a bad model fails here, before any work
  }
  // An aligner for one record, back in the pool when the lease ends.
  class Lease {
   public:
    explicit Lease(AlignerPool& pool) : m_pool(pool), m_aligner(pool.take()) {}
    ~Lease() { m_pool.give_back(std::move(m_aligner)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ForcedAligner& operator*() const { return *m_aligner; }

   private:
    AlignerPool& m_pool;
    std::unique_ptr<ForcedAligner> m_aligner;
  };

 private:
  std::unique_ptr<ForcedAligner> take() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_free.empty()) {
        auto aligner = std::move(m_free.back());
        m_free.pop_back();
        return aligner;
      }
    }
    return std::make_unique<ForcedAligner>(m_options);
  }
  void give_back(std::unique_ptr<ForcedAligner> aligner) {
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(aligner));
  }

  AlignerOptions m_options;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<ForcedAligner>> m_free;
};

std::uint64_t count_records(const fs::path& input) {
  std::ifstream in(input);
  std::uint64_t n = 0;
  for (std::string line; std::getline(in, line);) n += core::is_blank_line(line) ? 0 : 1;
  return n;
}

// One input line on its way through the pipeline.
struct Item {
  std::size_t input = 0;
  std::size_t line = 0;
  std::string text;  // the line as read; replaced by the aligned record
  std::optional<BatchError> error;
  std::size_t words = 0, words_aligned = 0, words_to_check = 0, untyped_speech = 0;
  double audio_seconds = 0;
};

void fail(Item& item, std::string stage, std::string reason) {
  item.error->stage = std::move(stage);
  item.error->reason = std::move(reason);
}

void align_record(Item& item, const BatchOptions& options, AlignerPool& pool) {
  const fs::path& source = options.inputs[item.input];
  core::Narrative narrative;
  try {
    narrative = core::parse_narrative(item.text);
  } catch (const std::invalid_argument& e) {
    return fail(item, "record", e.what());
  }
  item.error->voice_recording = narrative.voice_recording;
  if (narrative.voice_recording.empty()) return fail(item, "audio", "the record has no voice_recording");
  fs::path audio = narrative.voice_recording;
  if (audio.is_relative())
    audio = (options.audio_root.empty() ? source.parent_path() : options.audio_root) / audio;
  std::error_code ec;
  if (!fs::exists(audio, ec))
    return fail(item, "audio",
                audio.string() + (ec ? ": cannot be looked at: " + ec.message() : ": not found"));
  const auto words = core::caption_words(narrative.caption);
  if (words.empty()) return fail(item, "words", "the caption has no words");
  core::AudioClip clip;
  try {
    clip = core::read_audio(audio);
  } catch (const std::exception& e) {
    return fail(item, "audio", e.what());
  }
  Alignment alignment;
  try {
    alignment = (*AlignerPool::Lease(pool)).align(clip, words);
  } catch (const std::invalid_argument& e) {  // empty, or too short for the words
    return fail(item, "audio", audio.string() + ": " + e.what());
  } catch (const std::runtime_error& e) {
    return fail(item, "align", audio.string() + ": " + e.what());
  }
  apply_alignment(narrative, alignment);
  item.text = core::format_narrative(narrative);
  item.error.reset();
  item.words = alignment.words.size();
  for (const auto& w : alignment.words) {
    item.words_aligned += w.aligned ? 1 : 0;
    item.words_to_check += w.needs_check() ? 1 : 0;
  }
  item.untyped_speech = alignment.untyped_speech.size();
  item.audio_seconds = alignment.duration;
}

// No exception may leave a pipeline stage: whatever goes wrong with one
// record is that record's error.
void align_item(Item& item, const BatchOptions& options, AlignerPool& pool) {
  item.error = BatchError{options.inputs[item.input].string(), item.line, {}, {}, {}};
  try {
    align_record(item, options, pool);
  } catch (const std::exception& e) {
    fail(item, "align", e.what());
  }
}

void check_outputs(const BatchOptions& options, const std::vector<fs::path>& targets) {
  if (options.inputs.empty()) throw BatchFailure("no inputs: name one or more LN JSONL files");
  std::set<fs::path> names = {kBatchErrorsName};  // the error list's name is taken
  for (const auto& input : options.inputs) {
    if (!fs::is_regular_file(input)) throw BatchFailure(input.string() + ": not found or not a file");
    if (!std::ifstream(input)) throw BatchFailure(input.string() + ": cannot be read");
    if (!names.insert(input.filename()).second)
      throw BatchFailure(
          input.string() +
          ": another input, or errors.jsonl, has the same name, and the outputs would collide in " +
          options.output.string());
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (i < options.inputs.size() && fs::exists(targets[i]) && fs::equivalent(targets[i], options.inputs[i]))
      throw BatchFailure(targets[i].string() + ": is the input; choose another --out folder");
    if (fs::exists(targets[i]) && !options.overwrite)
      throw BatchFailure(targets[i].string() + ": already exists; pass --overwrite to replace it");
  }
}

}  // namespace

Json BatchError::to_json() const {
  Json j;
  j["source"] = source;
  j["line"] = line;
  j["voice_recording"] = voice_recording;
  j["stage"] = stage;
  j["reason"] = reason;
  return j;
}

Json BatchSummary::to_json() const {
  Json j;
  j["records"] = records;
  j["aligned"] = aligned;
  j["failed"] = failed;
  j["failed_by_stage"] = failed_by_stage;
  j["words"] = words;
  j["words_aligned"] = words_aligned;
  j["words_to_check"] = words_to_check;
  j["untyped_speech"] = untyped_speech;
  j["audio_seconds"] = audio_seconds;
  j["seconds"] = seconds;
  auto& out = j["outputs"] = Json::array();
  for (const auto& path : outputs) out.push_back(path.string());
  return j;
}

BatchSummary align_batch(const BatchOptions& options, const BatchObserver& observer) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<fs::path> targets;
  for (const auto& input : options.inputs) targets.push_back(options.output / input.filename());
  targets.push_back(options.output / kBatchErrorsName);
  check_outputs(options, targets);

  AlignerPool pool(options.aligner);
  std::vector<std::unique_ptr<core::AtomicFile>> files;
  for (const auto& target : targets) files.push_back(std::make_unique<core::AtomicFile>(target));
  std::ostream& errors = files.back()->stream();

  std::uint64_t total = 0;
  for (const auto& input : options.inputs) total += count_records(input);
  BatchSummary summary;
  if (observer.progress) observer.progress(0, total);

  const std::size_t threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::size_t input = 0;
  std::size_t line = 0;
  std::optional<std::ifstream> in;
  std::string read_failure;  // thrown once the pipeline has stopped
  const auto read = [&](tbb::flow_control& control) -> std::shared_ptr<Item> {
    for (;;) {
      if (!in) {
        if (input == options.inputs.size()) {
          control.stop();
          return nullptr;
        }
        in.emplace(options.inputs[input]);
        line = 0;
      }
      std::string text;
      if (!std::getline(*in, text)) {
        if (in->bad() || !in->eof()) {
          read_failure = core::file_line(options.inputs[input].string(), line + 1) + ": cannot be read";
          control.stop();
          return nullptr;
        }
        in.reset();
        ++input;
        continue;
      }
      ++line;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (core::is_blank_line(text)) continue;
      auto item = std::make_shared<Item>();
      item->input = input;
      item->line = line;
      item->text = std::move(text);
      return item;
    }
  };
  const auto align = [&](std::shared_ptr<Item> item) {
    align_item(*item, options, pool);
    return item;
  };
  const auto write = [&](std::shared_ptr<Item> item) {
    files[item->input]->stream() << item->text << '\n';
    ++summary.records;
    if (item->error) {
      ++summary.failed;
      ++summary.failed_by_stage[item->error->stage];
      errors << item->error->to_json().dump(-1, ' ', false, Json::error_handler_t::replace) << '\n';
      if (observer.failed) observer.failed(*item->error);
    } else {
      ++summary.aligned;
      summary.words += item->words;
      summary.words_aligned += item->words_aligned;
      summary.words_to_check += item->words_to_check;
      summary.untyped_speech += item->untyped_speech;
      summary.audio_seconds += item->audio_seconds;
    }
    if (observer.progress) observer.progress(summary.records, total);
  };
  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_pipeline(
        threads * 2,
        tbb::make_filter<void, std::shared_ptr<Item>>(tbb::filter_mode::serial_in_order, read) &
            tbb::make_filter<std::shared_ptr<Item>, std::shared_ptr<Item>>(tbb::filter_mode::parallel,
                                                                           align) &
            tbb::make_filter<std::shared_ptr<Item>, void>(tbb::filter_mode::serial_in_order, write));
  });
  if (!read_failure.empty()) throw BatchFailure(read_failure);
  for (auto& file : files) file->commit();
  summary.outputs.assign(targets.begin(), targets.end());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace loctex::align
