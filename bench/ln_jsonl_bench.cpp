// LN JSONL throughput: parse and format one typical record (40 words in 20
// utterances, 600 trace points), and stream a file through LnReader.
// Figures: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/ln_jsonl.h"

namespace {

loctex::core::Narrative typical_narrative() {
  loctex::core::Narrative n;
  n.dataset_id = "open_images_train_v6";
  n.image_id = "0a1b2c3d4e5f6789";
  n.annotator_id = 17;
  for (int u = 0; u < 20; ++u)
    n.timed_caption.push_back(
        {"word" + std::to_string(2 * u) + " word" + std::to_string(2 * u + 1), u * 0.5, u * 0.5 + 0.45});
  for (const auto& u : n.timed_caption) n.caption += u.utterance + " ";
  n.traces.resize(2);
  for (int k = 0; k < 600; ++k) {
    const double t = k / 60.0;
    n.traces[static_cast<std::size_t>(k / 300)].push_back(
        {0.5 + 0.4 * std::sin(t * 1.3) + 1e-4 * k, 0.5 + 0.4 * std::cos(t * 0.7), t + 0.0123});
  }
  n.voice_recording = "open_images_train_v6/0a1b2c3d4e5f6789_17.ogg";
  return n;
}

void BM_parse_narrative(benchmark::State& state) {
  const std::string line = loctex::core::format_narrative(typical_narrative());
  for (auto _ : state) benchmark::DoNotOptimize(loctex::core::parse_narrative(line));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_parse_narrative)->Unit(benchmark::kMicrosecond);

void BM_format_narrative(benchmark::State& state) {
  const auto narrative = typical_narrative();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto line = loctex::core::format_narrative(narrative);
    bytes += line.size();
    benchmark::DoNotOptimize(line.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_format_narrative)->Unit(benchmark::kMicrosecond);

// 2000 records (~40 MB) streamed from disk, one line in memory at a time.
void BM_stream_file(benchmark::State& state) {
  const auto path = std::filesystem::temp_directory_path() / "loctex-bench-stream.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    const auto narrative = typical_narrative();
    for (int i = 0; i < 2000; ++i) loctex::core::write_narrative(out, narrative);
  }
  const auto size = std::filesystem::file_size(path);
  for (auto _ : state) {
    loctex::core::LnReader reader(path);
    std::size_t count = 0;
    while (reader.next()) ++count;
    benchmark::DoNotOptimize(count);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  std::filesystem::remove(path);
}
BENCHMARK(BM_stream_file)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
