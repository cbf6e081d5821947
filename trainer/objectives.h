#pragma once
// The LocTex objectives (Liu et al., ICCV 2021), as free functions of the
// model's outputs so that tests can check them on hand-made tensors.
// docs/trainer.md writes out each formula.

#include <torch/torch.h>

#include <string>

namespace loctex::trainer {

// Symmetric InfoNCE: pairs (i, i) of the batch are positives, every other
// caption (image) of the batch a negative. logits = scale · I Cᵀ;
// loss = (CE(logits, diag) + CE(logitsᵀ, diag)) / 2.
torch::Tensor contrastive_loss(const torch::Tensor& image_embedding, const torch::Tensor& caption_embedding,
                               const torch::Tensor& logit_scale);

enum class TraceLoss { kl, l2, bce };
TraceLoss parse_trace_loss(const std::string& name);  // "kl", "l2", "bce"; throws std::invalid_argument

// Compares each traced word's attention over the grid with its heatmap
// (pooled to the grid, summing to 1), averaged over traced words:
//   kl:  Σ_j h_j (log h_j − log a_j), a = softmax(logits)
//   l2:  Σ_j (a_j − h_j)²
//   bce: mean_j BCE(σ(logit_j), h_j / max h), each cell a "does the trace
//        pass here" label
// logits [B, L, G], heatmaps [B, L, G] (or [B, L, g, g]), has_trace [B, L]
// bool. Zero (with a graph) when no word has a trace.
torch::Tensor trace_attention_loss(const torch::Tensor& attention_logits, const torch::Tensor& heatmaps,
                                   const torch::Tensor& has_trace, TraceLoss kind);

}  // namespace loctex::trainer
