// LineError and file_line: the "FILE:LINE: MESSAGE" form of every error about
// a line of input (LN JSONL records, vocabulary entries, objects.jsonl).
#include "core/line_error.h"

#include <gtest/gtest.h>

#include "core/ln_jsonl.h"

namespace {

using loctex::core::LineError;

TEST(line_error_test, what_reads_file_line_message_and_the_parts_stay_apart) {
  const LineError e("data/a.jsonl", 7, "field 'caption': expected a string");
  EXPECT_STREQ(e.what(), "data/a.jsonl:7: field 'caption': expected a string");
  EXPECT_EQ(e.file(), "data/a.jsonl");
  EXPECT_EQ(e.line(), 7u);
  EXPECT_EQ(e.message(), "field 'caption': expected a string");
  EXPECT_EQ(loctex::core::file_line("vocab.txt", 12), "vocab.txt:12");
}

TEST(line_error_test, an_ln_error_is_a_line_error_and_a_runtime_error) {
  try {
    throw loctex::core::LnError("b.jsonl", 3, "bad");
  } catch (const std::runtime_error& e) {
    const auto* line = dynamic_cast<const LineError*>(&e);
    ASSERT_NE(line, nullptr);
    EXPECT_EQ(line->line(), 3u);
    EXPECT_STREQ(e.what(), "b.jsonl:3: bad");
  }
}

}  // namespace
