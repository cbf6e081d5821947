#include "pipeline/image_resize.h"

#include <turbojpeg.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
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

// Whether the displayed picture runs the other way along its x (y) axis
// than the stored one, as apply_orientation turns it.
bool reverses_x(int orientation) {
  return orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
}
bool reverses_y(int orientation) {
  return orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
}

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

// The chroma plane size of a 4:2:0 image: half the luma, rounded up.
Size2 chroma_420(Size2 luma) { return {(luma.width + 1) / 2, (luma.height + 1) / 2}; }

// Copies the last column of the top left `picture` of `buffer` into the
// column after it, and then its last row (with that column) into the row
// after it, as libjpeg pads an image to whole blocks.
void repeat_edges(cv::Mat& buffer, Size2 picture, bool column, bool row) {
  const int width = picture.width + (column ? 1 : 0);
  if (column)
    buffer.col(picture.width - 1)
        .rowRange(0, picture.height)
        .copyTo(buffer.col(picture.width).rowRange(0, picture.height));
  if (row)
    buffer.row(picture.height - 1).colRange(0, width).copyTo(buffer.row(picture.height).colRange(0, width));
}

// tjCompressFromYUVPlanes reads 4:2:0 luma in whole 2×2 blocks, so a plane
// of odd width or height needs one more column or row. Any other content
// than a copy would put an edge into the padded DCT blocks and cost
// accuracy in the pixels that are kept.
void pad_luma_to_even(cv::Mat& luma, Size2 size) {
  repeat_edges(luma, size, size.width % 2 != 0, size.height % 2 != 0);
}

// `plane`, a view into a buffer with room for one more column and row
// after it, with those two: copies of its last ones.
cv::Mat with_spare_edges(const cv::Mat& plane) {
  cv::Mat spared = plane;
  spared.adjustROI(0, 1, 0, 1);
  CV_Assert(spared.cols == plane.cols + 1 && spared.rows == plane.rows + 1);
  repeat_edges(spared, {plane.cols, plane.rows}, true, true);
  return spared;
}

// One axis of a chroma plane's way to the output, as displayed: output
// samples per source sample, and by how many source samples the source's
// first sample starts before the picture.
struct ChromaAxis {
  double scale = 1;
  double lead = 0;
};

// `sampling` source luma pixels per chroma sample (1, 2 or 4; the output
// has 2), `source_samples` of them. The source's padding, past the
// picture's last pixel, comes first where the turn reversed the axis. At
// least one sample must come out (a 1-pixel-wide 4:4:4 image would give
// half of one).
ChromaAxis chroma_axis(int sampling, int source_luma, int target_luma, int source_samples, bool reversed) {
  ChromaAxis axis;
  axis.scale =
      std::max(sampling * static_cast<double>(target_luma) / (2.0 * source_luma), 1.0 / source_samples);
  if (reversed) axis.lead = static_cast<double>(source_samples * sampling - source_luma) / sampling;
  return axis;
}

// How to resize from `from` to `to`. Shrinks with INTER_AREA, except for the
// last small step after a DCT scale: under 4/3 in both directions (always so
// after a scale of 4/8 or more), bilinear's two taps already span what a
// destination pixel covers, and OpenCV's INTER_AREA, generic table-driven
// code at such ratios, costs 5× as much (400×300 → 341×256: 0.62 ms against
// 0.12 ms; before encoding 47.9 dB against 48.5 dB from the full-size area
// resize, after the q90 encode the same 38.5 dB). Enlarges with INTER_CUBIC,
// also when only one direction grows.
int interpolation_for(cv::Size from, cv::Size to) {
  if (to.width > from.width || to.height > from.height) return cv::INTER_CUBIC;
  const bool small_step = 3 * std::int64_t{from.width} < 4 * std::int64_t{to.width} &&
                          3 * std::int64_t{from.height} < 4 * std::int64_t{to.height};
  return small_step ? cv::INTER_LINEAR : cv::INTER_AREA;
}

// How to resize a chroma plane. Sharper than for luma: the output's chroma
// is blurred again by the decoder's upsampling, and a reference decoded at
// full size keeps its full chroma resolution. On the benchmark's 640×480
// 4:2:0 photos (chroma 200×150 → 171×128) the output comes out at 39.3 dB
// with bicubic, 38.7 with bilinear or INTER_AREA; bicubic stays as good as
// either up to a shrink of about 3 (4:4:4 chroma, 2000×1500 at 2/8), and
// INTER_AREA only wins beyond (by 0.1-0.4 dB at 6×: 4:4:4 chroma of
// 8000×6000 at 1/8). Bicubic costs 0.035 ms more a plane than bilinear.
int chroma_interpolation(cv::Size from, cv::Size to) {
  const bool large_shrink = from.width >= 3 * to.width && from.height >= 3 * to.height;
  return large_shrink ? cv::INTER_AREA : cv::INTER_CUBIC;
}

