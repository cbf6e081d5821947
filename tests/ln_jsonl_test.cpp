#include "core/ln_jsonl.h"
#include "core/ln_fast_parse.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "test_support.h"

namespace {

using loctex::core::LnError;
using loctex::core::LnReader;
using loctex::core::Narrative;
using loctex::core::ReadMode;
using loctex::testing::TempDir;

// Written as Google's published files are (Python json.dumps, default options).
constexpr const char* kGoogleRecord =
    R"({"dataset_id": "mscoco_val2017", "image_id": "137576", "annotator_id": 93, )"
    R"("caption": "In this image there are group of cows.", )"
    R"("timed_caption": [{"utterance": "In this", "start_time": 0.0, "end_time": 0.4}, )"
    R"({"utterance": "image", "start_time": 0.4, "end_time": 0.4}], )"
    R"("traces": [[{"x": 0.2086, "y": -0.0533, "t": 0.022}, {"x": 1.0712, "y": 0.5, "t": 0.01}], [], )"
    R"([{"x": 0.5, "y": 0.5, "t": 0.9}]], )"
    R"("voice_recording": "coco_val/coco_val_137576_93.ogg"})";

Narrative sample_narrative() { return loctex::core::parse_narrative(kGoogleRecord); }

std::string expect_parse_error(const std::string& line) {
  try {
    loctex::core::parse_narrative(line);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << line;
  return {};
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ln_jsonl_test, reads_every_field_of_a_google_record) {
  const Narrative n = sample_narrative();
  EXPECT_EQ(n.dataset_id, "mscoco_val2017");
  EXPECT_EQ(n.image_id, "137576");
  EXPECT_EQ(n.annotator_id, 93);
  EXPECT_EQ(n.caption, "In this image there are group of cows.");
  ASSERT_EQ(n.timed_caption.size(), 2u);
  EXPECT_EQ(n.timed_caption[0].utterance, "In this");
  EXPECT_EQ(n.timed_caption[0].end_time, 0.4);
  EXPECT_EQ(n.timed_caption[1].start_time, n.timed_caption[1].end_time);  // zero-length utterance
  ASSERT_EQ(n.traces.size(), 3u);
  EXPECT_EQ(n.traces[0][0].y, -0.0533);  // outside [0, 1]: the band around the image
  EXPECT_EQ(n.traces[0][1].x, 1.0712);
  EXPECT_LT(n.traces[0][1].t, n.traces[0][0].t);  // out of time order, as real data has
  EXPECT_TRUE(n.traces[1].empty());               // empty segment
  EXPECT_EQ(n.voice_recording, "coco_val/coco_val_137576_93.ogg");
  EXPECT_TRUE(n.extra.empty());
}

TEST(ln_jsonl_test, writes_a_google_record_back_byte_for_byte) {
  EXPECT_EQ(loctex::core::format_narrative(sample_narrative()), kGoogleRecord);
}

TEST(ln_jsonl_test, keeps_unknown_fields_in_their_order) {
  const std::string line =
      replace(kGoogleRecord, R"("voice_recording")",
              R"("zeta": [1, 2.5, {"b": null, "a": true}], "alpha": "x", "voice_recording")");
  const Narrative n = loctex::core::parse_narrative(line);
  ASSERT_EQ(n.extra.size(), 2u);
  EXPECT_EQ(n.extra.begin().key(), "zeta");
  EXPECT_EQ(n.extra["alpha"], "x");
  // Known fields come first in Google's order, unknown ones after, as read.
  const std::string written = loctex::core::format_narrative(n);
  EXPECT_NE(written.find(R"("voice_recording": "coco_val/coco_val_137576_93.ogg", "zeta": )"
                         R"([1, 2.5, {"b": null, "a": true}], "alpha": "x"})"),
            std::string::npos)
      << written;
  EXPECT_EQ(loctex::core::parse_narrative(written), n);
}

TEST(ln_jsonl_test, writes_floats_as_python_repr) {
  Narrative n = sample_narrative();
  const std::vector<std::pair<double, std::string>> cases = {{0.0, "0.0"},
                                                             {-0.0, "-0.0"},
                                                             {1.0, "1.0"},
                                                             {0.1, "0.1"},
                                                             {1e-05, "1e-05"},
                                                             {0.0001, "0.0001"},
                                                             {-2.5e-07, "-2.5e-07"},
                                                             {1e16, "1e+16"},
                                                             {1e15, "1000000000000000.0"},
                                                             {123.25, "123.25"},
                                                             {1e100, "1e+100"},
                                                             {5e-324, "5e-324"},
                                                             {0.30000000000000004, "0.30000000000000004"}};
  for (const auto& [value, text] : cases) {
    n.traces = {{{value, 0.5, 1.0}}};
    const std::string line = loctex::core::format_narrative(n);
    EXPECT_NE(line.find(R"({"x": )" + text + ", "), std::string::npos) << value << " -> " << line;
  }
}

TEST(ln_jsonl_test, every_written_float_parses_back_to_the_same_double) {
  std::mt19937_64 bits(7);
  Narrative n = sample_narrative();
  n.traces.assign(1, {});
  for (int i = 0; i < 3000; ++i) {
    double a = std::bit_cast<double>(bits());
    if (!std::isfinite(a)) a = 0.5;
    const double b = std::ldexp(static_cast<double>(bits() >> 11), -53) * 1.2 - 0.1;  // typical trace values
    n.traces[0].push_back({a, b, static_cast<double>(i) / 60.0});
  }
  const Narrative back = loctex::core::parse_narrative(loctex::core::format_narrative(n));
  ASSERT_EQ(back.traces[0].size(), n.traces[0].size());
  for (std::size_t i = 0; i < n.traces[0].size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint64_t>(back.traces[0][i].x),
              std::bit_cast<std::uint64_t>(n.traces[0][i].x));
    ASSERT_EQ(back.traces[0][i].y, n.traces[0][i].y);
    ASSERT_EQ(back.traces[0][i].t, n.traces[0][i].t);
  }
}

TEST(ln_jsonl_test, escapes_non_ascii_like_python) {
  Narrative n = sample_narrative();
  n.caption = "caf\xC3\xA9 \xE2\x98\x95 \xF0\x9F\x98\x80 \"q\" \\ \n\x7F";
  const std::string line = loctex::core::format_narrative(n);
  EXPECT_NE(line.find(R"("caption": "caf\u00e9 \u2615 \ud83d\ude00 \"q\" \\ \n\u007f")"), std::string::npos)
      << line;
  EXPECT_EQ(loctex::core::parse_narrative(line).caption, n.caption);
}

TEST(ln_jsonl_test, python_reads_the_output_and_dumps_the_same_bytes) {
  TempDir dir;
  Narrative a = sample_narrative();
  a.caption = "caf\xC3\xA9 \"x\"";
  a.extra["score"] = 1e-07;
  Narrative b = a;
  b.traces = {{{1e16, 0.1, 0.30000000000000004}, {-0.0, 123.0, 5e-324}}};
  loctex::core::write_ln_file(dir / "out.jsonl", {a, b});
  // Python's json module is the reference reader of these files.
  const std::string script =
      "import json,sys\n"
      "lines=open(sys.argv[1],encoding='utf-8').read().split('\\n')\n"
      "assert lines[-1]==''\n"
      "out=open(sys.argv[2],'w')\n"
      "[out.write(json.dumps(json.loads(l))+'\\n') for l in lines[:-1]]\n";
  loctex::testing::write_text(dir / "redump.py", script);
  const std::string command = "/usr/bin/python3 " + (dir / "redump.py").string() + " " +
                              (dir / "out.jsonl").string() + " " + (dir / "python.jsonl").string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(loctex::testing::read_text(dir / "python.jsonl"), loctex::testing::read_text(dir / "out.jsonl"));
}

struct BadLine {
  std::string name;
  std::string from;
  std::string to;
  std::string message;
};

// Keeps test listings (and ctest's names) short: the case name, not a byte dump.
void PrintTo(const BadLine& bad, std::ostream* os) { *os << bad.name; }

class ln_jsonl_bad_input_test : public ::testing::TestWithParam<BadLine> {};

TEST_P(ln_jsonl_bad_input_test, names_what_is_wrong) {
  const BadLine& bad = GetParam();
  const std::string line = replace(kGoogleRecord, bad.from, bad.to);
  EXPECT_EQ(expect_parse_error(line), bad.message);
  // The fast path must leave every bad record to the slow one, which names the problem.
  EXPECT_FALSE(loctex::core::parse_narrative_fast(line).has_value());
}

INSTANTIATE_TEST_SUITE_P(
    cases, ln_jsonl_bad_input_test,
    ::testing::Values(
        BadLine{"missing_field", R"("caption": "In this image there are group of cows.", )", "",
                "missing field 'caption'"},
        BadLine{"image_id_not_string", R"("image_id": "137576")", R"("image_id": 137576)",
                "field 'image_id': expected a string, got number"},
        BadLine{"annotator_id_fractional", R"("annotator_id": 93)", R"("annotator_id": 93.5)",
                "field 'annotator_id': expected an integer, got a fractional number"},
        BadLine{"annotator_id_string", R"("annotator_id": 93)", R"("annotator_id": "93")",
                "field 'annotator_id': expected an integer, got string"},
        BadLine{"end_before_start", R"("start_time": 0.4, "end_time": 0.4})",
                R"("start_time": 0.5, "end_time": 0.4})",
                "field 'timed_caption[1].end_time': end_time 0.4 is before start_time 0.5"},
        BadLine{"missing_utterance", R"("utterance": "image", )", "",
                "missing field 'timed_caption[1].utterance'"},
        BadLine{"time_not_number", R"("start_time": 0.0)", R"("start_time": "0")",
                "field 'timed_caption[0].start_time': expected a number, got string"},
        BadLine{"point_missing_t", R"({"x": 0.5, "y": 0.5, "t": 0.9})", R"({"x": 0.5, "y": 0.5})",
                "missing field 'traces[2][0].t'"},
        BadLine{"point_null", R"("y": -0.0533)", R"("y": null)",
                "field 'traces[0][0].y': expected a number, got null"},
        BadLine{"segment_not_array", R"([], )", R"({}, )",
                "field 'traces[1]': expected an array, got object"},
        BadLine{"traces_not_array", R"("traces": [[)", R"("traces": "none", "x": [[)",
                "field 'traces': expected an array, got string"},
        BadLine{"nan", R"("x": 0.2086)", R"("x": NaN)", "non-finite number NaN at column 288"},
        BadLine{"infinity", R"("x": 0.2086)", R"("x": -Infinity)",
                "non-finite number -Infinity at column 288"},
        BadLine{"overflow", R"("x": 0.2086)", R"("x": 1e999)",
                "non-finite number: number overflow parsing '1e999'"},
        BadLine{"truncated", R"(, "voice_recording": "coco_val/coco_val_137576_93.ogg"})", ", ",
                "bad JSON: column 399: syntax error while parsing object key - unexpected end "
                "of input; expected string literal"},
        BadLine{"not_an_object", kGoogleRecord, "[1, 2]", "expected a JSON object, got array"},
        BadLine{"caption_not_string", R"("caption": "In this image there are group of cows.")",
                R"("caption": ["x"])", "field 'caption': expected a string, got array"},
        BadLine{"voice_recording_null", R"("voice_recording": "coco_val/coco_val_137576_93.ogg")",
                R"("voice_recording": null)", "field 'voice_recording': expected a string, got null"},
        BadLine{"annotator_id_too_large", R"("annotator_id": 93)", R"("annotator_id": 9223372036854775808)",
                "field 'annotator_id': integer out of range"},
        BadLine{"timed_caption_not_array", R"("timed_caption": [{)", R"("timed_caption": "none", "z": [{)",
                "field 'timed_caption': expected an array, got string"},
        BadLine{"utterance_not_object", R"({"utterance": "In this", "start_time": 0.0, "end_time": 0.4}, )",
                R"(7, )", "field 'timed_caption[0]': expected an object, got number"},
        BadLine{"point_not_object", R"({"x": 0.5, "y": 0.5, "t": 0.9})", R"([0.5, 0.5, 0.9])",
                "field 'traces[2][0]': expected an object, got array"},
        BadLine{"boolean_time", R"("start_time": 0.0)", R"("start_time": true)",
                "field 'timed_caption[0].start_time': expected a number, got boolean"},
        BadLine{"overflow_in_caption_time", R"("end_time": 0.4}, )", R"("end_time": 1e400}, )",
                "non-finite number: number overflow parsing '1e400'"},
        BadLine{"invalid_utf8", R"(group of cows.)", "group of c\xFFws.",
                "bad JSON: column 122: syntax error while parsing value - invalid string: ill-formed UTF-8 "
                "byte; last "
                "read: '\"In this image there are group of c\xFF'"}),
    [](const ::testing::TestParamInfo<BadLine>& param_info) { return param_info.param.name; });

// What nlohmann's DOM reads from `line`: the reference for the fast path.
Narrative slow_parse(const std::string& line) {
  return loctex::core::narrative_from_json(nlohmann::ordered_json::parse(line));
}

TEST(ln_jsonl_test, fast_path_reads_valid_records_as_the_slow_path_does) {
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"", ""},
      {R"("caption": "In this)", R"("caption": "\"Quoted\" caf\u00e9 \ud83d\ude00 tab\t In this)"},
      {R"("start_time": 0.0)", R"("start_time": 0)"},
      {R"("x": 0.2086)", R"("x": -0.0)"},
      {R"("x": 0.2086)", R"("x": 2.086e-1)"},
      {R"("y": -0.0533)", R"("y": -5.33E-2)"},
      {R"("t": 0.022)", R"("t": 0.10000000000000001)"},
      {R"("annotator_id": 93)", R"("annotator_id": -9223372036854775808)"},
      {R"("voice_recording": "coco_val/coco_val_137576_93.ogg")", R"("voice_recording": "")"},
      {R"({"dataset_id": "mscoco_val2017", "image_id": "137576", )",
       R"(  {"image_id": "137576", "dataset_id": "mscoco_val2017", )"},
      {R"("traces": [[)", R"("traces": [[], [)"},
      {R"({"utterance": "In this", "start_time": 0.0, "end_time": 0.4})",
       R"({"end_time": 0.4, "utterance": "In this", "start_time": 0.0})"},
  };
  for (const auto& [from, to] : variants) {
    const std::string line = from.empty() ? std::string(kGoogleRecord) : replace(kGoogleRecord, from, to);
    const auto fast = loctex::core::parse_narrative_fast(line + " \r\n");
    ASSERT_TRUE(fast.has_value()) << line;
    EXPECT_EQ(*fast, slow_parse(line)) << line;
  }
}

