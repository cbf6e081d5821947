#include "pipeline/image_resize.h"

#include <turbojpeg.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace loctex::pipeline {
namespace {

// A JPEG header may claim up to 65535×65535 from a few bytes; refuse to
// decode or write more than this many pixels (16384×16384, 768 MiB as BGR)
// for one image.
constexpr std::int64_t kMaxPixels = std::int64_t{1} << 28;
constexpr int kMaxJpegSide = 65535;

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// ---------------------------------------------------------------------------
// EXIF orientation: the Orientation tag (0x0112) of IFD0 in the first APP1
// "Exif" segment. A bounded walk over the marker segments that precede the
// image data; every read is bounds-checked, and anything malformed means "no
// orientation" (1), as for cv::imdecode.

std::uint8_t byte_at(std::string_view bytes, std::size_t offset) {
  return static_cast<std::uint8_t>(bytes[offset]);
}

// An unsigned 16- or 32-bit integer at `offset`, or nothing past the end.
std::optional<std::uint32_t> read_uint(std::string_view bytes, std::size_t offset, std::size_t width,
                                       bool big_endian) {
  if (offset > bytes.size() || bytes.size() - offset < width) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t k = big_endian ? i : width - 1 - i;
    value = (value << 8) | byte_at(bytes, offset + k);
  }
  return value;
}

// The orientation in a TIFF structure (the payload of an Exif segment).
int orientation_from_tiff(std::string_view tiff) {
  bool big_endian = false;
  if (tiff.starts_with("MM")) {
    big_endian = true;
  } else if (!tiff.starts_with("II")) {
    return 1;
  }
  const auto u16 = [&](std::size_t at) { return read_uint(tiff, at, 2, big_endian); };
  const auto magic = u16(2);
  const auto ifd0 = read_uint(tiff, 4, 4, big_endian);
  if (magic != 42u || !ifd0) return 1;
  const auto entries = u16(*ifd0);
  if (!entries) return 1;
  for (std::size_t i = 0; i < *entries; ++i) {
    const std::size_t entry = std::size_t{*ifd0} + 2 + 12 * i;  // tag, type, count, value
    const auto tag = u16(entry);
    if (!tag) return 1;  // the directory runs past the segment
    if (*tag != 0x0112) continue;
    // A SHORT, so in the first 2 bytes of the value field. Like OpenCV,
    // read those whatever the stated type is.
    const auto value = u16(entry + 8);
    if (!value || *value < 1 || *value > 8) return 1;
    return static_cast<int>(*value);
  }
  return 1;
}

int exif_orientation(std::string_view jpeg) {
  constexpr std::string_view kExifHeader{"Exif\0\0", 6};
  std::size_t pos = 2;  // after SOI
  while (pos + 4 <= jpeg.size()) {
    if (byte_at(jpeg, pos) != 0xFF) return 1;
    const std::uint8_t marker = byte_at(jpeg, pos + 1);
    if (marker == 0xFF) {  // fill byte before a marker
      ++pos;
      continue;
    }
    pos += 2;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length field
    if (marker == 0xDA || marker == 0xD9) return 1;             // scan data or end: no Exif before it
    const std::size_t length = *read_uint(jpeg, pos, 2, true);  // pos + 2 <= size, checked above
    if (length < 2 || length > jpeg.size() - pos) return 1;
    const std::string_view segment = jpeg.substr(pos + 2, length - 2);
    if (marker == 0xE1 && segment.starts_with(kExifHeader))
      return orientation_from_tiff(segment.substr(kExifHeader.size()));
    pos += length;
  }
  return 1;
}

// Orientations 5-8 store the picture turned by a quarter: width and height
// swap.
bool swaps_axes(int orientation) { return orientation >= 5; }

