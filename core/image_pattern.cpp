#include "core/image_pattern.h"

#include <algorithm>
#include <stdexcept>

namespace loctex::core {
namespace {

// A file name cannot be longer (NAME_MAX), and a typo such as
// {image_id:0123456789} must not allocate gigabytes.
constexpr std::size_t kMaxWidth = 255;

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[noreturn]] void bad_pattern(std::string_view pattern, const std::string& problem) {
  throw std::invalid_argument("image pattern '" + std::string(pattern) + "': " + problem);
}

// weakly_canonical may keep a trailing separator, which iterates as an empty
// element; containment must not depend on it.
std::vector<std::filesystem::path> elements(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> out;
  for (const auto& element : path) {
    if (!element.empty()) out.push_back(element);
  }
  return out;
}

bool canonical_is_inside(const std::filesystem::path& root, const std::filesystem::path& path) {
  const auto root_elements = elements(root);
  const auto path_elements = elements(path);
  if (path_elements.size() < root_elements.size()) return false;
  return std::equal(root_elements.begin(), root_elements.end(), path_elements.begin());
}

std::filesystem::path canonical_root(const std::filesystem::path& root) {
  return std::filesystem::weakly_canonical(std::filesystem::absolute(root));
}

}  // namespace

ImagePattern::ImagePattern(std::string_view pattern) : m_text(pattern) {
  if (pattern.empty()) bad_pattern(pattern, "empty pattern");
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    m_pieces.push_back(Piece{Kind::literal, std::move(literal), 0, {}});
    literal.clear();
  };

  std::size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    const bool doubled = i + 1 < pattern.size() && pattern[i + 1] == c;
    if (c == '}') {
      if (!doubled) {
        bad_pattern(pattern,
                    "unbalanced '}' at position " + std::to_string(i) + " (write '}}' for a literal brace)");
      }
      literal += '}';
      i += 2;
      continue;
    }
    if (c != '{') {
      literal += c;
      ++i;
      continue;
    }
    if (doubled) {
      literal += '{';
      i += 2;
      continue;
    }

    const std::size_t close = pattern.find_first_of("{}", i + 1);
    if (close == std::string_view::npos || pattern[close] == '{') {
      bad_pattern(pattern,
                  "unbalanced '{' at position " + std::to_string(i) + " (write '{{' for a literal brace)");
    }
    const std::string_view field = pattern.substr(i, close - i + 1);
    const std::string_view inner = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = inner.find(':');
    const std::string_view name = inner.substr(0, colon);

    Piece piece;
    piece.field = std::string(field);
    if (name == "image_id") {
      piece.kind = Kind::image_id;
    } else if (name == "dataset_id") {
      piece.kind = Kind::dataset_id;
    } else {
      bad_pattern(pattern,
                  "unknown placeholder '" + std::string(field) + "' (known: {image_id}, {dataset_id})");
    }
    if (colon != std::string_view::npos) {
      // Only zero padding: a space-padded or truncated file name matches no
      // dataset we know of, so anything else is more likely a typo.
      const std::string_view spec = inner.substr(colon + 1);
      if (spec.size() < 2 || spec[0] != '0' || !all_digits(spec)) {
        bad_pattern(pattern, "unsupported format in '" + std::string(field) +
                                 "' (only zero padding such as {image_id:012} is supported)");
      }
      const std::string_view digits = spec.substr(1);
      // Overflow-safe: more than three digits is already too wide.
      piece.width = digits.size() > 3 ? kMaxWidth + 1 : std::stoul(std::string(digits));
      if (piece.width == 0 || piece.width > kMaxWidth) {
        bad_pattern(pattern, "padding width in '" + std::string(field) + "' must be between 1 and " +
                                 std::to_string(kMaxWidth));
      }
    }
    flush_literal();
    m_pieces.push_back(std::move(piece));
    i = close + 1;
  }
  flush_literal();
}

std::filesystem::path ImagePattern::format(std::string_view dataset_id, std::string_view image_id) const {
  std::string out;
  for (const Piece& piece : m_pieces) {
    if (piece.kind == Kind::literal) {
      out += piece.literal;
      continue;
    }
    const bool is_image = piece.kind == Kind::image_id;
    const std::string_view value = is_image ? image_id : dataset_id;
    const std::string name = is_image ? "image_id" : "dataset_id";
    auto fail = [&](const std::string& problem) {
      throw std::invalid_argument("image pattern '" + m_text + "': " + problem);
    };
    if (value.empty()) fail(name + " is empty");
    // A NUL would silently cut the path short at the operating system.
    if (value.find('\0') != std::string_view::npos) fail(name + " holds a NUL byte");
    if (piece.width > 0) {
      // Padding "abc" to "000abc" names no real file; an error tells the user
      // the pattern does not fit this dataset.
      if (!all_digits(value)) {
        fail(name + " '" + std::string(value) + "' is not made of digits, so " + piece.field +
             " cannot zero-pad it");
      }
      if (value.size() < piece.width) out.append(piece.width - value.size(), '0');
    }
    out += value;
  }
  return std::filesystem::path(out);
}

std::filesystem::path format_image_path(std::string_view pattern, std::string_view dataset_id,
                                        std::string_view image_id) {
  return ImagePattern(pattern).format(dataset_id, image_id);
}

std::filesystem::path resolve_inside(const std::filesystem::path& root,
                                     const std::filesystem::path& relative) {
  namespace fs = std::filesystem;
  const std::string quoted = "path '" + relative.string() + "'";
  if (relative.empty())
    throw std::invalid_argument("empty path; expected one inside '" + root.string() + "'");
  if (relative.has_root_path()) {
    throw std::invalid_argument(quoted + " is absolute; expected a path inside '" + root.string() + "'");
  }
  const fs::path base = canonical_root(root);

  // weakly_canonical treats a dangling symlink as a plain missing name and
  // keeps it, so a later write through it could land anywhere.
  fs::path walk = base;
  for (const auto& element : relative) {
    walk /= element;
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(walk, ec);
    if (ec || !fs::exists(status)) break;
    if (fs::is_symlink(status) && !fs::exists(walk, ec)) {
      throw std::invalid_argument(quoted + " goes through the dangling symlink '" + walk.string() + "'");
    }
  }

  const fs::path resolved = fs::weakly_canonical(base / relative);
  if (!canonical_is_inside(base, resolved)) {
    throw std::invalid_argument(quoted + " resolves to '" + resolved.string() + "', outside '" +
                                base.string() + "'");
  }
  return resolved;
}

bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path) {
  return canonical_is_inside(canonical_root(root),
                             std::filesystem::weakly_canonical(std::filesystem::absolute(path)));
}

}  // namespace loctex::core