TEST(ln_jsonl_test, fast_path_gives_the_same_doubles_as_the_slow_path) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int i = 0; i < 2000; ++i) {
    const double value = std::bit_cast<double>(bits(random));
    if (!std::isfinite(value)) continue;
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    const std::string line = replace(kGoogleRecord, R"("x": 0.5)", std::string("\"x\": ") + text);
    const auto fast = loctex::core::parse_narrative_fast(line);
    ASSERT_TRUE(fast.has_value()) << text;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(fast->traces[2][0].x),
              std::bit_cast<std::uint64_t>(slow_parse(line).traces[2][0].x))
        << text;
  }
}

TEST(ln_jsonl_test, records_the_fast_path_declines_are_read_by_the_slow_path) {
  // Unknown fields (kept in `extra` at the top level, dropped inside a point),
  // repeated keys and integers past 64 bits (simdjson's BIGINT_ERROR) are rare
  // enough to leave to nlohmann.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("annotator_id": 93, )", R"("annotator_id": 93, "reviewed": true, )"},
           {R"({"x": 0.5, "y": 0.5, "t": 0.9})", R"({"x": 0.5, "y": 0.5, "t": 0.9, "pressure": 1})"},
           {R"("image_id": "137576", )", R"("image_id": "137576", "image_id": "2", )"},
           {R"("x": 0.2086)", R"("x": 123456789012345678901234567890)"},
       }) {
    const std::string line = replace(kGoogleRecord, from, to);
    EXPECT_FALSE(loctex::core::parse_narrative_fast(line).has_value()) << line;
    EXPECT_EQ(loctex::core::parse_narrative(line), slow_parse(line)) << line;
  }
  EXPECT_EQ(loctex::core::parse_narrative(replace(kGoogleRecord, R"("annotator_id": 93, )",
                                                  R"("annotator_id": 93, "reviewed": true, )"))
                .extra.dump(),
            R"({"reviewed":true})");
}

