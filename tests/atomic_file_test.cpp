#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace {

using loctex::core::AtomicFile;
using loctex::testing::read_text;
using loctex::testing::TempDir;

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(atomic_file_test, target_appears_only_on_commit) {
  TempDir dir;
  AtomicFile file(dir / "out.txt");
  file.stream() << "hello";
  EXPECT_FALSE(std::filesystem::exists(dir / "out.txt"));
  file.commit();
  EXPECT_EQ(read_text(dir / "out.txt"), "hello");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(atomic_file_test, abandoned_write_keeps_the_old_content_and_leaves_no_temporary) {
  TempDir dir;
  loctex::core::write_file_atomically(dir / "out.txt", "old");
  {
    AtomicFile file(dir / "out.txt");
    file.stream() << "new but unfinished";
  }
  EXPECT_EQ(read_text(dir / "out.txt"), "old");
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(atomic_file_test, creates_missing_parent_folders) {
  TempDir dir;
  loctex::core::write_file_atomically(dir / "a/b/c.bin", std::string("x\0y", 3));
  EXPECT_EQ(read_text(dir / "a/b/c.bin"), std::string("x\0y", 3));
}

TEST(atomic_file_test, unwritable_folder_is_an_error_naming_the_target) {
  TempDir dir;
  loctex::testing::write_text(dir / "file", "");
  try {
    AtomicFile file(dir / "file/inside.txt");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "file").string()), std::string::npos) << e.what();
  }
}

}  // namespace
