#pragma once
// Evaluation of a LocTex model (`loctex-train eval`): image↔text retrieval on
// the validation shards, how well the word-to-region attention follows the
// traces (and, on loctex-synth data, the objects' boxes), and a linear probe
// of the frozen backbone's pooled features. The model runs in eval mode under
// torch::NoGradGuard; only the probe's classifier is fitted. to_json() at the
// end shows the report's shape.
//
// The building blocks are free functions on tensors, so each is testable on
// hand-made values; evaluate() strings them together over the shards.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "trainer/augment.h"  // CropBox
#include "trainer/config.h"
#include "trainer/model.h"

namespace loctex::trainer {

// ---- retrieval ------------------------------------------------------------

// The rank (0 = first) of each query's match among the candidates, by dot
// product: queries [N, D], candidates [N, D]; query i matches candidate j
// when groups[i] == groups[j] (groups [N] int64; undefined: i matches i
// alone). Group ids let several narratives of one image count as the same
// image. The rank is the number of non-matching candidates scoring at least
// as high as the best match, so a tie counts against the model (a constant
// model ranks every match last, not first). Computed in blocks of rows, so
// N×N similarities are never held at once. Returns [N] int64.
torch::Tensor retrieval_ranks(const torch::Tensor& queries, const torch::Tensor& candidates,
                              const torch::Tensor& groups = {});

// Share of ranks below k: recall@k. 0 for no ranks.
double recall_at(const torch::Tensor& ranks, std::int64_t k);

struct Recall {
  double r1 = 0;
  double r5 = 0;
  double r10 = 0;
};
Recall recall_of(const torch::Tensor& ranks);

struct RetrievalMetrics {
  std::int64_t pairs = 0;  // validation (image, caption) pairs, every one a query each way
  double chance_r1 = 0;    // 1 / pairs
  Recall image_to_text;    // an image finds its caption among all captions
  Recall text_to_image;
};

// Both directions from unit-length image and caption embeddings [N, D].
RetrievalMetrics retrieval_metrics(const torch::Tensor& image_embeddings,
                                   const torch::Tensor& caption_embeddings, const torch::Tensor& groups = {});

// ---- attention against traces --------------------------------------------

// The cells that hold the top `fraction` of each heatmap's mass: sort the
// cells by heat and take the smallest prefix whose mass reaches
// fraction · total (less a millionth of it, for float rounding); cells tied
// with the last one taken are included too, so the set does not depend on
// the order of ties. heatmaps [N, K] (any non-negative mass, need not sum to
// 1) → bool [N, K]. A row with no mass gives no cell.
torch::Tensor top_mass_cells(const torch::Tensor& heatmaps, double fraction = 0.5);

// Per word: whether the attention's argmax cell lies in the heatmap's top-50%
// mass set. attention [N, K] (probabilities or logits: the argmax is the
// same), heatmaps [N, K] → bool [N].
torch::Tensor pointing_hits(const torch::Tensor& attention, const torch::Tensor& heatmaps,
                            double fraction = 0.5);

// Per word: KL(heatmap || attention) = Σ_k h_k (log h_k − log a_k), with
// 0 · log 0 = 0, from the attention's logits (log-softmaxed here, so a cell of
// attention 0 does not give inf unless the heatmap has mass there).
// heatmaps [N, K] summing to 1, attention_logits [N, K] → [N].
torch::Tensor heatmap_kl(const torch::Tensor& heatmaps, const torch::Tensor& attention_logits);

// A box [x0, x1) × [y0, y1) in normalised coordinates (origin top-left).
struct NormBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  friend bool operator==(const NormBox&, const NormBox&) = default;
};

// The box in the crop's normalised coordinates (0..1 over the crop). Parts
// outside the crop lie outside [0, 1]; the box is not clipped.
NormBox box_in_crop(const NormBox& box_in_image, const CropBox& crop);

// Whether the centre of cell `cell` (row-major over a grid×grid grid over the
// crop) lies inside `box` (crop coordinates; edges inclusive).
bool cell_centre_in_box(std::int64_t cell, std::int64_t grid, const NormBox& box);

// Whether any part of the box (crop coordinates) lies inside the crop.
bool box_visible(const NormBox& box);

struct AlignmentMetrics {
  // Traced words of the validation pairs (within max_words, with trace mass
  // inside the centre crop).
  std::int64_t traced_words = 0;
  double pointing_accuracy = 0;  // share whose attention argmax is in the top-50% trace cells
  double kl = 0;                 // mean KL(heatmap || attention) over them, nats
  double chance_pointing = 0;    // mean share of cells in the top-50% set: uniform random pointing

  // Object nouns, with an objects.jsonl (loctex-synth) only.
  bool has_objects = false;
  std::int64_t object_nouns = 0;  // the shape word of each object, scored
  double box_pointing_accuracy = 0;
  double chance_box_pointing = 0;  // mean share of cells whose centre lies in the box
  // Share of object nouns whose box holds at least one cell centre: the best
  // any model can score on this grid (a small object between centres cannot be hit).
  double box_pointing_ceiling = 0;
  std::int64_t skipped_nouns =
      0;  // no shape word in the object's range, cut by max_words, or box cropped out
};

// ---- linear probe ---------------------------------------------------------

struct ProbeOptions {
  std::int64_t iterations = 100;  // L-BFGS iterations on the full training set
  double l2 = 1e-3;               // λ · ||W||² added to the mean cross-entropy (not on the bias)
};