// From the stored pixel order to the displayed one, as cv::imdecode does;
// returns `image` itself for orientation 1 and `out` otherwise.
const cv::Mat& apply_orientation(const cv::Mat& image, int orientation, cv::Mat& out) {
  switch (orientation) {
    case 2:
      cv::flip(image, out, 1);
      return out;
    case 3:
      cv::rotate(image, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(image, out, 0);
      return out;
    case 5:
      cv::transpose(image, out);
      return out;
    case 6:
      cv::rotate(image, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::transpose(image, out);
      cv::flip(out, out, -1);
      return out;
    case 8:
      cv::rotate(image, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return image;
  }
}

// ---------------------------------------------------------------------------
// TurboJPEG

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

std::string tj_error(void* handle) { return tjGetErrorStr2(handle); }

bool is_jpeg(std::string_view bytes) {
  return bytes.size() >= 3 && byte_at(bytes, 0) == 0xFF && byte_at(bytes, 1) == 0xD8 &&
         byte_at(bytes, 2) == 0xFF;
}

// CMYK/YCCK JPEGs (Adobe, inverted) to BGR with OpenCV's formula, so that
// the result matches cv::imdecode.
void cmyk_to_bgr(const cv::Mat& cmyk, cv::Mat& bgr) {
  bgr.create(cmyk.size(), CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const std::uint8_t* in = cmyk.ptr<std::uint8_t>(y);
    std::uint8_t* out = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, in += 4, out += 3) {
      const int k = in[3];
      out[2] = static_cast<std::uint8_t>(k - ((255 - in[0]) * k >> 8));
      out[1] = static_cast<std::uint8_t>(k - ((255 - in[1]) * k >> 8));
      out[0] = static_cast<std::uint8_t>(k - ((255 - in[2]) * k >> 8));
    }
  }
}

}  // namespace

void validate(const ResizeOptions& options) {
  if (options.shorter_side < 0 || options.shorter_side > 65535)
    throw std::invalid_argument("shorter_side must be between 0 and 65535, got " +
                                std::to_string(options.shorter_side));
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100)
    throw std::invalid_argument("jpeg_quality must be between 1 and 100, got " +
                                std::to_string(options.jpeg_quality));
}

Size2 target_size(int width, int height, int shorter_side) {
  if (width <= 0 || height <= 0)
    throw std::invalid_argument("image size must be positive, got " + size_text(width, height));
  if (shorter_side <= 0) return {width, height};
  const bool landscape = width >= height;
  const std::int64_t shorter = landscape ? height : width;
  const std::int64_t longer = landscape ? width : height;
  // round(longer * shorter_side / shorter), halves up, in integers.
  const std::int64_t scaled =
      std::max<std::int64_t>(1, (2 * longer * shorter_side + shorter) / (2 * shorter));
  const int scaled_longer = static_cast<int>(std::min<std::int64_t>(scaled, std::numeric_limits<int>::max()));
  return landscape ? Size2{scaled_longer, shorter_side} : Size2{shorter_side, scaled_longer};
}