TEST(ln_jsonl_test, fast_path_declines_what_json_forbids) {
  for (const std::string& line : {
           replace(kGoogleRecord, "group of cows.",
                   "group of\x01"
                   "cows."),                                        // unescaped control character
           replace(kGoogleRecord, R"("x": 0.2086)", R"("x": 01)"),  // leading zero
           replace(kGoogleRecord, R"("x": 0.2086)", R"("x": .5)"),
           replace(kGoogleRecord, R"(, "voice_recording")", R"(,, "voice_recording")"),
           std::string(kGoogleRecord) + " {}",
           std::string(kGoogleRecord) + " x",
       }) {
    EXPECT_FALSE(loctex::core::parse_narrative_fast(line).has_value()) << line;
    EXPECT_THROW(slow_parse(line), nlohmann::ordered_json::parse_error) << line;
  }
}

TEST(ln_jsonl_test, truncated_line_error_gives_the_column) {
  const std::string message = expect_parse_error(R"({"dataset_id": "a", )");
  EXPECT_EQ(message.rfind("bad JSON: column 21: ", 0), 0u) << message;
}

TEST(ln_jsonl_test, strict_reader_stops_at_the_first_bad_line_naming_file_and_line) {
  std::istringstream in(std::string(kGoogleRecord) + "\n\n" + R"({"dataset_id": 1})" + "\n" + kGoogleRecord +
                        "\n");
  LnReader reader(in, "narratives.jsonl", ReadMode::strict);
  ASSERT_TRUE(reader.next().has_value());
  EXPECT_EQ(reader.line(), 1u);
  try {
    reader.next();
    FAIL() << "strict mode must throw";
  } catch (const LnError& e) {
    EXPECT_EQ(e.file(), "narratives.jsonl");
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(std::string(e.what()), "narratives.jsonl:3: field 'dataset_id': expected a string, got number");
  }
}

