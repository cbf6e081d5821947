#include "pipeline/npy.h"

#include <opencv2/core/cvdef.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace loctex::pipeline {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kAlign = 64;  // numpy's ARRAY_ALIGN: the data starts at a multiple of it
// Recent numpy (1.24 here) leaves room for the first axis to grow to 21
// digits in place (GROWTH_AXIS_MAX_DIGITS in numpy/lib/format.py); we pad the
// same way so that our files are byte-identical to np.save's.
constexpr std::size_t kGrowthAxisMaxDigits = 21;

// Python's repr of a tuple of ints: "()", "(5,)", "(3, 16, 16)".
std::string shape_repr(std::span<const std::size_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The product of the dimensions, or nullopt if it overflows size_t.
std::optional<std::size_t> product(std::span<const std::size_t> shape) {
  std::size_t n = 1;
  for (const std::size_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::size_t>::max() / d) return std::nullopt;
    n *= d;
  }
  return n;
}

// Rounds a double to float with "round to odd": truncate towards zero, and
// if anything was lost, force the last bit to 1. Rounding to nearest twice
// (double -> float -> half) is not the same as rounding once: 0.5 + 2^-12 +
// 2^-40 lies just above the midpoint between the halves 0.5 and 0.5 + 2^-11,
// but the float nearest it is the midpoint itself, which then ties to the even
// 0.5, where numpy's direct double -> half gives 0.5 + 2^-11. Heatmap values
// in [0, 1] can land there. Round-to-odd keeps the information "strictly
// above/below" in the float's last bit, and since float carries 13 more
// significand bits than half (at least 2 are needed), the final rounding to
// nearest half is then exactly the direct one (Boldo & Melquiond, "Emulation
// of FMA and correctly rounded sums: proved algorithms using rounding to
// odd", IEEE Trans. Computers 2008). Values so small that the float is
// subnormal are all far below half's smallest subnormal, and anything at or
// past float's range is past half's, so neither needs care.
float round_to_odd_float(double x) {
  float f = static_cast<float>(x);  // nearest, ties to even
  if (!std::isfinite(f) || static_cast<double>(f) == x) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(x))  // rounded away from zero: step back
    f = std::nextafter(f, 0.0f);
  return std::bit_cast<float>(std::bit_cast<std::uint32_t>(f) | 1u);
}

std::uint16_t to_half_bits(double x) {
  return cv::float16_t(round_to_odd_float(x)).bits();  // nearest half, ties to even
}

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

std::uint32_t get_le(std::string_view bytes, std::size_t offset, std::size_t width) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < width; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

std::size_t item_size(std::string_view descr) {
  if (descr == "<f2") return 2;
  if (descr == "<f4") return 4;
  return 0;
}

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("npy: " + what); }

// The header dict: a Python literal of the form numpy's reader accepts
// through ast.literal_eval, restricted to what numpy itself writes: the keys
// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of
// non-negative ints), each exactly once, in any order, with any spaces and an
// optional trailing comma.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : m_text(text) {}

  NpyArray parse() {
    NpyArray array;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal("a key");
      expect(':');
      if (key == "descr") {
        once(seen_descr, key);
        array.descr = string_literal("a string for 'descr'");
      } else if (key == "fortran_order") {
        once(seen_order, key);
        array.fortran_order = boolean();
      } else if (key == "shape") {
        once(seen_shape, key);
        array.shape = shape();
      } else {
        error("unknown key '" + key + "'");
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_spaces();
    if (m_pos != m_text.size()) error("unexpected text after the dict");
    for (const auto& [seen, key] : {std::pair{seen_descr, "descr"}, std::pair{seen_order, "fortran_order"},
                                    std::pair{seen_shape, "shape"}})
      if (!seen) error(std::string("missing key '") + key + "'");
    return array;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    std::string shown(m_text);
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.pop_back();
    fail("header is not the dict numpy writes (" + what + "): " + shown);
  }

  void skip_spaces() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\t'))
      ++m_pos;
  }
  bool peek(char c) {
    skip_spaces();
    return m_pos < m_text.size() && m_text[m_pos] == c;
  }
  void expect(char c) {
    if (!peek(c)) error(std::string("expected '") + c + "' at offset " + std::to_string(m_pos));
    ++m_pos;
  }
  void once(bool& seen, const std::string& key) const {
    if (seen) error("duplicate key '" + key + "'");
    seen = true;
  }

  // 'text' or "text", without escapes (numpy never writes any).
  std::string string_literal(const char* what) {
    skip_spaces();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"'))
      error(std::string("expected ") + what + " at offset " + std::to_string(m_pos));
    const char quote = m_text[m_pos];
    const auto end = m_text.find(quote, m_pos + 1);
    if (end == std::string_view::npos) error("unterminated string at offset " + std::to_string(m_pos));
    std::string s(m_text.substr(m_pos + 1, end - m_pos - 1));
    if (s.find('\\') != std::string::npos) error("escapes in strings are not supported");
    m_pos = end + 1;
    return s;
  }

  bool boolean() {
    skip_spaces();
    using Word = std::pair<std::string_view, bool>;
    for (const auto& [word, value] : {Word{"True", true}, Word{"False", false}}) {
      if (m_text.substr(m_pos, word.size()) == word) {
        m_pos += word.size();
        return value;
      }
    }
    error("expected True or False for 'fortran_order' at offset " + std::to_string(m_pos));
  }

  std::vector<std::size_t> shape() {
    std::vector<std::size_t> dims;
    expect('(');
    bool trailing_comma = false;
    while (!peek(')')) {
      if (m_pos >= m_text.size() || m_text[m_pos] < '0' || m_text[m_pos] > '9')
        error("expected a tuple of non-negative integers for 'shape' at offset " + std::to_string(m_pos));
      std::size_t d = 0;
      while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
        const auto digit = static_cast<std::size_t>(m_text[m_pos] - '0');
        if (d > (std::numeric_limits<std::size_t>::max() - digit) / 10)
          error("dimension too large in 'shape'");
        d = d * 10 + digit;
        ++m_pos;
      }
      dims.push_back(d);
      trailing_comma = peek(',');
      if (trailing_comma)
        ++m_pos;
      else if (!peek(')'))
        error("expected ',' or ')' in 'shape' at offset " + std::to_string(m_pos));
    }
    // Python reads "(5)" as the int 5, not a tuple.
    if (dims.size() == 1 && !trailing_comma) error("'shape' is a parenthesised int, not a tuple");
    expect(')');
    return dims;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

}  // namespace

