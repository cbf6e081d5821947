#include "core/vocabulary.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.h"

namespace loctex::core {
namespace {

namespace fs = std::filesystem;
using loctex::testing::read_text;
using loctex::testing::TempDir;

// Writes `bytes` to dir/name and returns the path.
fs::path write(const TempDir& dir, const std::string& name, const std::string& bytes) {
  const auto path = dir / name;
  loctex::testing::write_text(path, bytes);
  return path;
}

// The what() of the error load() throws, or "" if it does not throw.
std::string load_error(const fs::path& path) {
  try {
    Vocabulary::load(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

constexpr std::string_view kSpecialLines = "<pad>\t0\n<unk>\t0\n<cls>\t0\n<mask>\t0\n";

VocabularyBuilder builder_of(std::initializer_list<std::string_view> words) {
  VocabularyBuilder builder;
  for (const auto word : words) builder.add(word);
  return builder;
}

std::vector<std::string> tokens_of(const Vocabulary& vocab) {
  std::vector<std::string> tokens;
  for (std::size_t id = 0; id < vocab.size(); ++id) tokens.push_back(vocab.token(id));
  return tokens;
}

// --- normalize_word ---

TEST(vocabulary_test, normalize_word_lower_cases_and_strips_punctuation) {
  EXPECT_EQ(normalize_word("Left."), "left");
  EXPECT_EQ(normalize_word("IMAGE,"), "image");
  EXPECT_EQ(normalize_word("(sky)"), "sky");
  EXPECT_EQ(normalize_word("\"quoted\""), "quoted");
  EXPECT_EQ(normalize_word("'quoted'"), "quoted");
  EXPECT_EQ(normalize_word("a<b>c"), "abc");
  EXPECT_EQ(normalize_word("<pad>"), "pad");
}

TEST(vocabulary_test, normalize_word_keeps_inner_apostrophe_and_hyphen) {
  EXPECT_EQ(normalize_word("It's"), "it's");
  EXPECT_EQ(normalize_word("T-Shirt"), "t-shirt");
  EXPECT_EQ(normalize_word("it's."), "it's");
  EXPECT_EQ(normalize_word("x-2"), "x-2");
  EXPECT_EQ(normalize_word("dogs'"), "dogs");
  EXPECT_EQ(normalize_word("-left"), "left");
  EXPECT_EQ(normalize_word("t--shirt"), "tshirt");
  EXPECT_EQ(normalize_word("a.-b"), "ab");  // neighbours judged in the input
  EXPECT_EQ(normalize_word("rock'n'roll"), "rock'n'roll");
}

TEST(vocabulary_test, normalize_word_of_all_punctuation_is_empty) {
  EXPECT_EQ(normalize_word("--"), "");
  EXPECT_EQ(normalize_word("..."), "");
  EXPECT_EQ(normalize_word("'"), "");
  EXPECT_EQ(normalize_word(""), "");
}

TEST(vocabulary_test, normalize_word_keeps_digits) {
  EXPECT_EQ(normalize_word("2"), "2");
  EXPECT_EQ(normalize_word("A4"), "a4");
  EXPECT_EQ(normalize_word("3.5"), "35");
  EXPECT_EQ(normalize_word("1,000"), "1000");
}

TEST(vocabulary_test, normalize_word_lower_cases_ascii_only_and_keeps_utf8_whole) {
  EXPECT_EQ(normalize_word("Café"), "café");
  EXPECT_EQ(normalize_word("CAFÉ"), "cafÉ");
  EXPECT_EQ(normalize_word("Café-Bar."), "café-bar");  // é counts as alphanumeric
  EXPECT_EQ(normalize_word("\xE2\x80\x9CHi\xE2\x80\x9D"), "\xE2\x80\x9Chi\xE2\x80\x9D");
}

TEST(vocabulary_test, normalize_word_drops_whitespace_and_control_characters) {
  EXPECT_EQ(normalize_word("a\tb"), "ab");
  EXPECT_EQ(normalize_word("dog\r\n"), "dog");
  EXPECT_EQ(normalize_word(std::string_view("x\0y", 3)), "xy");
}

// --- is_stop_word ---

TEST(vocabulary_test, stop_words_cover_function_words_and_ln_boilerplate) {
  for (const auto word : {"in", "this", "image", "picture", "we", "can", "see", "there", "is", "a", "the",
                          "of", "it's", "there's", "and", "on", "behind"}) {
    EXPECT_TRUE(is_stop_word(word)) << word;
  }
  for (const auto word :
       {"dog", "person", "left", "right", "background", "front", "two", "red", "sky", "", "In", "image."}) {
    EXPECT_FALSE(is_stop_word(word)) << word;
  }
}

// --- VocabularyBuilder ---

TEST(vocabulary_test, builder_counts_normalized_words_and_ignores_empty_ones) {
  const auto builder = builder_of({"Dog", "dog.", "DOG", "--", "", "cat"});
  EXPECT_EQ(builder.count("dog"), 3u);
  EXPECT_EQ(builder.count("Dog!"), 3u);
  EXPECT_EQ(builder.count("cat"), 1u);
  EXPECT_EQ(builder.count("bird"), 0u);
  EXPECT_EQ(builder.count("--"), 0u);
  EXPECT_EQ(builder.distinct_words(), 2u);
}

TEST(vocabulary_test, build_puts_specials_first_then_count_descending_then_bytes_ascending) {
  const auto builder = builder_of({"zebra", "b", "café", "cafe", "a", "zebra", "b", "zebra", "c", "c"});
  const auto vocab = builder.build(1);
  const std::vector<std::string> expected = {"<pad>", "<unk>", "<cls>", "<mask>", "zebra",
                                             "b",     "c",     "a",     "cafe",   "café"};
  EXPECT_EQ(tokens_of(vocab), expected);
  EXPECT_EQ(vocab.size(), 10u);
  EXPECT_EQ(vocab.id("zebra"), 4u);
  EXPECT_EQ(vocab.id("B"), 5u);
  EXPECT_EQ(vocab.id("café"), 9u);
  EXPECT_EQ(vocab.count(4), 3u);
  EXPECT_EQ(vocab.count(5), 2u);
  EXPECT_EQ(vocab.count(9), 1u);
  for (std::size_t id = 0; id < Vocabulary::kSpecialCount; ++id) EXPECT_EQ(vocab.count(id), 0u);
}

TEST(vocabulary_test, special_ids_are_fixed) {
  const Vocabulary vocab;
  EXPECT_EQ(vocab.size(), 4u);
  EXPECT_EQ(vocab.token(Vocabulary::kPadId), "<pad>");
  EXPECT_EQ(vocab.token(Vocabulary::kUnkId), "<unk>");
  EXPECT_EQ(vocab.token(Vocabulary::kClsId), "<cls>");
  EXPECT_EQ(vocab.token(Vocabulary::kMaskId), "<mask>");
  EXPECT_EQ(Vocabulary::kPadId, 0u);
  EXPECT_EQ(Vocabulary::kUnkId, 1u);
  EXPECT_EQ(Vocabulary::kClsId, 2u);
  EXPECT_EQ(Vocabulary::kMaskId, 3u);
  EXPECT_TRUE(Vocabulary::is_special(3));
  EXPECT_FALSE(Vocabulary::is_special(4));
}

TEST(vocabulary_test, build_is_independent_of_insertion_order) {
  const auto a = builder_of({"x", "y", "z", "y", "w"}).build(1);
  const auto b = builder_of({"w", "y", "z", "x", "y"}).build(1);
  EXPECT_EQ(a, b);
}

TEST(vocabulary_test, min_count_drops_rare_words) {
  const auto builder = builder_of({"a", "a", "a", "b", "b", "c"});
  EXPECT_EQ(tokens_of(builder.build(2)),
            (std::vector<std::string>{"<pad>", "<unk>", "<cls>", "<mask>", "a", "b"}));
  EXPECT_EQ(builder.build(3).size(), 5u);
  EXPECT_EQ(builder.build(4).size(), 4u);
  EXPECT_EQ(builder.build(0), builder.build(1));
}

TEST(vocabulary_test, max_size_caps_the_total_including_specials) {
  const auto builder = builder_of({"a", "a", "a", "c", "c", "b", "b", "d"});
  EXPECT_EQ(tokens_of(builder.build(1, 6)),
            (std::vector<std::string>{"<pad>", "<unk>", "<cls>", "<mask>", "a", "b"}));
  EXPECT_EQ(builder.build(1, 4).size(), 4u);
  EXPECT_EQ(builder.build(1, 100).size(), 8u);
  EXPECT_EQ(builder.build(1, 0).size(), 8u);
  EXPECT_EQ(builder.build(2, 7).size(), 7u);  // min_count cuts "d" first
}

TEST(vocabulary_test, max_size_below_the_specials_is_an_error) {
  const auto builder = builder_of({"a"});
  try {
    builder.build(1, 3);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "vocabulary max_size 3 is smaller than the 4 special tokens");
  }
}

TEST(vocabulary_test, merge_adds_counts) {
  auto a = builder_of({"dog", "cat"});
  a.merge(builder_of({"dog", "bird"}));
  EXPECT_EQ(a.count("dog"), 2u);
  EXPECT_EQ(a.count("cat"), 1u);
  EXPECT_EQ(a.count("bird"), 1u);
  EXPECT_EQ(a.build(1), builder_of({"dog", "cat", "dog", "bird"}).build(1));
}

TEST(vocabulary_test, merge_of_a_built_vocabulary_sums_its_word_counts_only) {
  auto a = builder_of({"dog", "cat"});
  a.merge(builder_of({"dog", "dog", "bird"}).build(1));
  EXPECT_EQ(a.count("dog"), 3u);
  EXPECT_EQ(a.count("cat"), 1u);
  EXPECT_EQ(a.count("bird"), 1u);
  EXPECT_EQ(a.count("pad"), 0u);  // special tokens are not words
  EXPECT_EQ(a.distinct_words(), 3u);
}

// --- Vocabulary lookups ---

TEST(vocabulary_test, id_normalizes_and_maps_unknown_and_empty_to_unk) {
  const auto vocab = builder_of({"dog", "pad"}).build(1);
  EXPECT_EQ(vocab.id("Dog,"), vocab.id("dog"));
  EXPECT_NE(vocab.id("dog"), Vocabulary::kUnkId);
  EXPECT_EQ(vocab.id("unicorn"), Vocabulary::kUnkId);
  EXPECT_EQ(vocab.id(""), Vocabulary::kUnkId);
  EXPECT_EQ(vocab.id("..."), Vocabulary::kUnkId);
  EXPECT_EQ(vocab.id("<unk>"), Vocabulary::kUnkId);
  EXPECT_EQ(vocab.id("<pad>"), vocab.id("pad"));  // spelling never reaches a special
  EXPECT_NE(vocab.id("<pad>"), Vocabulary::kPadId);
}

TEST(vocabulary_test, token_and_count_out_of_range_name_the_id) {
  const auto vocab = builder_of({"dog"}).build(1);
  try {
    vocab.token(5);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "vocabulary id 5 is out of range (size 5)");
  }
  try {
    vocab.count(17);
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "vocabulary id 17 is out of range (size 5)");
  }
}

TEST(vocabulary_test, most_frequent_content_ids_skip_stop_words_and_specials) {
  VocabularyBuilder builder;
  for (const auto* sentence :
       {"In this image we can see a dog on the grass.", "In this picture we can see a dog and a cat.",
        "There is a red car in the image."}) {
    std::istringstream words(sentence);
    for (std::string word; words >> word;) builder.add(word);
  }
  const auto vocab = builder.build(1);
  const auto ids = vocab.most_frequent_content_ids(3);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(vocab.token(ids[0]), "dog");  // 2
  EXPECT_EQ(vocab.token(ids[1]), "car");  // 1, then byte order
  EXPECT_EQ(vocab.token(ids[2]), "cat");
  EXPECT_EQ(vocab.most_frequent_content_ids(100).size(), 5u);  // dog car cat grass red
  EXPECT_TRUE(vocab.most_frequent_content_ids(0).empty());
  EXPECT_TRUE(Vocabulary().most_frequent_content_ids(3).empty());
}

// --- save and load ---

TEST(vocabulary_file_test, save_writes_token_tab_count_lines_in_id_order) {
  TempDir dir;
  const auto vocab = builder_of({"dog", "Dog", "it's", "café"}).build(1);
  const auto path = dir / "vocab.txt";
  vocab.save(path);
  EXPECT_EQ(read_text(path), std::string(kSpecialLines) + "dog\t2\ncafé\t1\nit's\t1\n");
}

TEST(vocabulary_file_test, save_then_load_gives_the_same_vocabulary) {
  TempDir dir;
  VocabularyBuilder builder;
  for (const auto word : {"sky", "sky", "tree", "T-Shirt", "it's", "café", "2", "tree", "sky"}) {
    builder.add(word);
  }
  const auto vocab = builder.build(1);
  const auto path = dir / "sub" / "vocab.txt";
  vocab.save(path);
  const auto loaded = Vocabulary::load(path);
  EXPECT_EQ(loaded, vocab);
  ASSERT_EQ(loaded.size(), vocab.size());
  for (std::size_t id = 0; id < vocab.size(); ++id) {
    EXPECT_EQ(loaded.token(id), vocab.token(id));
    EXPECT_EQ(loaded.count(id), vocab.count(id));
    EXPECT_EQ(loaded.id(vocab.token(id)), Vocabulary::is_special(id) ? Vocabulary::kUnkId : id);
  }
}

TEST(vocabulary_file_test, load_accepts_crlf_and_a_missing_final_newline) {
  TempDir dir;
  const auto path =
      write(dir, "crlf.txt", "<pad>\t0\r\n<unk>\t0\r\n<cls>\t0\r\n<mask>\t0\r\ndog\t7\r\ncat\t3");
  const auto vocab = Vocabulary::load(path);
  EXPECT_EQ(tokens_of(vocab), (std::vector<std::string>{"<pad>", "<unk>", "<cls>", "<mask>", "dog", "cat"}));
  EXPECT_EQ(vocab.count(4), 7u);
  EXPECT_EQ(vocab.count(5), 3u);
}

TEST(vocabulary_file_test, load_of_a_missing_file_names_it) {
  TempDir dir;
  const auto path = dir / "absent.txt";
  EXPECT_EQ(load_error(path), path.string() + ": cannot open vocabulary file");
}

TEST(vocabulary_file_test, load_rejects_a_wrong_special_token) {
  TempDir dir;
  const auto path = write(dir, "v.txt", "<pad>\t0\n<unk>\t0\nunk\t0\n<mask>\t0\n");
  EXPECT_EQ(load_error(path), path.string() + ":3: expected special token '<cls>', found 'unk'");
  const auto swapped = write(dir, "w.txt", "<unk>\t0\n<pad>\t0\n<cls>\t0\n<mask>\t0\n");
  EXPECT_EQ(load_error(swapped), swapped.string() + ":1: expected special token '<pad>', found '<unk>'");
}

TEST(vocabulary_file_test, load_rejects_a_file_that_ends_inside_the_specials) {
  TempDir dir;
  const auto path = write(dir, "v.txt", "<pad>\t0\n<unk>\t0\n");
  EXPECT_EQ(load_error(path), path.string() + ":3: expected special token '<cls>', found end of file");
  const auto empty = write(dir, "empty.txt", "");
  EXPECT_EQ(load_error(empty), empty.string() + ":1: expected special token '<pad>', found end of file");
}

TEST(vocabulary_file_test, load_rejects_a_line_without_a_tab) {
  TempDir dir;
  const auto path = write(dir, "v.txt", std::string(kSpecialLines) + "dog\t2\ncat 1\n");
  EXPECT_EQ(load_error(path), path.string() + ":6: expected TOKEN<TAB>COUNT, found no tab");
  const auto blank = write(dir, "blank.txt", std::string(kSpecialLines) + "dog\t2\n\ncat\t1\n");
  EXPECT_EQ(load_error(blank), blank.string() + ":6: expected TOKEN<TAB>COUNT, found no tab");
}

TEST(vocabulary_file_test, load_rejects_a_count_that_is_not_a_non_negative_integer) {
  TempDir dir;
  for (const std::string count : {"x", "", "-1", "+1", "1.5", " 1", "1 ", "1\t"}) {
    const auto path = write(dir, "v.txt", std::string(kSpecialLines) + "dog\t" + count + "\n");
    EXPECT_EQ(load_error(path), path.string() + ":5: count '" + count + "' is not a non-negative integer");
  }
  const auto huge = write(dir, "huge.txt", std::string(kSpecialLines) + "dog\t99999999999999999999999\n");
  EXPECT_EQ(load_error(huge), huge.string() + ":5: count '99999999999999999999999' is too large");
  const auto special = write(dir, "special.txt", "<pad>\tzero\n<unk>\t0\n<cls>\t0\n<mask>\t0\n");
  EXPECT_EQ(load_error(special), special.string() + ":1: count 'zero' is not a non-negative integer");
}

TEST(vocabulary_file_test, load_rejects_a_duplicate_token_naming_both_lines) {
  TempDir dir;
  const auto path = write(dir, "v.txt", std::string(kSpecialLines) + "dog\t3\ncat\t2\ndog\t1\n");
  EXPECT_EQ(load_error(path), path.string() + ":7: duplicate token 'dog', first on line 5");
}

TEST(vocabulary_file_test, load_rejects_an_empty_token) {
  TempDir dir;
  const auto path = write(dir, "v.txt", std::string(kSpecialLines) + "dog\t3\n\t2\n");
  EXPECT_EQ(load_error(path), path.string() + ":6: empty token");
}

TEST(vocabulary_file_test, load_rejects_a_token_that_is_not_normalized) {
  TempDir dir;
  const auto path = write(dir, "v.txt", std::string(kSpecialLines) + "Dog\t3\n");
  EXPECT_EQ(load_error(path),
            path.string() + ":5: token 'Dog' is not normalized (normalize_word gives 'dog')");
  const auto special = write(dir, "special.txt", std::string(kSpecialLines) + "<pad>\t0\n");
  EXPECT_EQ(load_error(special),
            special.string() + ":5: token '<pad>' is not normalized (normalize_word gives 'pad')");
}

}  // namespace
}  // namespace loctex::core
