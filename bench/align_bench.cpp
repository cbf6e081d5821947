// Forced alignment's speed and memory: a long narrative spoken by espeak-ng
// (one call, so pauses fall where the synthesiser puts them) is aligned to
// its transcript on one core. Prints JSON: audio seconds, CPU seconds, the
// real-time factor (CPU / audio), peak RSS, and how many words aligned.
//
//   align_bench [--repeat N]     (default 3: the fastest run counts)
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "align/forced_aligner.h"
#include "core/audio_file.h"
#include "core/words.h"

namespace {

constexpr const char* kText =
    "In this image there is a large red circle in the middle of a grey picture. On the left side there is a "
    "small blue square, and below it a green triangle points to the right. Behind the circle we can see a "
    "yellow star near the top edge. At the bottom right corner there is a purple cross and a little orange "
    "ring. The background is light grey and plain, with no other objects in it. The red circle is the "
    "biggest "
    "shape and it covers part of the star. Next to the square there are two small dots. The picture looks "
    "like a simple drawing made for children, with bright colours and clear edges around every shape.";

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
  int repeat = 3;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--repeat") repeat = std::max(1, std::atoi(argv[i + 1]));
  const auto wav = std::filesystem::temp_directory_path() / "loctex-align-bench.wav";
  const std::string command = "espeak-ng -s 150 -w '" + wav.string() + "' '" + kText + "'";
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "align_bench: espeak-ng failed\n");
    return 1;
  }
  const auto clip = loctex::core::read_audio(wav);
  std::filesystem::remove(wav);
  const auto words = loctex::core::caption_words(kText);

  loctex::align::ForcedAligner aligner;
  double best = 1e30;
  std::size_t aligned = 0;
  double audio_seconds = 0;
  for (int r = 0; r < repeat; ++r) {
    const double start = cpu_seconds();
    const auto result = aligner.align(clip, words);
    best = std::min(best, cpu_seconds() - start);
    audio_seconds = result.duration;
    aligned = static_cast<std::size_t>(
        std::count_if(result.words.begin(), result.words.end(), [](const auto& w) { return w.aligned; }));
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "{\"audio_seconds\": %.2f, \"cpu_seconds\": %.3f, \"real_time_factor\": %.4f, \"words\": %zu, "
      "\"aligned\": %zu, \"peak_rss_mb\": %.0f}\n",
      audio_seconds, best, best / audio_seconds, words.size(), aligned,
      static_cast<double>(usage.ru_maxrss) / 1024.0);
  return 0;
}
