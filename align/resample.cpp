#include "align/resample.h"

#include <soxr.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace loctex::align {

std::vector<std::int16_t> resample(const std::vector<std::int16_t>& samples, int from, int to) {
  if (from <= 0 || to <= 0)
    throw std::invalid_argument("sample rates must be positive, got " + std::to_string(from) + " and " +
                                std::to_string(to));
  if (from == to || samples.empty()) return samples;
  std::vector<std::int16_t> out(
      static_cast<std::size_t>(std::ceil(static_cast<double>(samples.size()) * to / from)) + 16);
  std::size_t written = 0;
  // soxr dithers its 16-bit output from a random seed by default: without
  // it the same recording resamples, and so aligns, the same every time.
  soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
  io.flags |= SOXR_NO_DITHER;
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_error_t error = soxr_oneshot(from, to, 1, samples.data(), samples.size(), nullptr, out.data(),
                                          out.size(), &written, &io, &quality, nullptr);
  if (error) throw std::runtime_error(std::string("resampling failed: ") + error);
  out.resize(written);
  return out;
}

}  // namespace loctex::align
