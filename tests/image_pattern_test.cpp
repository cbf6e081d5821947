#include "core/image_pattern.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace fs = std::filesystem;
using loctex::core::format_image_path;
using loctex::core::ImagePattern;
using loctex::core::is_inside;
using loctex::core::resolve_inside;
using loctex::testing::error_of;

namespace {

std::string pattern_error(std::string_view pattern) {
  return error_of<std::invalid_argument>([&] { ImagePattern{pattern}; });
}

std::string format_error(std::string_view pattern, std::string_view dataset_id, std::string_view image_id) {
  return error_of<std::invalid_argument>([&] { format_image_path(pattern, dataset_id, image_id); });
}

// A fresh folder with a root/ to resolve in and an outside/ next to it.
class image_pattern_resolve_test : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() / "val2017");
    fs::create_directories(outside());
    std::ofstream(root() / "val2017" / "000000137576.jpg") << "jpeg";
    std::ofstream(outside() / "secret.jpg") << "secret";
    m_root = fs::canonical(root());
  }
  fs::path root() const { return m_dir / "root"; }
  fs::path outside() const { return m_dir / "outside"; }
  const fs::path& canonical_root() const { return m_root; }

 private:
  loctex::testing::TempDir m_dir;
  fs::path m_root;
};

}  // namespace

TEST(image_pattern_test, zero_pads_coco_ids) {
  EXPECT_EQ(format_image_path("{image_id:012}.jpg", "mscoco_val2017", "137576"),
            fs::path("000000137576.jpg"));
  EXPECT_EQ(format_image_path("val2017/{image_id:012}.jpg", "mscoco_val2017", "9"),
            fs::path("val2017/000000000009.jpg"));
}

TEST(image_pattern_test, keeps_an_id_longer_than_the_width_whole) {
  EXPECT_EQ(format_image_path("{image_id:03}.jpg", "d", "137576"), fs::path("137576.jpg"));
  EXPECT_EQ(format_image_path("{image_id:06}.jpg", "d", "137576"), fs::path("137576.jpg"));
}

TEST(image_pattern_test, substitutes_both_ids) {
  EXPECT_EQ(format_image_path("{dataset_id}/{image_id}.jpg", "open_images_validation", "0a1b2c3d4e5f6a7b"),
            fs::path("open_images_validation/0a1b2c3d4e5f6a7b.jpg"));
  EXPECT_EQ(format_image_path("{image_id}_{image_id}", "d", "7"), fs::path("7_7"));
  EXPECT_EQ(format_image_path("fixed.png", "d", "7"), fs::path("fixed.png"));
}

TEST(image_pattern_test, doubled_braces_are_literal) {
  EXPECT_EQ(format_image_path("{{{image_id}}}.jpg", "d", "7"), fs::path("{7}.jpg"));
}

TEST(image_pattern_test, parsed_pattern_formats_many_ids) {
  const ImagePattern pattern("{image_id:012}.jpg");
  EXPECT_EQ(pattern.text(), "{image_id:012}.jpg");
  EXPECT_EQ(pattern.format("d", "1"), fs::path("000000000001.jpg"));
  EXPECT_EQ(pattern.format("d", "42"), fs::path("000000000042.jpg"));
}

TEST(image_pattern_test, unknown_placeholder) {
  EXPECT_EQ(
      pattern_error("{imageid}.jpg"),
      "image pattern '{imageid}.jpg': unknown placeholder '{imageid}' (known: {image_id}, {dataset_id})");
  EXPECT_EQ(pattern_error("{}.jpg"),
            "image pattern '{}.jpg': unknown placeholder '{}' (known: {image_id}, {dataset_id})");
}

TEST(image_pattern_test, unbalanced_braces) {
  EXPECT_EQ(
      pattern_error("img_{image_id.jpg"),
      "image pattern 'img_{image_id.jpg': unbalanced '{' at position 4 (write '{{' for a literal brace)");
  EXPECT_EQ(pattern_error("{image_{id}.jpg"),
            "image pattern '{image_{id}.jpg': unbalanced '{' at position 0 (write '{{' for a literal brace)");
  EXPECT_EQ(pattern_error("image_id}.jpg"),
            "image pattern 'image_id}.jpg': unbalanced '}' at position 8 (write '}}' for a literal brace)");
}

TEST(image_pattern_test, only_zero_padding_is_a_format) {
  const std::string only = "' (only zero padding such as {image_id:012} is supported)";
  EXPECT_EQ(pattern_error("{image_id:12}"),
            "image pattern '{image_id:12}': unsupported format in '{image_id:12}" + only);
  EXPECT_EQ(pattern_error("{image_id:0}"),
            "image pattern '{image_id:0}': unsupported format in '{image_id:0}" + only);
  EXPECT_EQ(pattern_error("{image_id:}"),
            "image pattern '{image_id:}': unsupported format in '{image_id:}" + only);
  EXPECT_EQ(pattern_error("{image_id:0x}"),
            "image pattern '{image_id:0x}': unsupported format in '{image_id:0x}" + only);
  EXPECT_EQ(pattern_error("{image_id:00}"),
            "image pattern '{image_id:00}': padding width in '{image_id:00}' must be between 1 and 255");
  EXPECT_EQ(pattern_error("{image_id:0256}"),
            "image pattern '{image_id:0256}': padding width in '{image_id:0256}' must be between 1 and 255");
  EXPECT_EQ(
      pattern_error("{image_id:099999999999999999999}"),
      "image pattern '{image_id:099999999999999999999}': padding width in '{image_id:099999999999999999999}' "
      "must be between 1 and 255");
  EXPECT_EQ(pattern_error(""), "image pattern '': empty pattern");
}