std::string encode_npy_f16(std::span<const double> values, std::span<const std::size_t> shape) {
  const auto count = product(shape);
  if (!count || *count != values.size())
    throw std::invalid_argument("npy: shape " + shape_repr(shape) + " needs " +
                                (count ? std::to_string(*count) : std::string("too many")) + " values, got " +
                                std::to_string(values.size()));

  std::string header = "{'descr': '<f2', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
  if (!shape.empty()) header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  // 10 bytes of magic, version and length, then the header ended by '\n'.
  const std::size_t unpadded = kMagic.size() + 4 + header.size() + 1;
  header.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  header.push_back('\n');
  if (header.size() > 0xFFFF)
    throw std::invalid_argument("npy: a header of " + std::to_string(header.size()) +
                                " bytes does not fit format version 1.0");

  std::string out;
  out.reserve(kMagic.size() + 4 + header.size() + 2 * values.size());
  out.append(kMagic);
  out.push_back('\x01');
  out.push_back('\x00');
  put_u16(out, static_cast<std::uint16_t>(header.size()));
  out.append(header);
  for (const double v : values) put_u16(out, to_half_bits(v));
  return out;
}

std::size_t NpyArray::element_count() const {
  const auto n = product(shape);
  if (!n) fail("shape " + shape_repr(shape) + " holds more elements than fit in memory");
  return *n;
}

std::vector<float> NpyArray::to_floats() const {
  const std::size_t size = item_size(descr);
  if (size == 0) fail("cannot widen dtype '" + descr + "' to float; only '<f2' and '<f4'");
  const std::size_t n = element_count();
  if (data.size() != n * size)
    fail("data holds " + std::to_string(data.size()) + " bytes, shape " + shape_repr(shape) + " of '" +
         descr + "' needs " + std::to_string(n * size));
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t bits = get_le(data, i * size, size);
    out[i] = size == 2 ? static_cast<float>(cv::float16_t::fromBits(static_cast<std::uint16_t>(bits)))
                       : std::bit_cast<float>(bits);
  }
  return out;
}

NpyArray decode_npy(std::string_view bytes) {
  if (bytes.substr(0, kMagic.size()) != kMagic) fail("not a .npy file (bad magic)");
  if (bytes.size() < kMagic.size() + 2) fail("file ends inside the header");
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if ((major != 1 && major != 2) || minor != 0)
    fail("unsupported format version " + std::to_string(major) + "." + std::to_string(minor) +
         "; only 1.0 and 2.0");
  // Version 2.0 differs only in a 4-byte header length.
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t prefix = 8 + length_bytes;
  if (bytes.size() < prefix) fail("file ends inside the header");
  const std::size_t header_size = get_le(bytes, 8, length_bytes);
  if (bytes.size() - prefix < header_size) fail("file ends inside the header");

  NpyArray array = HeaderParser(bytes.substr(prefix, header_size)).parse();
  if (array.fortran_order) fail("Fortran-order arrays are not supported");
  const std::size_t size = item_size(array.descr);
  if (size == 0) fail("unsupported dtype '" + array.descr + "'; only '<f2' and '<f4'");
  const auto count = product(array.shape);
  const std::size_t data_size = bytes.size() - prefix - header_size;
  if (!count || *count > std::numeric_limits<std::size_t>::max() / size || *count * size != data_size)
    fail("data holds " + std::to_string(data_size) + " bytes, shape " + shape_repr(array.shape) + " of '" +
         array.descr + "' needs " +
         (count && *count <= std::numeric_limits<std::size_t>::max() / size ? std::to_string(*count * size)
                                                                            : std::string("more")));
  array.data.assign(bytes.substr(prefix + header_size));
  return array;
}

}  // namespace loctex::pipeline
