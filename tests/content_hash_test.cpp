#include "core/content_hash.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_support.h"

namespace fs = std::filesystem;
using loctex::core::sha256_file;
using loctex::core::sha256_hex;
using loctex::testing::error_of;
using loctex::testing::TempDir;

namespace {

// FIPS 180-2 test vectors.
constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kTwoBlocks = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
constexpr const char* kMillionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

}  // namespace

TEST(content_hash_test, hashes_known_vectors) {
  EXPECT_EQ(sha256_hex(""), kEmpty);
  EXPECT_EQ(sha256_hex("abc"), kAbc);
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), kTwoBlocks);
}

TEST(content_hash_test, hashes_bytes_not_c_strings) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(sha256_hex(with_nul), sha256_hex("a"));
  EXPECT_EQ(sha256_hex(with_nul).size(), 64u);
}

TEST(content_hash_test, file_hash_matches_string_hash) {
  TempDir dir;
  loctex::testing::write_text(dir.path() / "empty.bin", "");
  loctex::testing::write_text(dir.path() / "abc.txt", "abc");
  EXPECT_EQ(sha256_file(dir.path() / "empty.bin"), kEmpty);
  EXPECT_EQ(sha256_file(dir.path() / "abc.txt"), kAbc);
}

TEST(content_hash_test, file_larger_than_one_chunk) {
  TempDir dir;
  loctex::testing::write_text(dir.path() / "a.bin", std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir.path() / "a.bin"), kMillionA);
}

TEST(content_hash_test, missing_file_error_names_the_file) {
  TempDir dir;
  const fs::path missing = dir.path() / "missing.jpg";
  EXPECT_EQ(error_of([&] { sha256_file(missing); }),
            "cannot open " + missing.string() + " to hash it: No such file or directory");
}

TEST(content_hash_test, folder_error_names_the_folder) {
  TempDir dir;
  EXPECT_EQ(error_of([&] { sha256_file(dir.path()); }),
            "cannot read " + dir.path().string() + " to hash it: Is a directory");
}