TEST(image_pattern_test, refuses_to_pad_a_non_numeric_id) {
  EXPECT_EQ(
      format_error("{image_id:012}.jpg", "d", "0a1b"),
      "image pattern '{image_id:012}.jpg': image_id '0a1b' is not made of digits, so {image_id:012} cannot "
      "zero-pad it");
  EXPECT_EQ(
      format_error("{image_id:012}.jpg", "d", "-5"),
      "image pattern '{image_id:012}.jpg': image_id '-5' is not made of digits, so {image_id:012} cannot "
      "zero-pad it");
}

TEST(image_pattern_test, refuses_empty_or_nul_ids) {
  EXPECT_EQ(format_error("{image_id}.jpg", "d", ""), "image pattern '{image_id}.jpg': image_id is empty");
  EXPECT_EQ(format_error("{dataset_id}/{image_id}.jpg", "", "7"),
            "image pattern '{dataset_id}/{image_id}.jpg': dataset_id is empty");
  EXPECT_EQ(format_error("{image_id}.jpg", "d", std::string_view("7\0../x", 6)),
            "image pattern '{image_id}.jpg': image_id holds a NUL byte");
  // An unused placeholder's value does not matter.
  EXPECT_EQ(format_image_path("{image_id}.jpg", "", "7"), fs::path("7.jpg"));
}

TEST_F(image_pattern_resolve_test, resolves_a_path_inside) {
  EXPECT_EQ(resolve_inside(root(), "val2017/000000137576.jpg"),
            canonical_root() / "val2017" / "000000137576.jpg");
  // Need not exist yet, and ".." that stays inside is fine.
  EXPECT_EQ(resolve_inside(root(), "val2017/../new/x.jpg"), canonical_root() / "new" / "x.jpg");
}

TEST_F(image_pattern_resolve_test, rejects_dot_dot_escape) {
  const std::string error =
      error_of<std::invalid_argument>([&] { resolve_inside(root(), "../outside/secret.jpg"); });
  EXPECT_EQ(error, "path '../outside/secret.jpg' resolves to '" +
                       (canonical_root().parent_path() / "outside" / "secret.jpg").string() + "', outside '" +
                       canonical_root().string() + "'");
  EXPECT_NE(error_of<std::invalid_argument>([&] { resolve_inside(root(), "val2017/../../x.jpg"); }),
            "(no exception)");
}

TEST_F(image_pattern_resolve_test, rejects_escape_from_a_formatted_id) {
  const fs::path relative = format_image_path("{image_id}.jpg", "d", "../outside/secret");
  EXPECT_NE(error_of<std::invalid_argument>([&] { resolve_inside(root(), relative); }).find("outside '"),
            std::string::npos);
}

TEST_F(image_pattern_resolve_test, rejects_absolute_id) {
  const fs::path relative = format_image_path("{image_id}", "d", "/etc/passwd");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { resolve_inside(root(), relative); }),
            "path '/etc/passwd' is absolute; expected a path inside '" + root().string() + "'");
}

TEST_F(image_pattern_resolve_test, rejects_symlink_leading_out) {
  fs::create_directory_symlink(outside(), root() / "link");
  const std::string error =
      error_of<std::invalid_argument>([&] { resolve_inside(root(), "link/secret.jpg"); });
  EXPECT_EQ(error, "path 'link/secret.jpg' resolves to '" + fs::canonical(outside() / "secret.jpg").string() +
                       "', outside '" + canonical_root().string() + "'");
  fs::create_symlink(outside() / "secret.jpg", root() / "file_link.jpg");
  EXPECT_NE(error_of<std::invalid_argument>([&] { resolve_inside(root(), "file_link.jpg"); }),
            "(no exception)");
}

TEST_F(image_pattern_resolve_test, accepts_symlink_that_stays_inside) {
  fs::create_directory_symlink(root() / "val2017", root() / "coco");
  EXPECT_EQ(resolve_inside(root(), "coco/000000137576.jpg"),
            canonical_root() / "val2017" / "000000137576.jpg");
}

TEST_F(image_pattern_resolve_test, rejects_dangling_symlink) {
  fs::create_symlink(outside() / "not_yet.jpg", root() / "dangling.jpg");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { resolve_inside(root(), "dangling.jpg"); }),
            "path 'dangling.jpg' goes through the dangling symlink '" +
                (canonical_root() / "dangling.jpg").string() + "'");
}

TEST_F(image_pattern_resolve_test, rejects_empty_path) {
  EXPECT_EQ(error_of<std::invalid_argument>([&] { resolve_inside(root(), ""); }),
            "empty path; expected one inside '" + root().string() + "'");
}

TEST_F(image_pattern_resolve_test, is_inside_compares_whole_elements) {
  fs::create_directories(root().string() + "2");
  EXPECT_TRUE(is_inside(root(), root() / "val2017" / "000000137576.jpg"));
  EXPECT_TRUE(is_inside(root(), root()));
  EXPECT_TRUE(is_inside(root() / "", root() / "a"));
  EXPECT_FALSE(is_inside(root(), root().string() + "2/x.jpg"));  // a string prefix, not a parent
  EXPECT_FALSE(is_inside(root(), outside() / "secret.jpg"));
  EXPECT_FALSE(is_inside(root(), root() / ".." / "outside"));
}
