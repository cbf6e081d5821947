#pragma once
// Streams the builder's WebDataset shards into training batches: reads the
// shards with pipeline::ShardReader (one reader thread, deterministic order),
// decodes and augments on background worker threads, and keeps `prefetch`
// batches ready so that the step never waits when the workers keep up. The
// time next() spends blocked is measured, so a run can report how long steps
// waited for data.
//
// Deterministic: the same shards, options and seed give the same batches
// whatever the number of workers, because the order of samples is decided by
// the reader and every sample's augmentation draws from its own generator
// seeded from (seed, epoch, index of the sample in the epoch). Torch's global
// generator is never used (a resumed run restores it).
//
// Order: with shuffle, each epoch visits the split's shards in an order drawn
// from (seed, epoch) and passes the samples through a shuffle buffer of 1000
// (a split that small is shuffled whole); without, manifest order. Epochs
// follow each other as one stream, so with repeat a batch may hold the end of
// one epoch and the start of the next. A sample that cannot be decoded is
// left out (the batch takes the next one), counted, and named once on stderr.
//
// Shards are checked against the manifest as they are opened (byte size) and
// finished (sample count). A shard that cannot be read ends the stream: the
// batches before it are delivered, then next() throws.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/vocabulary.h"
#include "trainer/augment.h"  // kImageMean, kImageStd
#include "trainer/config.h"

namespace loctex::trainer {

struct Batch {
  torch::Tensor images;    // [B, 3, S, S] float32, normalised with ImageNet's mean and std
  torch::Tensor tokens;    // [B, L] int64: <cls>, then the caption's word ids, <pad> after; L = max_words + 1
  torch::Tensor heatmaps;  // [B, L, g, g] float32: a traced word's heatmap over the crop, pooled to the
                           // g×g feature grid (g = S / 32), summing to 1; zeros for other positions
  torch::Tensor has_trace;        // [B, L] bool: the word has a trace with mass inside the crop
  std::vector<std::string> keys;  // the samples' WebDataset keys
  std::int64_t epoch = 0;         // of the first sample
};

struct LoaderOptions {
  std::string split = "train";  // "train" or "val": which shards of the manifest
  std::int64_t batch_size = 32;
  int image_size = 128;
  int max_words = 40;
  bool augment = true;  // random resized crop, flip, jitter; false: resize + centre crop
  bool shuffle = true;  // shard order and a shuffle buffer, reseeded each epoch
  bool repeat = true;   // start a new epoch at the end; false: one pass, last batch may be short
  std::uint64_t seed = 0;
  // Resume: start after this many batches, as if they had been drawn. The
  // skipped samples are read (whole epochs not even that) but not decoded,
  // so the result is exact unless a sample among them failed to decode.
  std::int64_t skip_batches = 0;
};

struct LoaderStats {
  std::int64_t batches = 0;
  std::int64_t samples = 0;
  double wait_seconds = 0;  // total time next() was blocked
  // Samples left out because they could not be decoded (stderr names each once).
  std::int64_t skipped_samples = 0;
};

class BatchLoader {
 public:
  // Reads DATA.shards/manifest.json for the shard list and starts the
  // threads (a reader, data.workers workers, an assembler). Throws
  // std::runtime_error naming the file if the manifest is missing or has no
  // shard of `options.split`, std::invalid_argument for options out of range
  // (image_size not a multiple of 32, a split other than train or val, ...).
  BatchLoader(const DataConfig& data, const core::Vocabulary& vocabulary, LoaderOptions options);
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;
  ~BatchLoader();  // stops and joins the threads, also while they wait on full queues

  // The next batch; nullopt at the end of a non-repeating pass (whose last
  // batch may be short). Rethrows the reader's error (a corrupt shard) here,
  // naming the shard, and again on every later call. Call from one thread.
  std::optional<Batch> next();

  LoaderStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace loctex::trainer
