// Type and point's word times: a word from its first keystroke to the one
// that ends it, corrections by Backspace, UTF-8 kept whole.
#include "core/typed_caption.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using loctex::core::TimedUtterance;
using loctex::core::TypedCaption;
using loctex::testing::error_of;

void type_text(TypedCaption& caption, const std::string& text, double t0, double step) {
  for (std::size_t i = 0; i < text.size(); ++i)
    caption.type(text.substr(i, 1), t0 + step * static_cast<double>(i));
}

TEST(typed_caption_test, a_word_spans_from_its_first_keystroke_to_the_one_that_ends_it) {
  TypedCaption caption;
  type_text(caption, "a red ball", 1.0, 0.1);  // keystroke i at 1.0 + 0.1 i
  EXPECT_EQ(caption.caption(), "a red ball");
  const auto words = caption.words();
  ASSERT_EQ(words.size(), 3u);
  EXPECT_EQ(words[0].utterance, "a");
  EXPECT_DOUBLE_EQ(words[0].start_time, 1.0);
  EXPECT_DOUBLE_EQ(words[0].end_time, 1.1);  // the space after it
  EXPECT_DOUBLE_EQ(words[1].start_time, 1.2);
  EXPECT_DOUBLE_EQ(words[1].end_time, 1.5);
  EXPECT_EQ(words[2].utterance, "ball");
  EXPECT_DOUBLE_EQ(words[2].start_time, 1.6);
  EXPECT_DOUBLE_EQ(words[2].end_time, 1.9);  // last: its own last keystroke
}

TEST(typed_caption_test, backspace_takes_back_a_character_and_its_time) {
  TypedCaption caption;
  caption.type("t", 0.0);
  caption.type("h", 0.1);
  caption.type("w", 0.2);
  EXPECT_TRUE(caption.backspace());
  caption.type("e", 0.5);
  caption.type(" ", 0.6);
  EXPECT_EQ(caption.words(), (std::vector<TimedUtterance>{{"the", 0.0, 0.6}}));
  // Deleting a whole word and retyping it times it anew.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(caption.backspace());
  EXPECT_FALSE(caption.backspace());
  EXPECT_TRUE(caption.empty());
  caption.type("a", 2.0);
  EXPECT_EQ(caption.words(), (std::vector<TimedUtterance>{{"a", 2.0, 2.0}}));
}

TEST(typed_caption_test, runs_of_white_space_and_edges_are_not_words) {
  TypedCaption caption;
  caption.type(" ", 0.0);
  caption.type("x", 0.1);
  caption.type(" ", 0.2);
  caption.type(" ", 0.3);
  caption.type("\n", 0.4);
  caption.type("y", 0.5);
  caption.type(" ", 0.6);
  EXPECT_EQ(caption.caption(), "x  \ny");
  EXPECT_EQ(caption.words(), (std::vector<TimedUtterance>{{"x", 0.1, 0.2}, {"y", 0.5, 0.6}}));
}

TEST(typed_caption_test, a_multi_byte_character_is_one_keystroke_and_one_backspace) {
  TypedCaption caption;
  caption.type("c", 0.0);
  caption.type("a", 0.1);
  caption.type("f", 0.2);
  caption.type("\xC3\xA9", 0.3);          // é
  caption.type("\xF0\x9F\x8D\xB0", 0.4);  // 🍰
  EXPECT_TRUE(caption.backspace());
  EXPECT_EQ(caption.caption(), "caf\xC3\xA9");
  EXPECT_EQ(caption.words(), (std::vector<TimedUtterance>{{"caf\xC3\xA9", 0.0, 0.3}}));
}

TEST(typed_caption_test, keystrokes_run_forward_in_time) {
  TypedCaption caption;
  caption.type("a", 1.0);
  EXPECT_NE(error_of<std::invalid_argument>([&] { caption.type("b", 0.5); }).find("comes before"),
            std::string::npos);
  EXPECT_THROW(caption.type("b", std::nan("")), std::invalid_argument);
  EXPECT_EQ(caption.caption(), "a");
}

TEST(typed_caption_test, a_caption_rebuilt_from_its_words_gives_them_back_and_goes_on) {
  const std::vector<TimedUtterance> words = {{"a", 0.1, 0.2}, {"blue", 0.3, 0.9}, {"cube", 1.0, 1.4}};
  TypedCaption caption = TypedCaption::from_words(words);
  EXPECT_EQ(caption.words(), words);
  EXPECT_EQ(caption.caption(), "a blue cube");
  caption.type(" ", 2.0);
  caption.type("!", 2.1);
  const auto more = caption.words();
  ASSERT_EQ(more.size(), 4u);
  EXPECT_EQ(more[2], (TimedUtterance{"cube", 1.0, 2.0}));  // now ended by the new space
  EXPECT_EQ(more[3], (TimedUtterance{"!", 2.1, 2.1}));
  EXPECT_THROW(caption.type("x", 1.5), std::invalid_argument);
  EXPECT_TRUE(TypedCaption::from_words({}).empty());
}

}  // namespace
