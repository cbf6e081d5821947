// ProgressLine as a log sees it (not a terminal): one line per tenth of the
// total, the count and share done, the caller's detail, and a final line.
#include "core/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using loctex::core::ProgressLine;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::vector<std::string> lines_of(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::vector<std::string> lines;
  std::string line;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(c);
    }
  }
  EXPECT_TRUE(line.empty()) << "unterminated line: " << line;
  return lines;
}

TEST(progress_test, a_log_gets_one_line_per_tenth_and_a_final_line) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_TRUE(file);
  {
    ProgressLine line("train", 20, true, file.get());
    for (std::size_t i = 1; i <= 20; ++i) line.update(i);
  }
  const auto lines = lines_of(file.get());
  // Deciles 0 (step 1) to 9 (step 18), then the final line at step 20.
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_EQ(lines[0].rfind("train 1/20 (5%) ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[5].rfind("train 10/20 (50%) ", 0), 0u) << lines[5];
  EXPECT_EQ(lines[10].rfind("train 20/20 (100%) ", 0), 0u) << lines[10];
  EXPECT_NE(lines[5].find(" ETA "), std::string::npos) << lines[5];
  EXPECT_EQ(lines[10].find(" ETA "), std::string::npos) << lines[10];
  EXPECT_NE(lines[10].find(" in "), std::string::npos) << lines[10];
}

TEST(progress_test, the_detail_ends_the_line_and_the_latest_one_is_shown) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_TRUE(file);
  {
    ProgressLine line("train", 4, true, file.get());
    line.update(2, "loss 2.50");
    line.update(4, "loss 1.25, 300 samples/s");
  }
  const auto lines = lines_of(file.get());
  ASSERT_EQ(lines.size(), 2u);  // decile 5, then the final line
  EXPECT_TRUE(lines[0].ends_with(", loss 2.50")) << lines[0];
  EXPECT_TRUE(lines[1].ends_with(", loss 1.25, 300 samples/s")) << lines[1];
  EXPECT_NE(lines[1].find(" in "), std::string::npos) << lines[1];
}

TEST(progress_test, a_resumed_line_starts_at_the_work_already_done) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_TRUE(file);
  {
    ProgressLine line("train", 10, true, file.get());
    line.resume_from(8);
  }
  // Nothing was done here; the final line still shows where the work stands.
  const auto lines = lines_of(file.get());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("train 8/10 (80%) 0/s in ", 0), 0u) << lines[0];
}

TEST(progress_test, a_disabled_line_writes_nothing) {
  std::unique_ptr<std::FILE, FileCloser> file(std::tmpfile());
  ASSERT_TRUE(file);
  {
    ProgressLine line("train", 10, false, file.get());
    for (std::size_t i = 1; i <= 10; ++i) line.update(i, "detail");
  }
  EXPECT_TRUE(lines_of(file.get()).empty());
}

}  // namespace