class ImageResizer::Impl {
 public:
  explicit Impl(ResizeOptions options) : m_options(options) {
    validate(m_options);
    m_decompressor.reset(tjInitDecompress());
    m_compressor.reset(tjInitCompress());
    if (!m_decompressor || !m_compressor)
      throw std::runtime_error("cannot start TurboJPEG: " + tj_error(nullptr));
    int count = 0;
    const tjscalingfactor* factors = tjGetScalingFactors(&count);
    if (factors) m_factors.assign(factors, factors + count);
  }
  ~Impl() { tjFree(m_jpeg_buffer); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  const ResizeOptions& options() const { return m_options; }

  ResizedImage process(std::string_view bytes) {
    if (bytes.empty()) throw ImageError("empty file");
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw ImageError("file larger than 2 GiB");
    ResizedImage result;
    try {
      const cv::Mat image = is_jpeg(bytes) ? decode_jpeg(bytes, result) : decode_other(bytes, result);
      encode(image, result);
    } catch (const cv::Exception& e) {
      throw ImageError("cannot process image: " + e.err);
    }
    return result;
  }

 private:
  // Decodes at the smallest M/8 scale that still covers the target, resizes
  // to it, then orients. Resizing before orienting moves fewer pixels; width
  // and height of the target are swapped to the stored orientation.
  cv::Mat decode_jpeg(std::string_view bytes, ResizedImage& result) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const auto size = static_cast<unsigned long>(bytes.size());
    int width = 0, height = 0, subsampling = TJSAMP_444, colourspace = -1;
    if (tjDecompressHeader3(m_decompressor.get(), data, size, &width, &height, &subsampling, &colourspace) !=
        0) {
      // TurboJPEG 2.1 fails the header of a JPEG whose chroma sampling has no
      // TJSAMP_ name (say Cb 1×1, Cr 2×1 beside Y 2×2) after it has read the
      // size and colour space; tjDecompress2 decodes such files fine.
      const bool unnamed_subsampling = subsampling == -1 && colourspace >= 0;
      if (!unnamed_subsampling) fail_decoding();
    }
    if (width <= 0 || height <= 0) throw ImageError("truncated or corrupt JPEG: no image size");
    const int orientation = exif_orientation(bytes);
    const bool swap = swaps_axes(orientation);
    result.original_width = swap ? height : width;
    result.original_height = swap ? width : height;
    Size2 target = target_size(result.original_width, result.original_height, m_options.shorter_side);
    if (swap) std::swap(target.width, target.height);

    const tjscalingfactor scale = pick_scale(width, height, target);
    const int scaled_width = TJSCALED(width, scale);
    const int scaled_height = TJSCALED(height, scale);
    if (std::int64_t{scaled_width} * scaled_height > kMaxPixels)
      throw ImageError("image too large: " + size_text(width, height));

    // Warnings (a truncated file: "Premature end of JPEG file") stop the
    // decode and count as errors like fatal ones (tjGetErrorCode would tell
    // them apart): the rest of the picture would be grey.
    const int flags = TJFLAG_STOPONWARNING;
    const bool cmyk = colourspace == TJCS_CMYK || colourspace == TJCS_YCCK;
    cv::Mat& decoded = cmyk ? m_cmyk : m_decoded;
    decoded.create(scaled_height, scaled_width, cmyk ? CV_8UC4 : CV_8UC3);
    if (tjDecompress2(m_decompressor.get(), data, size, decoded.data, scaled_width,
                      static_cast<int>(decoded.step), scaled_height, cmyk ? TJPF_CMYK : TJPF_BGR, flags) != 0)
      fail_decoding();
    if (cmyk) cmyk_to_bgr(m_cmyk, m_decoded);

    return apply_orientation(resize(m_decoded, target), orientation, m_oriented);
  }

  // Throws the decompressor's error and replaces it with a fresh one:
  // TurboJPEG 2.1.5's tjDecompressHeader3 leaves a failed handle mid-header,
  // and the next call then "succeeds" without setting the size.
  [[noreturn]] void fail_decoding() {
    const std::string message = tj_error(m_decompressor.get());
    m_decompressor.reset(tjInitDecompress());
    if (!m_decompressor) throw std::runtime_error("cannot restart TurboJPEG: " + tj_error(nullptr));
    throw ImageError("truncated or corrupt JPEG: " + message);
  }

