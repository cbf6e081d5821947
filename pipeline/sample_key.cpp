#include "pipeline/sample_key.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/content_hash.h"
#include "core/words.h"

namespace loctex::pipeline {
namespace {

bool is_key_char(char c) { return core::is_ascii_alnum(c) || c == '_'; }

bool is_plain(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id)
    if (!is_key_char(c)) return false;
  return true;
}

void append_sanitized(std::string& key, std::string_view id) {
  for (char c : id) key.push_back(is_key_char(c) ? c : '_');
}

std::uint64_t big_endian_u64(std::string_view hex) {
  std::uint64_t value = 0;
  std::from_chars(hex.data(), hex.data() + hex.size(), value, 16);
  return value;
}

}  // namespace

std::string sample_key(std::string_view dataset_id, std::string_view image_id,
                       std::string_view annotator_id) {
  std::string key;
  key.reserve(dataset_id.size() + image_id.size() + annotator_id.size() + 20);
  append_sanitized(key, dataset_id);
  key.push_back('-');
  append_sanitized(key, image_id);
  key.push_back('-');
  append_sanitized(key, annotator_id);
  if (is_plain(dataset_id) && is_plain(image_id) && is_plain(annotator_id)) return key;

  std::string raw;
  raw.append(dataset_id).push_back('\0');
  raw.append(image_id).push_back('\0');
  raw.append(annotator_id);
  key.push_back('-');
  key.append(core::sha256_hex(raw).substr(0, 16));
  return key;
}

ImageHash image_hash(std::string_view dataset_id, std::string_view image_id) {
  std::string text;
  text.append(dataset_id).push_back('/');
  text.append(image_id);
  const std::string hex = core::sha256_hex(text);
  return {big_endian_u64(std::string_view(hex).substr(0, 16)),
          big_endian_u64(std::string_view(hex).substr(16, 16))};
}

std::string_view to_string(Split split) { return split == Split::train ? "train" : "val"; }

Split split_of(const ImageHash& hash, double val_fraction) {
  // 53 bits convert to double exactly, so this is the same number Python's
  // (h >> 11) / 2**53 gives.
  const double u = std::ldexp(static_cast<double>(hash.split >> 11), -53);
  return u < val_fraction ? Split::val : Split::train;
}

Part parse_part(std::string_view text) {
  const auto fail = [&](const std::string& why) {
    std::string message = "--part '";
    message.append(text).append("': ").append(why);
    throw std::invalid_argument(message);
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) fail("expected INDEX/COUNT, e.g. 0/8");
  const auto number = [&](std::string_view digits, const char* what) {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
      fail(std::string(what) + " is not a non-negative whole number");
    return value;
  };
  Part part{number(text.substr(0, slash), "INDEX"), number(text.substr(slash + 1), "COUNT")};
  if (part.count == 0 || part.count > 100000) fail("COUNT must be between 1 and 100000");
  if (part.index >= part.count) fail("INDEX must be less than COUNT (parts are numbered from 0)");
  return part;
}

bool in_part(const ImageHash& hash, const Part& part) { return hash.part % part.count == part.index; }

}  // namespace loctex::pipeline
