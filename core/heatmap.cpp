#include "core/heatmap.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace loctex::core {
namespace {

constexpr double kStep = 0.25;               // grid cells between interpolated samples
constexpr double kMaxEdgeSamples = 1000000;  // guards against absurd coordinates

}  // namespace

void validate(const HeatmapParams& params) {
  if (params.grid < 1 || params.grid > 1024)
    throw std::invalid_argument("heatmap grid must be in [1, 1024], got " + std::to_string(params.grid));
  if (!std::isfinite(params.sigma) || params.sigma <= 0.0)
    throw std::invalid_argument("heatmap sigma must be positive and finite, got " +
                                std::to_string(params.sigma));
  if (!std::isfinite(params.time_margin) || params.time_margin < 0.0)
    throw std::invalid_argument("heatmap time margin must be non-negative and finite, got " +
                                std::to_string(params.time_margin));
}

std::vector<GridPoint> word_samples(const std::vector<TraceSegment>& traces, double start, double end,
                                    const HeatmapParams& params) {
  const double g = static_cast<double>(params.grid);
  const double from = start - params.time_margin;
  const double to = end + params.time_margin;
  std::vector<GridPoint> samples;
  for (const TraceSegment& segment : traces) {
    bool in_run = false;  // runs never span two segments
    GridPoint previous;
    for (const TracePoint& point : segment) {
      if (!(from <= point.t && point.t <= to)) {
        in_run = false;
        continue;
      }
      const GridPoint current{point.x * g, point.y * g};
      if (in_run) {
        const double dx = current.gx - previous.gx;
        const double dy = current.gy - previous.gy;
        const double n = std::ceil(std::sqrt(dx * dx + dy * dy) / kStep);
        if (!(n <= kMaxEdgeSamples))
          throw std::invalid_argument("trace edge at t=" + std::to_string(point.t) +
                                      " is too long to sample: a point lies far outside the image");
        const auto count = static_cast<int>(n);
        // p + (q − p)·m/n, evaluated left to right as the rule is written.
        for (int m = 1; m < count; ++m) {
          const double md = static_cast<double>(m);
          samples.push_back({previous.gx + dx * md / n, previous.gy + dy * md / n});
        }
      }
      samples.push_back(current);
      previous = current;
      in_run = true;
    }
  }
  return samples;
}

bool render_heatmap(std::span<const GridPoint> samples, const HeatmapParams& params, std::span<double> out) {
  validate(params);
  const auto g = static_cast<std::size_t>(params.grid);
  if (out.size() != g * g)
    throw std::invalid_argument("heatmap output holds " + std::to_string(out.size()) + " cells, expected " +
                                std::to_string(g * g));
  std::fill(out.begin(), out.end(), 0.0);
  if (samples.empty()) return false;
  // The Gaussian is separable: exp(−(a² + b²)/2σ²) = exp(−a²/2σ²)·exp(−b²/2σ²),
  // so each sample costs 2G exponentials and G² multiply-adds.
  const double inv_two_sigma_sq = 1.0 / (2.0 * params.sigma * params.sigma);
  std::vector<double> ex(g), ey(g);
  for (const GridPoint& s : samples) {
    for (std::size_t i = 0; i < g; ++i) {
      const double dx = static_cast<double>(i) + 0.5 - s.gx;
      const double dy = static_cast<double>(i) + 0.5 - s.gy;
      ex[i] = std::exp(-dx * dx * inv_two_sigma_sq);
      ey[i] = std::exp(-dy * dy * inv_two_sigma_sq);
    }
    for (std::size_t j = 0; j < g; ++j) {
      const double wy = ey[j];
      if (wy == 0.0) continue;
      double* row = out.data() + j * g;
      for (std::size_t i = 0; i < g; ++i) row[i] += wy * ex[i];
    }
  }
  double sum = 0.0;
  for (const double v : out) sum += v;
  if (!(sum > 0.0) || !std::isfinite(sum)) {
    std::fill(out.begin(), out.end(), 0.0);
    return false;
  }
  for (double& v : out) v /= sum;
  return true;
}

WordHeatmaps render_word_heatmaps(const Narrative& narrative, const HeatmapParams& params) {
  validate(params);
  WordHeatmaps result;
  result.grid = params.grid;
  result.words = split_words(narrative.timed_caption);
  const auto cells = static_cast<std::size_t>(params.grid) * static_cast<std::size_t>(params.grid);
  result.maps.assign(result.words.size() * cells, 0.0);
  result.has_trace.assign(result.words.size(), false);
  for (std::size_t w = 0; w < result.words.size(); ++w) {
    const Word& word = result.words[w];
    const auto samples = word_samples(narrative.traces, word.start, word.end, params);
    result.has_trace[w] =
        render_heatmap(samples, params, std::span<double>(result.maps).subspan(w * cells, cells));
  }
  return result;
}

}  // namespace loctex::core
