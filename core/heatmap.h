#pragma once
// Trace → per-word heatmaps: where the annotator pointed while saying each
// word, as a G×G map over the whole image that sums to one. The rule is fixed
// to the letter (docs/heatmaps.md) because other implementations are compared
// with this one.

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/narrative.h"
#include "core/words.h"

namespace loctex::core {

struct HeatmapParams {
  int grid = 16;             // G: cells per side; the grid spans the whole image
  double sigma = 1.0;        // Gaussian standard deviation, in cells
  double time_margin = 0.0;  // seconds added on both sides of a word's span
};

// Throws std::invalid_argument naming the parameter: grid must be in
// [1, 1024], sigma positive and finite, time_margin non-negative and finite.
void validate(const HeatmapParams& params);

struct WordHeatmaps {
  int grid = 0;
  std::vector<Word> words;
  std::vector<bool> has_trace;  // per word: false means an all-zero map
  // Row-major, shape [words][grid][grid]; rows go down in y, columns right in x.
  std::vector<double> maps;

  // Throws std::out_of_range for a word index past the end.
  std::span<const double> map(std::size_t word) const {
    if (word >= words.size())
      throw std::out_of_range("word " + std::to_string(word) + " of " + std::to_string(words.size()));
    const auto cells = static_cast<std::size_t>(grid) * static_cast<std::size_t>(grid);
    return std::span<const double>(maps).subspan(word * cells, cells);
  }
};

// The sample points of one word in grid units (gx = x·G, gy = y·G): within a
// segment each maximal run of consecutive points with
// start − margin ≤ t ≤ end + margin is a polyline; every such point is a
// sample and each edge of length L adds n − 1 evenly spaced interior points,
// n = ceil(L / 0.25). Throws std::invalid_argument for an edge so long that it
// would need more than a million samples (a point absurdly far outside).
struct GridPoint {
  double gx = 0.0;
  double gy = 0.0;
};
std::vector<GridPoint> word_samples(const std::vector<TraceSegment>& traces, double start, double end,
                                    const HeatmapParams& params);

// heat[j][i] = Σ exp(−((i + 0.5 − gx)² + (j + 0.5 − gy)²) / (2σ²)) over the
// samples, normalised to sum 1 in double precision. Writes grid×grid cells to
// `out` and returns false (leaving zeros) when there is no sample or the sum
// underflows to zero. Throws std::invalid_argument for bad params or an
// `out` that does not hold grid×grid cells.
bool render_heatmap(std::span<const GridPoint> samples, const HeatmapParams& params, std::span<double> out);

// All words of a narrative, in caption order.
WordHeatmaps render_word_heatmaps(const Narrative& narrative, const HeatmapParams& params = {});

}  // namespace loctex::core