struct ProbeResult {
  std::int64_t classes = 0;
  std::int64_t train_samples = 0;
  std::int64_t val_samples = 0;
  double train_accuracy = 0;
  double accuracy = 0;  // on val
  // Val accuracy of always answering the training set's most frequent class.
  double majority_baseline = 0;
};

// Multinomial logistic regression on features standardised with the training
// set's mean and std (a constant feature is left at 0), started from zero
// weights and fitted by full-batch L-BFGS (strong Wolfe line search) for a
// fixed number of iterations: deterministic for given inputs. train_x [N, C],
// train_y [N] int64 in [0, classes), likewise val. Runs on the device of
// train_x. Throws std::invalid_argument for mismatched shapes, an empty
// training set or a label out of range.
ProbeResult linear_probe(const torch::Tensor& train_x, const torch::Tensor& train_y,
                         const torch::Tensor& val_x, const torch::Tensor& val_y, std::int64_t classes,
                         const ProbeOptions& options = {});

// The probe classifies images that hold one object: its shape (kSynthShapes,
// 7 classes) and its colour (kSynthColours, 6 classes). An image of several
// objects has no single answer a pooled feature could give (a probe of "the
// largest object" scored about 0.33 on its own training set whatever the
// backbone), so such images are counted and left out; loctex-synth
// --max-objects 1 makes a probe set of nothing else.
struct ProbeMetrics {
  std::filesystem::path shards;    // the probe's dataset
  std::filesystem::path objects;   // and its labels
  std::int64_t features = 0;       // channels of the backbone's last stage
  std::int64_t train_samples = 0;  // labelled single-object images
  std::int64_t val_samples = 0;
  std::int64_t missing_samples = 0;       // either split: no objects.jsonl entry for the image
  std::int64_t multi_object_samples = 0;  // either split: not exactly one loctex-synth object
  std::optional<ProbeResult> shape;       // nullopt when a split has no labelled image
  std::optional<ProbeResult> colour;
};

// ---- the whole evaluation -------------------------------------------------

struct EvalOptions {
  // A loctex-build-dataset folder (manifest.json, vocab.txt, shards); empty:
  // the model config's data.shards.
  std::filesystem::path shards;
  // loctex-synth's objects.jsonl for box pointing and the probe; empty: both
  // are left out of the report.
  std::filesystem::path objects;
  // The probe's own dataset (train and val splits) and its objects.jsonl,
  // e.g. a loctex-synth --max-objects 1 set; empty: `shards` and `objects`.
  std::filesystem::path probe_shards;
  std::filesystem::path probe_objects;
  std::int64_t batch_size = 64;
  int workers = 2;  // batch loader threads
  int threads = 0;  // torch intra-op threads; 0: every core
  std::string device = "cpu";
  ProbeOptions probe;
};

struct ObjectsMatch {
  std::filesystem::path file;
  std::int64_t entries = 0;          // lines of objects.jsonl
  std::int64_t matched_samples = 0;  // val samples with an entry for their image
  std::int64_t missing_samples = 0;  // val samples whose image has no entry: skipped, not an error
  // Val samples whose words (KEY.json) differ from their caption split on
  // single spaces, which objects.jsonl's word ranges count: left out of box
  // pointing.
  std::int64_t word_mismatches = 0;
};

struct EvalReport {
  RetrievalMetrics retrieval;
  AlignmentMetrics alignment;
  std::optional<ObjectsMatch> objects;  // with EvalOptions::objects
  std::optional<ProbeMetrics> probe;    // with EvalOptions::objects or probe_objects
  std::int64_t skipped_samples = 0;     // samples the loader could not decode
  double seconds = 0;
};

// Evaluates `model` as `config` describes it (image size, max_words, shards):
// retrieval and attention on the val split (centre crop), and, with an
// objects.jsonl, box pointing and the linear probe (fitted on the probe
// dataset's train split, scored on its val split, centre crop). Leaves the model in eval mode on
// options.device. Throws std::invalid_argument for bad options or a
// vocabulary that does not fit the model, std::runtime_error naming the file
// for a missing or unreadable manifest, vocab.txt, shard or objects.jsonl (a
// malformed line is named as FILE:LINE).
EvalReport evaluate(LocTexModel& model, const TrainConfig& config, const EvalOptions& options);

// A freshly initialised model of `config`, its initialisation drawn from
// torch's generator seeded with `seed` (with config.seed, exactly the
// initialisation the trained run started from). Torch's global generator is
// restored afterwards.
LocTexModel random_model(const TrainConfig& config, std::int64_t vocabulary_size, std::uint64_t seed);

// {"retrieval": {"pairs", "chance_r1", "image_to_text": {"r1", "r5", "r10"},
//                "text_to_image": {...}},
//  "attention": {"traced_words", "pointing_accuracy", "chance_pointing", "kl",
//                and with objects: "object_nouns", "box_pointing_accuracy",
//                "chance_box_pointing", "box_pointing_ceiling", "skipped_nouns"},
//  with objects: "objects": {"file", "entries", "matched_samples",
//                "missing_samples", "word_mismatches"} (val samples),
//  with objects or probe_objects: "probe": {"shards", "objects", "features",
//                "train_samples", "val_samples", "missing_samples",
//                "multi_object_samples", "shape": {...}, "colour": {...}}
//                (shape and colour null when a split has no labelled image),
//  "skipped_samples", "seconds"}
nlohmann::ordered_json to_json(const EvalReport& report);

}  // namespace loctex::trainer
