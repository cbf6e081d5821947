#pragma once
// Overlay PNGs of a trained model's word-to-region attention beside the
// word's trace heatmap (`loctex-train overlays`): for each of the first
// validation samples, the centre crop as the model sees it, and for each
// traced word one row of two tiles, [attention | trace], each blended over
// the crop with core/overlay.h's colour map. Torch-free, so that the command
// line includes it cheaply.
//
// What is drawn:
// - the image: the loader's batch image (BatchLoader, val split, no
//   augmentation: the largest centred square resized to model.image_size),
//   un-normalised, so the crop has one definition;
// - "model": softmax over the g×g cells of ModelOutput::attention_logits of
//   the word's position (eval mode, no gradients);
// - "trace": the loader's heatmap of the word over the same crop, pooled to
//   the same g×g grid (Batch::heatmaps);
// - the words: a traced word within model.max_words whose trace has mass
//   inside the crop (Batch::has_trace), named by the sample's KEY.json.
// Each tile is divided by its own peak before colour-mapping; the label gives
// that peak as a probability (both maps sum to 1 over the cells; a uniform
// map has 1/g² everywhere), so a flat attention is told from a sharp one.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/narrative.h"
#include "core/overlay.h"

namespace loctex::trainer {

struct AttentionOverlayOptions {
  std::filesystem::path run;     // a run folder (its latest checkpoint) or a checkpoint file
  std::filesystem::path shards;  // a loctex-build-dataset folder; empty: the run's data.shards
  std::filesystem::path out;     // OUT/<key>/sheet.png per sample
  std::int64_t max_samples = 8;  // the first of the val split, in manifest order
  bool per_word = false;         // also OUT/<key>/NNN-<word>.png: the word's row alone
  int threads = 0;               // torch intra-op threads; 0: every core
  std::string device = "cpu";    // cpu, cuda, cuda:N
  // tile_side: side of each (square) tile; alpha: opacity of the hottest
  // cell. sheet_columns is not used: a row is always [model | trace].
  core::OverlayStyle style;
};

struct AttentionOverlayReport {
  std::filesystem::path checkpoint;  // the one loaded
  std::int64_t step = 0;             // its training step
  std::size_t samples = 0;           // sheets written
  std::size_t words = 0;             // rows drawn, over all sheets
  std::size_t files = 0;             // PNGs written
  std::int64_t skipped_samples = 0;  // samples the loader could not decode (stderr names them)
};

// Loads the run's model, renders the first max_samples validation samples and
// writes OUT/<key>/sheet.png (and, with per_word, the per-word PNGs), each
// file atomically; <key> is the sample's key made file-name safe. A sample's
// files are all rendered before the first is written. Throws
// std::invalid_argument for bad options (naming them) or shards whose
// vocabulary does not fit the model, and std::runtime_error naming the path
// for a missing run, checkpoint, manifest or shard and for a file that cannot
// be written.
AttentionOverlayReport write_attention_overlays(const AttentionOverlayOptions& options);

// ---- one sample, from plain values ----------------------------------------

struct WordAttention {
  std::size_t index = 0;         // the word's place in the caption, from 0 (names the per-word file)
  std::string text;              // as KEY.json has it
  std::vector<float> attention;  // grid² cells, row-major (rows down in y): the model's, summing to 1
  std::vector<float> trace;      // grid² cells, row-major: the trace heatmap, summing to 1
  // How far the attention is from the trace, as trainer/evaluate.h scores
  // it: KL(trace || attention) in nats, and whether the attention's argmax
  // cell lies in the trace's top-50% mass cells (a pointing hit).
  double kl = 0;
  bool hit = false;
};

struct AttentionSample {
  std::string key;
  std::string caption;
  int image_size = 0;                // side of the square crop, in pixels
  std::vector<std::uint8_t> bgr;     // image_size² pixels, row-major, 3 bytes each (B, G, R)
  int grid = 0;                      // cells a side of every map
  std::vector<WordAttention> words;  // the rows, top to bottom
};

// PNG bytes: the caption (word-wrapped) over one row per word, each row two
// tiles of style.tile_side² (the crop scaled up or down) under a label band:
// "WORD: model (peak P)" and "WORD: trace (peak P)". 2·tile_side wide,
// core::kOverlayLabelHeight + (caption lines − 1)·core::kOverlayLineHeight +
// words·(core::kOverlayLabelHeight + tile_side) high. Throws
// std::invalid_argument for pixels or maps of the wrong size, a tile_side
// outside 16 to 4096 or an alpha outside [0, 1].
std::vector<unsigned char> render_attention_sheet(const AttentionSample& sample,
                                                  const core::OverlayStyle& style);

// PNG bytes of row `word` of the sheet alone (no caption): 2·tile_side by
// core::kOverlayLabelHeight + tile_side. Throws std::out_of_range for a row
// past the end.
std::vector<unsigned char> render_attention_row(const AttentionSample& sample, std::size_t word,
                                                const core::OverlayStyle& style);

// ---- a run's attention on a data set, as values ----------------------------

struct InspectRequest {
  std::filesystem::path run;       // a run folder (its latest checkpoint) or a checkpoint file
  std::filesystem::path shards;    // empty: the run's data.shards
  std::string split = "val";       // "val" or "train"
  std::int64_t max_samples = 200;  // the first of the split, in manifest order
  int threads = 0;                 // torch intra-op threads; 0: every core
  std::string device = "cpu";
};

struct Inspection {
  std::filesystem::path checkpoint;  // the one loaded
  std::int64_t step = 0;             // its training step
  std::filesystem::path shards;      // the data set read
  std::vector<AttentionSample> samples;
  std::int64_t skipped_samples = 0;  // samples the loader could not decode
};

// The run's model on the first max_samples of a split (centre crop, no
// augmentation): every traced word's attention beside its trace, with its
// KL and pointing hit. What `loctex-train overlays` draws and the app's
// Inspect view browses. Throws as write_attention_overlays does, and
// std::invalid_argument for a split other than val or train.
Inspection inspect_run(const InspectRequest& request);

// The same for one narrative that is not in a data set (a narrative of a
// project, with its image file): it is built into a one-sample data set in
// `work` (a folder of the caller's, emptied first) by the dataset builder,
// so its crop and heatmaps are exactly what training would see, and the
// run's own vocabulary reads its words (a word the run never saw is
// <unk>). request.shards and request.split are ignored. Throws what
// inspect_run throws, and std::runtime_error with the builder's reason for
// a narrative it skips (no words, no trace, an unreadable image).
Inspection inspect_narrative(const InspectRequest& request, const core::Narrative& narrative,
                             const std::filesystem::path& image_file, const std::filesystem::path& work);

}  // namespace loctex::trainer
