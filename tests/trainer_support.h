#pragma once
// Shared by the trainer's tests: a synthetic set built into shards by the
// dataset builder, and the config of a model small enough to train a few
// steps a second on one core.

#include <filesystem>

#include "core/synthetic.h"
#include "pipeline/builder.h"
#include "trainer/config.h"

namespace loctex::testing {

struct ShardSetOptions {
  std::size_t count = 40;  // synthetic images
  int width = 128;
  int height = 96;
  std::uint64_t seed = 3;
  int max_objects = 4;  // per image (at least one)
  double val_fraction = 0.1;
  int shorter_side = 72;  // of the stored images
  int grid = 8;           // heatmap cells a side
  std::size_t shard_samples = 16;
  unsigned threads = 2;
};

struct ShardSet {
  core::SynthReport synth;       // DIR/synth
  std::filesystem::path shards;  // DIR/shards
  pipeline::BuildSummary build;
};

inline ShardSet build_synthetic_shards(const std::filesystem::path& dir, const ShardSetOptions& o = {}) {
  core::SynthOptions synth;
  synth.count = o.count;
  synth.width = o.width;
  synth.height = o.height;
  synth.seed = o.seed;
  synth.max_objects = o.max_objects;
  ShardSet set;
  set.synth = core::write_synthetic_set(synth, dir / "synth");
  pipeline::BuildOptions build;
  build.inputs = {set.synth.narratives_file};
  build.image_root = set.synth.images_dir;
  build.output = dir / "shards";
  build.image.shorter_side = o.shorter_side;
  build.heatmap.grid = o.grid;
  build.shard_samples = o.shard_samples;
  build.val_fraction = o.val_fraction;
  build.threads = o.threads;
  set.build = pipeline::build_dataset(build);
  set.shards = build.output;
  return set;
}

// 1/8-width ResNet-18 at 64×64 (a 2×2 grid), a one-layer text encoder of
// width 32, batch 8, 6 steps, one thread, checkpoints every 3 steps, a
// metrics line every step.
inline trainer::TrainConfig tiny_config(const std::filesystem::path& shards,
                                        const std::filesystem::path& out) {
  trainer::TrainConfig c;
  c.data.shards = shards;
  c.data.workers = 1;
  c.data.prefetch = 2;
  c.output = out;
  c.model.image_size = 64;
  c.model.width = 0.125;
  c.model.embed_dim = 32;
  c.model.text_width = 32;
  c.model.text_heads = 2;
  c.model.text_layers = 1;
  c.model.max_words = 24;
  c.optim.batch_size = 8;
  c.optim.steps = 6;
  c.optim.warmup_steps = 2;
  c.threads = 1;
  c.checkpoint_every = 3;
  c.log_every = 1;
  c.seed = 5;
  return c;
}

}  // namespace loctex::testing