TEST(ln_jsonl_test, lenient_reader_reports_bad_lines_and_goes_on) {
  const std::string bad_time = replace(kGoogleRecord, R"("end_time": 0.4}, )", R"("end_time": -1.0}, )");
  std::istringstream in(std::string(kGoogleRecord) + "\r\n" + "{oops\n" + bad_time + "\n   \n" +
                        kGoogleRecord);
  LnReader reader(in, "x.jsonl", ReadMode::lenient);
  std::vector<std::size_t> lines;
  while (reader.next()) lines.push_back(reader.line());
  EXPECT_EQ(lines, (std::vector<std::size_t>{1, 5}));
  ASSERT_EQ(reader.error_count(), 2u);
  EXPECT_EQ(reader.errors()[0].line(), 2u);
  EXPECT_EQ(reader.errors()[0].message().rfind("bad JSON: ", 0), 0u);
  EXPECT_EQ(std::string(reader.errors()[1].what()),
            "x.jsonl:3: field 'timed_caption[0].end_time': end_time -1.0 is before start_time 0.0");
}

// Blank means JSON's whitespace only: a form feed is not whitespace to JSON,
// so a line holding one is a bad record, reported with its line number.
TEST(ln_jsonl_test, a_blank_line_holds_only_json_whitespace) {
  for (const std::string line : {"", " ", "\t \r", "\r"})
    EXPECT_TRUE(loctex::core::is_blank_line(line)) << line;
  for (const std::string line : {"\f", " \v ", "x", " {}"})
    EXPECT_FALSE(loctex::core::is_blank_line(line)) << line;
  std::istringstream in("\f\n \t\n" + std::string(kGoogleRecord) + "\n");
  LnReader reader(in, "f.jsonl", ReadMode::lenient);
  ASSERT_TRUE(reader.next().has_value());
  EXPECT_EQ(reader.line(), 3u);
  ASSERT_EQ(reader.error_count(), 1u);
  EXPECT_EQ(reader.errors()[0].line(), 1u);
}

