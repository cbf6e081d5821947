#pragma once
// build_dataset(): Localized Narratives + images in, WebDataset shards out.
// One oneTBB parallel_pipeline with a bounded number of samples in flight:
//
//   read records (serial, in order)
//     → image: read, decode (TurboJPEG at a reduced scale), area resize, JPEG
//       encode; per-word heatmaps; KEY.jpg / KEY.json / KEY.heatmaps.npy
//       (parallel)
//     → write shards, errors.jsonl and the checkpoint (serial, in order)
//
// Samples leave in input order whatever the thread count, so the same inputs
// and options give byte-identical shards. docs/dataset-builder.md describes
// the files, the split and part rules, resume and the error records.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/heatmap.h"
#include "pipeline/image_resize.h"
#include "pipeline/sample_key.h"

namespace loctex::pipeline {

struct BuildOptions {
  // LN JSONL files, or project folders (the foundation's project store), in
  // the order their records are read.
  std::vector<std::filesystem::path> inputs;
  // Where the images of JSONL inputs are; a project knows its own images.
  std::filesystem::path image_root;
  std::string image_pattern = "{image_id}.jpg";
  std::map<std::string, std::string> dataset_patterns;  // dataset_id → pattern, overrides image_pattern
  std::filesystem::path output;

  ResizeOptions image;
  core::HeatmapParams heatmap;
  double val_fraction = 0.05;
  std::size_t shard_samples = 1000;
  std::uint64_t shard_bytes = 1ULL << 30;  // a shard closes before it would grow past this
  Part part;
  std::size_t vocab_min_count = 1;
  std::size_t vocab_max_size = 0;  // 0: no cap

  unsigned threads = 0;           // 0: every core
  std::size_t max_in_flight = 0;  // samples between reading and writing; 0: 4 per thread
  bool strict = false;            // the first bad input ends the build
  bool resume = false;            // go on from the checkpoint in output
  bool overwrite = false;         // replace an earlier build's files in output
};

// Throws std::invalid_argument naming the option ("--val-fraction must be in
// [0, 1], got 1.5").
void validate(const BuildOptions& options);

// The options that define the output, as recorded in manifest.json; a resume
// must match them exactly. Thread counts are not among them.
nlohmann::ordered_json build_parameters(const BuildOptions& options);
// The other way round, for what shapes a sample (image size, JPEG quality,
// heatmap grid, sigma and time margin): a new build then makes samples as
// the build that recorded `parameters` did. Keys it lacks leave `options`
// as they are.
void apply_sample_parameters(const nlohmann::ordered_json& parameters, BuildOptions& options);

// One skipped input, as written to errors.jsonl.
struct BuildError {
  std::uint64_t record = 0;  // input record number, from 0 over all inputs
  std::string source;        // input file (or project database)
  std::size_t line = 0;      // line in the file (narrative id for a project)
  std::string key;           // empty if the record could not be parsed
  std::string split;         // "train", "val", or empty if unknown
  std::string image;         // image path, if the error concerns it
  std::string stage;         // "record", "duplicate", "words", "trace", "image", "heatmap"
  std::string reason;
};
nlohmann::ordered_json to_json(const BuildError& error);

struct BuildSummary {
  std::filesystem::path output;
  std::uint64_t records = 0;      // read, bad lines included
  std::uint64_t other_parts = 0;  // left to other parts of a --part build
  std::uint64_t excluded = 0;     // project narratives not done or accepted
  std::uint64_t train_samples = 0;
  std::uint64_t val_samples = 0;
  std::size_t train_shards = 0;
  std::size_t val_shards = 0;
  std::uint64_t bytes = 0;
  std::uint64_t words = 0;
  std::uint64_t words_with_trace = 0;
  std::uint64_t skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_stage;
  std::size_t vocabulary_size = 0;
  std::size_t resumed_shards = 0;  // verified and kept from an earlier run
  bool already_complete = false;   // --resume found a finished build
  double seconds = 0.0;

  nlohmann::ordered_json to_json() const;
};

// Reports progress and skipped inputs as they happen; all calls come from
// the pipeline's serial stages, one at a time.
struct BuildObserver {
  std::function<void(std::uint64_t records_done, std::uint64_t records_total)> progress;
  std::function<void(const BuildError&)> skipped;
  std::function<void(const std::string&)> note;  // "resuming: 12 shards verified", ...
};

// A build that cannot start or go on: a non-empty output folder without
// --resume or --overwrite, a resume with different options or inputs, a
// shard whose checksum no longer matches, a bad input with --strict, an
// unwritable output. what() says which and what to do.
class BuildFailure : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

BuildSummary build_dataset(const BuildOptions& options, const BuildObserver& observer = {});

// The file names a build writes into its output folder, so --overwrite
// removes only those.
bool is_build_output_name(const std::string& file_name);

}  // namespace loctex::pipeline
