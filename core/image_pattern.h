#pragma once
// Finding an image file from a narrative's ids. Localized Narratives names
// images by (dataset_id, image_id) only, and each dataset names its files its
// own way: COCO's "000000137576.jpg" holds the narrative's image_id "137576".
// A pattern maps the ids to a path relative to an image folder, and
// resolve_inside() makes sure that path stays inside that folder.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace loctex::core {

// An image file-name pattern, parsed once and formatted per narrative.
//
//   {image_id}       the id as written in the narrative
//   {dataset_id}     e.g. "mscoco_val2017", for datasets kept in one folder each
//   {image_id:012}   zero-padded on the left to 12 characters; an id already
//                    as long or longer is kept whole. Only ids made of digits
//                    can be padded: format() refuses to pad any other id.
//   {{ and }}        a literal brace
//
// e.g. "val2017/{image_id:012}.jpg" or "{dataset_id}/{image_id}.jpg".
class ImagePattern {
 public:
  // Throws std::invalid_argument quoting the pattern for an empty pattern, an
  // unknown placeholder, an unbalanced brace or a format other than zero
  // padding.
  explicit ImagePattern(std::string_view pattern);

  // The relative path for one image. Throws std::invalid_argument naming the
  // field if a placeholder's value is empty, holds a NUL byte, or is not
  // made of digits where the pattern pads it. Paths are not checked here; see
  // resolve_inside().
  std::filesystem::path format(std::string_view dataset_id, std::string_view image_id) const;

  const std::string& text() const { return m_text; }

 private:
  enum class Kind { literal, dataset_id, image_id };
  struct Piece {
    Kind kind = Kind::literal;
    std::string literal;    // for Kind::literal
    std::size_t width = 0;  // zero padding; 0 for none
    std::string field;      // the placeholder as written, for errors
  };

  std::string m_text;
  std::vector<Piece> m_pieces;
};

// ImagePattern(pattern).format(dataset_id, image_id), for one-off use.
std::filesystem::path format_image_path(std::string_view pattern, std::string_view dataset_id,
                                        std::string_view image_id);

// `root / relative`, refused if it could lead outside `root`: an absolute
// `relative`, ".." components that climb out, or a symlink (anywhere along
// the path) whose target is outside. Both sides are resolved with
// std::filesystem::weakly_canonical, so the file need not exist yet; a
// dangling symlink is refused because its target cannot be checked.
// Returns the resolved absolute path. Throws std::invalid_argument quoting
// both paths.
std::filesystem::path resolve_inside(const std::filesystem::path& root,
                                     const std::filesystem::path& relative);

// Whether `path` is `root` or lies below it, after resolving both with
// weakly_canonical (symlinks followed, ".." removed).
bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace loctex::core
