#pragma once
// Sample-rate conversion for alignment: the recogniser's models are 16 kHz,
// voices are recorded at the device's rate (often 44.1 or 48 kHz) and
// Google's Localized Narratives publishes 48 kHz. libsoxr, high quality.

#include <cstdint>
#include <vector>

namespace loctex::align {

// Mono 16-bit samples at `from` Hz as `to` Hz. Throws std::invalid_argument
// for a non-positive rate and std::runtime_error with libsoxr's reason.
std::vector<std::int16_t> resample(const std::vector<std::int16_t>& samples, int from, int to);

}  // namespace loctex::align