TEST(ln_jsonl_test, lenient_reader_passes_errors_to_a_handler_instead_of_keeping_them) {
  std::istringstream in("{}\n[]\n");
  LnReader reader(in, "h.jsonl", ReadMode::lenient);
  std::vector<std::string> seen;
  reader.on_error([&](const LnError& e) { seen.push_back(e.what()); });
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"h.jsonl:1: missing field 'dataset_id'",
                                            "h.jsonl:2: expected a JSON object, got array"}));
  EXPECT_TRUE(reader.errors().empty());
  EXPECT_EQ(reader.error_count(), 2u);
}

TEST(ln_jsonl_test, missing_file_error_names_it) {
  try {
    LnReader reader(std::filesystem::path("/nonexistent/n.jsonl"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open /nonexistent/n.jsonl: no such file or not readable");
  }
}

TEST(ln_jsonl_test, a_folder_is_not_read_as_an_empty_file) {
  TempDir dir;
  EXPECT_EQ(loctex::testing::error_of<std::runtime_error>([&] { LnReader reader(dir.path()); }),
            "cannot read " + dir.path().string() + ": it is a folder");
}

TEST(ln_jsonl_test, file_round_trip_keeps_every_value) {
  TempDir dir;
  Narrative a = sample_narrative();
  Narrative b = a;
  b.image_id = "000000000139";
  b.annotator_id = std::numeric_limits<std::int64_t>::max();
  b.extra["nested"] = {{"k", {1, 2, 3}}};
  loctex::core::write_ln_file(dir / "n.jsonl", {a, b});
  const auto file = loctex::core::read_ln_file(dir / "n.jsonl");
  ASSERT_EQ(file.narratives.size(), 2u);
  EXPECT_EQ(file.narratives[0], a);
  EXPECT_EQ(file.narratives[1], b);
  EXPECT_EQ(file.lines, (std::vector<std::size_t>{1, 2}));
}

TEST(ln_jsonl_test, a_failed_write_leaves_the_old_file_untouched) {
  TempDir dir;
  loctex::testing::write_text(dir / "n.jsonl", "old\n");
  Narrative bad = sample_narrative();
  bad.traces = {{{std::nan(""), 0.0, 0.0}}};
  EXPECT_THROW(loctex::core::write_ln_file(dir / "n.jsonl", {sample_narrative(), bad}),
               std::invalid_argument);
  EXPECT_EQ(loctex::testing::read_text(dir / "n.jsonl"), "old\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporary left
}

TEST(ln_jsonl_test, extra_fields_may_not_shadow_known_ones) {
  Narrative n = sample_narrative();
  n.extra["caption"] = "twice";
  EXPECT_THROW(loctex::core::format_narrative(n), std::invalid_argument);
}

}  // namespace