// Resizes `image` into `out`, which has the size wanted (and may be a view
// into a larger buffer).
void resize_into(const cv::Mat& image, cv::Mat& out) {
  if (image.size() == out.size()) {
    image.copyTo(out);
  } else {
    cv::resize(image, out, out.size(), 0, 0, interpolation_for(image.size(), out.size()));
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
      if (is_jpeg(bytes)) {
        process_jpeg(bytes, result);
      } else {
        encode(decode_other(bytes, result), result);
      }
    } catch (const cv::Exception& e) {
      throw ImageError("cannot process image: " + e.err);
    }
    return result;
  }

 private:
  // What the header and the Exif segment tell before any pixel is decoded.
  struct JpegPlan {
    int subsampling = -1;  // TJSAMP_*; -1 when TurboJPEG has no name for it
    int colourspace = -1;  // TJCS_*
    int orientation = 1;
    Size2 target;         // the output, as displayed
    Size2 stored_target;  // the same in the stored orientation
    Size2 scaled;         // the decoded size at the chosen scale M/8
  };

  // A JPEG is decoded at the smallest M/8 scale that still covers the
  // target (so the target is first turned to the stored orientation), then
  // resized and oriented.
  void process_jpeg(std::string_view bytes, ResizedImage& result) {
    const JpegPlan plan = plan_jpeg(bytes, result);
    if (decodes_to_planes(plan)) {
      check_output_size(plan.scaled, plan.stored_target);
      decode_planes(bytes, plan);
      fit_planes(plan);
      encode_planes(plan.target, result);
    } else {
      encode(decode_bgr(bytes, plan), result);
    }
  }

  JpegPlan plan_jpeg(std::string_view bytes, ResizedImage& result) {
    JpegPlan plan;
    int width = 0, height = 0;
    if (tjDecompressHeader3(m_decompressor.get(), jpeg_data(bytes), jpeg_size(bytes), &width, &height,
                            &plan.subsampling, &plan.colourspace) != 0) {
      // TurboJPEG 2.1 fails the header of a JPEG whose chroma sampling has no
      // TJSAMP_ name (say Cb 1×1, Cr 2×1 beside Y 2×2) after it has read the
      // size and colour space; tjDecompress2 decodes such files fine.
      const bool unnamed_subsampling = plan.subsampling == -1 && plan.colourspace >= 0;
      if (!unnamed_subsampling) fail_decoding();
    }
    if (width <= 0 || height <= 0) throw ImageError("truncated or corrupt JPEG: no image size");
    plan.orientation = exif_orientation(bytes);
    const bool swap = swaps_axes(plan.orientation);
    result.original_width = swap ? height : width;
    result.original_height = swap ? width : height;
    plan.target = target_size(result.original_width, result.original_height, m_options.shorter_side);
    plan.stored_target = swap ? Size2{plan.target.height, plan.target.width} : plan.target;

    const tjscalingfactor scale = pick_scale(width, height, plan.stored_target);
    plan.scaled = {TJSCALED(width, scale), TJSCALED(height, scale)};
    if (std::int64_t{plan.scaled.width} * plan.scaled.height > kMaxPixels)
      throw ImageError("image too large: " + size_text(width, height));
    return plan;
  }

  // ---------------------------------------------------------------------
  // The planar path. A JPEG stores Y, Cb and Cr planes, mostly with
  // subsampled chroma, and the output is 4:2:0 YCbCr again; going through
  // BGR upsamples the chroma and converts to BGR only for the encoder to
  // convert back and downsample. Decoding to planes skips the decoder's half
  // of that, the costly one: 0.73 ms instead of 0.98 for a 640×480 photo at
  // 5/8. (The encoder's half is SIMD code and saves nothing measurable:
  // tjCompressFromYUVPlanes takes as long as tjCompress2 at 341×256.) Each
  // plane is then resized on its own, the chroma straight from its sampling
  // to the output's 4:2:0 size, with no round trip through full resolution.
  // Grey JPEGs take this path too, with neutral chroma. RGB-, CMYK- and
  // YCCK-coded JPEGs store no YCbCr, and TurboJPEG cannot decode to planes a
  // sampling it has no name for; those go through BGR.
  static bool decodes_to_planes(const JpegPlan& plan) {
    return (plan.colourspace == TJCS_YCbCr || plan.colourspace == TJCS_GRAY) && plan.subsampling >= 0;
  }

  // Decodes the planes at the planned scale, each in the size TurboJPEG
  // gives it (luma padded to whole chroma samples), into a buffer with room
  // for one more column and row (with_spare_edges).
  void decode_planes(std::string_view bytes, const JpegPlan& plan) {
    const int count = plan.subsampling == TJSAMP_GRAY ? 1 : 3;
    std::array<unsigned char*, 3> planes{};
    std::array<int, 3> strides{};
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      const int id = static_cast<int>(i);
      const cv::Size size(tjPlaneWidth(id, plan.scaled.width, plan.subsampling),
                          tjPlaneHeight(id, plan.scaled.height, plan.subsampling));
      m_plane_buffers[i].create(size.height + 1, size.width + 1, CV_8UC1);
      m_planes[i] = m_plane_buffers[i](cv::Rect(cv::Point(), size));
      planes[i] = m_planes[i].data;
      strides[i] = static_cast<int>(m_planes[i].step);
    }
    if (tjDecompressToYUVPlanes(m_decompressor.get(), jpeg_data(bytes), jpeg_size(bytes), planes.data(),
                                plan.scaled.width, strides.data(), plan.scaled.height, kDecodeFlags) != 0)
      fail_decoding();
  }

  // Resizes and orients the decoded planes into the 4:2:0 output planes.
  void fit_planes(const JpegPlan& plan) {
    const Size2 luma = plan.target;
    const Size2 chroma = chroma_420(luma);
    m_out_planes[0].create(luma.height + luma.height % 2, luma.width + luma.width % 2, CV_8UC1);
    fit_luma(m_planes[0](cv::Rect(0, 0, plan.scaled.width, plan.scaled.height)), plan.orientation,
             m_out_planes[0](cv::Rect(0, 0, luma.width, luma.height)));
    pad_luma_to_even(m_out_planes[0], luma);
    for (std::size_t i = 1; i < 3; ++i) {
      m_out_planes[i].create(chroma.height, chroma.width, CV_8UC1);
      if (plan.subsampling == TJSAMP_GRAY) {
        m_out_planes[i].setTo(128);  // neutral: B = G = R = Y, as a grey image decoded to BGR gives
      } else {
        fit_chroma(m_planes[i], plan, i - 1);
      }
    }
  }

  // Luma is resized first, in the stored orientation, then turned: the
  // turn then moves the fewer pixels.
  void fit_luma(const cv::Mat& luma, int orientation, cv::Mat out) {
    if (orientation == 1) {
      resize_into(luma, out);
      return;
    }
    const cv::Size stored = swaps_axes(orientation) ? cv::Size(out.rows, out.cols) : out.size();
    const cv::Mat* resized = &luma;
    if (luma.size() != stored) {
      m_luma_resized.create(stored, CV_8UC1);
      resize_into(luma, m_luma_resized);
      resized = &m_luma_resized;
    }
    apply_orientation(*resized, orientation, out);
  }

  // Chroma, unlike luma, is turned first and resized after, so that each
  // output sample lands where it belongs: sample i stands for luma pixels
  // 2i and 2i + 1 as displayed. Where a picture ends inside a sample (an odd
  // width or height, in the source or the output), that sample is only
  // partly covered, and it must stay at the far edge; resized in the stored
  // orientation and then flipped, it would move to the near edge and shift
  // every sample by a pixel: colour fringes that cost 1-9 dB of PSNR on the
  // tests' photos of odd sizes.
  void fit_chroma(const cv::Mat& plane, const JpegPlan& plan, std::size_t index) {
    const cv::Mat oriented = turn_chroma(plane, plan.orientation, m_chroma_oriented[index]);
    const bool swap = swaps_axes(plan.orientation);
    const Size2 source = swap ? Size2{plan.scaled.height, plan.scaled.width} : plan.scaled;
    const int sampling_x = (swap ? tjMCUHeight : tjMCUWidth)[plan.subsampling] / 8;
    const int sampling_y = (swap ? tjMCUWidth : tjMCUHeight)[plan.subsampling] / 8;
    const ChromaAxis x =
        chroma_axis(sampling_x, source.width, plan.target.width, oriented.cols, reverses_x(plan.orientation));
    const ChromaAxis y = chroma_axis(sampling_y, source.height, plan.target.height, oriented.rows,
                                     reverses_y(plan.orientation));
    cv::Mat& out = m_out_planes[index + 1];
    if (x.lead == 0 && y.lead == 0) {
      resize_chroma(with_spare_edges(oriented), x, y, m_chroma_resized[index], out);
    } else {
      warp_chroma(oriented, x, y, out);
    }
  }

  // `plane` turned as displayed, as a view into a buffer with room for a
  // spare column and row (with_spare_edges).
  static cv::Mat turn_chroma(const cv::Mat& plane, int orientation, cv::Mat& buffer) {
    if (orientation == 1) return plane;  // a view into m_plane_buffers
    const cv::Size turned = swaps_axes(orientation) ? cv::Size(plane.rows, plane.cols) : plane.size();
    buffer.create(turned.height + 1, turned.width + 1, CV_8UC1);
    cv::Mat view = buffer(cv::Rect(cv::Point(), turned));
    apply_orientation(plane, orientation, view);
    return view;
  }

  // cv::resize told fx and fy, rather than a size, maps sample centres as
  // i → (i + 0.5) / fx - 0.5: exact when the source's first sample starts
  // with the picture. (Told the size, it would scale by the ratio of the
  // plane sizes, 200 → 171 samples for 400 → 341 pixels, 0.3% too much: a
  // pixel off at the far edge.) It makes round(n × fx) samples, where the
  // output may need one more (170.5 for those 171): `spared` has a spare
  // column and row, copies of the last ones, so that n + 1 always give
  // enough, and the last sample, half outside the picture, is interpolated
  // like the others rather than copied from the one before (which cost up
  // to 7 dB on pictures of a few pixels).
  static void resize_chroma(const cv::Mat& spared, ChromaAxis x, ChromaAxis y, cv::Mat& resized,
                            cv::Mat& out) {
    cv::resize(spared, resized, cv::Size(), x.scale, y.scale,
               chroma_interpolation(spared.size(), out.size()));
    CV_Assert(resized.cols >= out.cols && resized.rows >= out.rows);
    resized(cv::Rect(cv::Point(), out.size())).copyTo(out);
  }

  // A source that starts with a partial sample (odd-sized and turned over)
  // needs an offset that cv::resize cannot take, and a warp can: bicubic,
  // 3× as slow as cv::resize here and with no area averaging for a large
  // shrink, but rare.
  static void warp_chroma(const cv::Mat& plane, ChromaAxis x, ChromaAxis y, cv::Mat& out) {
    const double rx = 1 / x.scale, ry = 1 / y.scale;
    const cv::Matx23d to_source(rx, 0, (rx - 1) / 2 + x.lead, 0, ry, (ry - 1) / 2 + y.lead);
    cv::warpAffine(plane, out, to_source, out.size(), cv::INTER_CUBIC | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);
  }

  void encode_planes(Size2 size, ResizedImage& result) {
    reserve_jpeg_buffer(size);
    std::array<const unsigned char*, 3> planes{m_out_planes[0].data, m_out_planes[1].data,
                                               m_out_planes[2].data};
    const std::array<int, 3> strides{static_cast<int>(m_out_planes[0].step),
                                     static_cast<int>(m_out_planes[1].step),
                                     static_cast<int>(m_out_planes[2].step)};
    unsigned long jpeg_size = m_jpeg_capacity;
    if (tjCompressFromYUVPlanes(m_compressor.get(), planes.data(), size.width, strides.data(), size.height,
                                TJSAMP_420, &m_jpeg_buffer, &jpeg_size, m_options.jpeg_quality,
                                TJFLAG_NOREALLOC) != 0)
      throw ImageError("cannot encode JPEG: " + tj_error(m_compressor.get()));
    store_jpeg(jpeg_size, size, result);
  }

  // ---------------------------------------------------------------------
  // The BGR path: JPEGs the planar path does not take, and other formats.

  // Decodes to BGR at the planned scale, resizes and orients.
  cv::Mat decode_bgr(std::string_view bytes, const JpegPlan& plan) {
    const bool cmyk = plan.colourspace == TJCS_CMYK || plan.colourspace == TJCS_YCCK;
    cv::Mat& decoded = cmyk ? m_cmyk : m_decoded;
    decoded.create(plan.scaled.height, plan.scaled.width, cmyk ? CV_8UC4 : CV_8UC3);
    if (tjDecompress2(m_decompressor.get(), jpeg_data(bytes), jpeg_size(bytes), decoded.data,
                      plan.scaled.width, static_cast<int>(decoded.step), plan.scaled.height,
                      cmyk ? TJPF_CMYK : TJPF_BGR, kDecodeFlags) != 0)
      fail_decoding();
    if (cmyk) cmyk_to_bgr(m_cmyk, m_decoded);

    return apply_orientation(resize(m_decoded, plan.stored_target), plan.orientation, m_oriented);
  }

  // Warnings (a truncated file: "Premature end of JPEG file") stop the
  // decode and count as errors like fatal ones (tjGetErrorCode would tell
  // them apart): the rest of the picture would be grey.
  static constexpr int kDecodeFlags = TJFLAG_STOPONWARNING;

  static const unsigned char* jpeg_data(std::string_view bytes) {
    return reinterpret_cast<const unsigned char*>(bytes.data());
  }
  static unsigned long jpeg_size(std::string_view bytes) { return static_cast<unsigned long>(bytes.size()); }

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

  // `from` is the decoded size, for the message.
  static void check_output_size(Size2 from, Size2 target) {
    if (target.width > kMaxJpegSide || target.height > kMaxJpegSide ||
        std::int64_t{target.width} * target.height > kMaxPixels)
      throw ImageError("image too large: " + size_text(from.width, from.height) + " would become " +
                       size_text(target.width, target.height));
  }

  // `image` itself when it has the target size already.
  const cv::Mat& resize(const cv::Mat& image, Size2 target) {
    check_output_size({image.cols, image.rows}, target);
    if (image.cols == target.width && image.rows == target.height) return image;
    m_resized.create(target.height, target.width, image.type());
    resize_into(image, m_resized);
    return m_resized;
  }

  void encode(const cv::Mat& image, ResizedImage& result) {
    const Size2 size{image.cols, image.rows};
    reserve_jpeg_buffer(size);
    unsigned long jpeg_size = m_jpeg_capacity;
    if (tjCompress2(m_compressor.get(), image.data, image.cols, static_cast<int>(image.step), image.rows,
                    TJPF_BGR, &m_jpeg_buffer, &jpeg_size, TJSAMP_420, m_options.jpeg_quality,
                    TJFLAG_NOREALLOC) != 0)
      throw ImageError("cannot encode JPEG: " + tj_error(m_compressor.get()));
    store_jpeg(jpeg_size, size, result);
  }

  // The worst case for `size`, so that TurboJPEG never reallocates
  // (TJFLAG_NOREALLOC); grown, never shrunk.
  void reserve_jpeg_buffer(Size2 size) {
    const unsigned long capacity = tjBufSize(size.width, size.height, TJSAMP_420);
    if (capacity <= m_jpeg_capacity) return;
    tjFree(m_jpeg_buffer);
    m_jpeg_buffer = tjAlloc(static_cast<int>(capacity));
    m_jpeg_capacity = m_jpeg_buffer ? capacity : 0;
    if (!m_jpeg_buffer) throw ImageError("out of memory for the JPEG output");
  }

  void store_jpeg(unsigned long jpeg_size, Size2 size, ResizedImage& result) const {
    result.jpeg.assign(reinterpret_cast<const char*>(m_jpeg_buffer), jpeg_size);
    result.width = size.width;
    result.height = size.height;
  }

  ResizeOptions m_options;
  TjHandle m_decompressor;
  TjHandle m_compressor;
  std::vector<tjscalingfactor> m_factors;
  // Reused from image to image, so that a worker allocates only when the
  // sizes change. BGR path:
  cv::Mat m_decoded;
  cv::Mat m_cmyk;
  cv::Mat m_resized;
  cv::Mat m_oriented;
  // Planar path: Y, Cb, Cr as decoded (Y only for grey), the steps
  // between, and the output planes.
  std::array<cv::Mat, 3> m_plane_buffers;
  std::array<cv::Mat, 3> m_planes;  // views into m_plane_buffers
  cv::Mat m_luma_resized;
  std::array<cv::Mat, 2> m_chroma_oriented;
  std::array<cv::Mat, 2> m_chroma_resized;
  std::array<cv::Mat, 3> m_out_planes;
  unsigned char* m_jpeg_buffer = nullptr;
  unsigned long m_jpeg_capacity = 0;
};

ImageResizer::ImageResizer(ResizeOptions options) : m_impl(std::make_unique<Impl>(options)) {}
ImageResizer::~ImageResizer() = default;

ResizedImage ImageResizer::process(std::string_view file_bytes) { return m_impl->process(file_bytes); }

const ResizeOptions& ImageResizer::options() const { return m_impl->options(); }

}  // namespace loctex::pipeline