  // cv::imdecode applies EXIF orientation itself.
  cv::Mat decode_other(std::string_view bytes, ResizedImage& result) {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1,
                      const_cast<void*>(static_cast<const void*>(bytes.data())));
    m_decoded = cv::imdecode(raw, cv::IMREAD_COLOR);
    if (m_decoded.empty()) throw ImageError("not an image");
    result.original_width = m_decoded.cols;
    result.original_height = m_decoded.rows;
    return resize(m_decoded, target_size(m_decoded.cols, m_decoded.rows, m_options.shorter_side));
  }

  // The smallest factor M/8 ≤ 1 at which the decoded image still covers
  // `target` in both directions; 1/1 if even that does not (an enlargement).
  tjscalingfactor pick_scale(int width, int height, Size2 target) const {
    tjscalingfactor best{1, 1};
    std::int64_t best_area = std::int64_t{width} * height;
    for (const tjscalingfactor& f : m_factors) {
      if (f.num > f.denom) continue;  // TurboJPEG can also enlarge; bicubic does that better
      const int w = TJSCALED(width, f);
      const int h = TJSCALED(height, f);
      if (w < target.width || h < target.height) continue;
      if (std::int64_t{w} * h < best_area) {
        best = f;
        best_area = std::int64_t{w} * h;
      }
    }
    return best;
  }

  // Shrinks with INTER_AREA, except for the last small step after a DCT
  // scale: under 4/3 in both directions (always so after a scale of 4/8 or
  // more), bilinear's two taps already span what a destination pixel covers,
  // and OpenCV's INTER_AREA, generic table-driven code at such ratios, costs
  // 5× as much (400×300 → 341×256: 0.62 ms against 0.12 ms; before encoding
  // 47.9 dB against 48.5 dB from the full-size area resize, after the q90
  // encode the same 38.5 dB). Enlarges with INTER_CUBIC.
  const cv::Mat& resize(const cv::Mat& image, Size2 target) {
    if (target.width > kMaxJpegSide || target.height > kMaxJpegSide ||
        std::int64_t{target.width} * target.height > kMaxPixels)
      throw ImageError("image too large: " + size_text(image.cols, image.rows) + " would become " +
                       size_text(target.width, target.height));
    if (image.cols == target.width && image.rows == target.height) return image;
    int interpolation = cv::INTER_CUBIC;
    if (target.width <= image.cols && target.height <= image.rows) {
      const bool small_step = 3 * std::int64_t{image.cols} < 4 * std::int64_t{target.width} &&
                              3 * std::int64_t{image.rows} < 4 * std::int64_t{target.height};
      interpolation = small_step ? cv::INTER_LINEAR : cv::INTER_AREA;
    }
    cv::resize(image, m_resized, cv::Size(target.width, target.height), 0, 0, interpolation);
    return m_resized;
  }

  void encode(const cv::Mat& image, ResizedImage& result) {
    const unsigned long capacity = tjBufSize(image.cols, image.rows, TJSAMP_420);
    if (capacity > m_jpeg_capacity) {
      tjFree(m_jpeg_buffer);
      m_jpeg_buffer = tjAlloc(static_cast<int>(capacity));
      m_jpeg_capacity = m_jpeg_buffer ? capacity : 0;
      if (!m_jpeg_buffer) throw ImageError("out of memory for the JPEG output");
    }
    unsigned long size = m_jpeg_capacity;
    if (tjCompress2(m_compressor.get(), image.data, image.cols, static_cast<int>(image.step), image.rows,
                    TJPF_BGR, &m_jpeg_buffer, &size, TJSAMP_420, m_options.jpeg_quality,
                    TJFLAG_NOREALLOC) != 0)
      throw ImageError("cannot encode JPEG: " + tj_error(m_compressor.get()));
    result.jpeg.assign(reinterpret_cast<const char*>(m_jpeg_buffer), size);
    result.width = image.cols;
    result.height = image.rows;
  }

  ResizeOptions m_options;
  TjHandle m_decompressor;
  TjHandle m_compressor;
  std::vector<tjscalingfactor> m_factors;
  cv::Mat m_decoded;  // reused from image to image
  cv::Mat m_cmyk;
  cv::Mat m_resized;
  cv::Mat m_oriented;
  unsigned char* m_jpeg_buffer = nullptr;
  unsigned long m_jpeg_capacity = 0;
};

ImageResizer::ImageResizer(ResizeOptions options) : m_impl(std::make_unique<Impl>(options)) {}
ImageResizer::~ImageResizer() = default;

ResizedImage ImageResizer::process(std::string_view file_bytes) { return m_impl->process(file_bytes); }

const ResizeOptions& ImageResizer::options() const { return m_impl->options(); }

}  // namespace loctex::pipeline
