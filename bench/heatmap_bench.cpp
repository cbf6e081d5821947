// Trace → per-word heatmaps on a typical narrative: 40 words, 600 trace
// points (10 s at 60 Hz), at G = 16 and G = 64. Figures: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "core/heatmap.h"

namespace {

loctex::core::Narrative typical_narrative() {
  loctex::core::Narrative n;
  const double duration = 10.0;
  for (int w = 0; w < 40; ++w) {
    const double start = duration * w / 40.0;
    n.timed_caption.push_back({"word" + std::to_string(w), start, start + duration / 40.0});
  }
  n.traces.resize(3);
  for (int k = 0; k < 600; ++k) {
    const double t = k / 60.0;
    // A wandering pointer, with two re-entries into the band.
    n.traces[static_cast<std::size_t>(k / 200)].push_back(
        {0.5 + 0.45 * std::sin(t * 1.7) * std::cos(t * 0.3), 0.5 + 0.45 * std::cos(t * 1.1), t});
  }
  return n;
}

void BM_render_word_heatmaps(benchmark::State& state) {
  const auto narrative = typical_narrative();
  const loctex::core::HeatmapParams params{static_cast<int>(state.range(0)), 1.0, 0.0};
  for (auto _ : state) {
    auto maps = loctex::core::render_word_heatmaps(narrative, params);
    benchmark::DoNotOptimize(maps.maps.data());
  }
  state.SetItemsProcessed(state.iterations());  // narratives
  state.counters["words/s"] =
      benchmark::Counter(40.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_render_word_heatmaps)->Arg(16)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace
