#pragma once
// Everything a training run is made of, read from a JSON file and flags:
// model sizes, objectives and their weights, optimiser and schedule, data and
// augmentation. Torch-free, so that the command line and the app can include
// it without the cost of <torch/torch.h>. docs/trainer.md lists every key.

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace loctex::trainer {

struct ModelConfig {
  std::string backbone = "resnet18";  // resnet18, resnet34 or resnet50
  // Channels of every backbone stage times this (torchvision's ResNet is
  // 1.0); 0.25 trains on a 2-core CPU.
  double width = 0.25;
  int image_size = 160;  // crop side fed to the backbone; the grid is image_size / 32
  int embed_dim = 128;   // joint image-text space, and the trace-attention space
  int text_layers = 2;
  int text_width = 128;
  int text_heads = 4;
  int max_words = 40;     // words kept per caption (plus one <cls>)
  int fusion_layers = 1;  // the image-text matching head's fusion encoder (itm, soft_mask)
};

// A weight of 0 switches an objective off.
struct ObjectiveConfig {
  // LocTex (Liu et al., ICCV 2021)
  double contrastive = 1.0;       // symmetric InfoNCE of pooled image and caption embeddings
  double trace_attention = 1.0;   // word-to-grid attention against the word's trace heatmap
  std::string trace_loss = "kl";  // kl, l2 or bce
  double temperature = 0.07;      // initial value of the learnable temperature
  double min_temperature = 0.01;  // the clamp keeps logits bounded
  // ICMLM (Sariyildiz et al., ECCV 2020)
  double icmlm = 0.0;              // masked content word predicted from caption and image
  std::string icmlm_head = "tfm";  // tfm or att-fc
  int icmlm_candidates = 1000;     // K most frequent content words that may be masked
  int icmlm_layers = 1;            // tfm
  int icmlm_hidden = 512;          // att-fc
  // Park & Han (CVPR 2023)
  double itm = 0.0;                          // image-text matching with hard negatives
  double soft_mask = 0.0;                    // ITM on soft-masked visual features (needs itm > 0)
  std::string soft_mask_source = "gradcam";  // gradcam (the paper) or trace (the word's heatmap)
  double focal_itc = 0.0;                    // InfoNCE weighted by (1 - p)^gamma
  double focal_gamma = 2.0;
  bool mm_augment = false;  // caption word masking and image distortion before the forward pass
  double text_mask_rate = 0.15;
  double distort_grey = 0.2;  // chance of turning an image grey
  double distort_blur = 0.2;  // chance of a 3x3 blur
};

struct OptimConfig {
  std::int64_t steps = 600;
  std::int64_t batch_size = 32;
  double lr = 1e-3;  // peak, after warm-up
  double weight_decay = 0.01;
  std::int64_t warmup_steps = 50;
  double min_lr_ratio = 0.01;  // the cosine ends at lr * min_lr_ratio
  double clip_norm = 1.0;      // 0 turns clipping off
};

struct AugmentConfig {
  double crop_min_scale = 0.5;  // random resized crop: area fraction in [min, 1]
  double crop_min_ratio = 3.0 / 4.0;
  double crop_max_ratio = 4.0 / 3.0;
  double flip = 0.5;    // probability of a horizontal flip (swaps "left" and "right")
  double jitter = 0.2;  // brightness, contrast and saturation factors in [1 - j, 1 + j]
};

struct DataConfig {
  std::filesystem::path shards;  // a loctex-build-dataset output folder
  int workers = 2;               // background threads decoding and augmenting
  int prefetch = 4;              // batches ready ahead of the step
  AugmentConfig augment;
};

struct TrainConfig {
  ModelConfig model;
  ObjectiveConfig objectives;
  OptimConfig optim;
  DataConfig data;
  std::filesystem::path output;  // checkpoints, metrics.jsonl, config.json
  std::uint64_t seed = 0;
  std::string device = "cpu";           // "cpu", "cuda" or "cuda:N"
  int threads = 0;                      // torch intra-op threads; 0: every core
  std::int64_t checkpoint_every = 200;  // steps; a checkpoint is also written at the end
  std::int64_t log_every = 10;          // steps between metrics.jsonl lines
};

// Every key, defaults filled in; from_json(to_json(c)) == c.
nlohmann::ordered_json to_json(const TrainConfig& config);

// Reads the keys present over `base`. Throws std::invalid_argument naming the
// key ("optim.lr: expected a number, got string", "model.bogus: unknown
// key") so that a typo is never silently ignored.
TrainConfig from_json(const nlohmann::ordered_json& json, TrainConfig base = {});

// Reads a JSON file; errors name the file.
TrainConfig load_config(const std::filesystem::path& path, TrainConfig base = {});

// Throws std::invalid_argument naming the first key out of range.
void validate(const TrainConfig& config);

}  // namespace loctex::trainer
