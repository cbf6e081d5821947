// Sample keys, and the split and part rules that anyone can reproduce.
#include "pipeline/sample_key.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/content_hash.h"
#include "test_support.h"

namespace {

namespace pl = loctex::pipeline;
using loctex::testing::error_of;
using loctex::testing::read_text;
using loctex::testing::TempDir;

TEST(sample_key_test, plain_ids_join_with_dashes) {
  EXPECT_EQ(pl::sample_key("mscoco_val2017", "137576", "94"), "mscoco_val2017-137576-94");
}

TEST(sample_key_test, other_characters_become_underscores_and_a_hash_keeps_keys_apart) {
  const std::string a = pl::sample_key("open.images", "0a-b", "7");
  EXPECT_EQ(a.substr(0, 19), "open_images-0a_b-7-");
  EXPECT_EQ(a.size(), 19u + 16u) << a;
  const std::string raw = std::string("open.images") + '\0' + "0a-b" + '\0' + "7";
  EXPECT_EQ(a.substr(19), loctex::core::sha256_hex(raw).substr(0, 16));
  // Ids that sanitise alike still give different keys.
  EXPECT_NE(pl::sample_key("open.images", "0a-b", "7"), pl::sample_key("open_images", "0a.b", "7"));
  EXPECT_NE(pl::sample_key("a-b", "c", "1"), pl::sample_key("a", "b-c", "1"));
  EXPECT_EQ(pl::sample_key("a", "b.c", "1").find('.'), std::string::npos);
}

TEST(sample_key_test, empty_ids_take_the_hashed_form) {
  const std::string key = pl::sample_key("", "1", "2");
  EXPECT_EQ(key.substr(0, 5), "-1-2-");
  EXPECT_EQ(key.size(), 5u + 16u);
}

TEST(sample_key_test, split_and_part_hashes_match_the_documented_python) {
  // docs/dataset-builder.md's rule, run by Python's hashlib on the same ids.
  TempDir dir;
  const std::string script = R"(import hashlib, sys
for image in range(200):
    d = hashlib.sha256(f"mscoco_val2017/{image}".encode()).digest()
    val = (int.from_bytes(d[:8], "big") >> 11) / 2**53 < 0.3
    print(int(val), int.from_bytes(d[8:16], "big") % 7)
)";
  loctex::testing::write_text(dir / "rule.py", script);
  const std::string command =
      "/usr/bin/python3 " + (dir / "rule.py").string() + " > " + (dir / "python.txt").string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string ours;
  std::size_t val = 0;
  for (int image = 0; image < 200; ++image) {
    const auto hash = pl::image_hash("mscoco_val2017", std::to_string(image));
    const bool is_val = pl::split_of(hash, 0.3) == pl::Split::val;
    val += is_val ? 1 : 0;
    ours += std::to_string(is_val ? 1 : 0) + " " + std::to_string(hash.part % 7) + "\n";
  }
  EXPECT_EQ(ours, read_text(dir / "python.txt"));
  EXPECT_GT(val, 40u);  // about 60 of 200
  EXPECT_LT(val, 80u);
}

TEST(sample_key_test, val_fraction_zero_and_one_are_all_train_and_all_val) {
  for (int image = 0; image < 50; ++image) {
    const auto hash = pl::image_hash("d", std::to_string(image));
    EXPECT_EQ(pl::split_of(hash, 0.0), pl::Split::train);
    EXPECT_EQ(pl::split_of(hash, 1.0), pl::Split::val);
  }
}

TEST(sample_key_test, every_image_is_in_exactly_one_part) {
  for (int image = 0; image < 100; ++image) {
    const auto hash = pl::image_hash("d", std::to_string(image));
    int parts = 0;
    for (std::size_t i = 0; i < 4; ++i) parts += pl::in_part(hash, {i, 4}) ? 1 : 0;
    EXPECT_EQ(parts, 1) << image;
    EXPECT_TRUE(pl::in_part(hash, {}));
  }
}

TEST(sample_key_test, parse_part_reads_index_of_count_and_names_what_is_wrong) {
  EXPECT_EQ(pl::parse_part("3/8"), (pl::Part{3, 8}));
  EXPECT_EQ(pl::parse_part("0/1"), (pl::Part{0, 1}));
  EXPECT_EQ(error_of<std::invalid_argument>([] { pl::parse_part("8/8"); }),
            "--part '8/8': INDEX must be less than COUNT (parts are numbered from 0)");
  EXPECT_EQ(error_of<std::invalid_argument>([] { pl::parse_part("3"); }),
            "--part '3': expected INDEX/COUNT, e.g. 0/8");
  EXPECT_EQ(error_of<std::invalid_argument>([] { pl::parse_part("a/8"); }),
            "--part 'a/8': INDEX is not a non-negative whole number");
  EXPECT_EQ(error_of<std::invalid_argument>([] { pl::parse_part("0/0"); }),
            "--part '0/0': COUNT must be between 1 and 100000");
  EXPECT_EQ(error_of<std::invalid_argument>([] { pl::parse_part("-1/4"); }),
            "--part '-1/4': INDEX is not a non-negative whole number");
}

}  // namespace
