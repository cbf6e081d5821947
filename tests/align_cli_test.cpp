// Whole-program tests of loctex-align: Localized Narratives with voices made
// at test time (WAV at 16 kHz, OGG/Vorbis at 48 kHz as Google publishes
// them), every kind of bad record beside them, and the output read back by
// Python's json as the data's users read it.
#include <sndfile.h>

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "align/resample.h"
#include "core/audio_file.h"
#include "core/ln_jsonl.h"
#include "core/words.h"
#include "speech_support.h"
#include "test_support.h"
#include "tool_run.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using namespace loctex;
using loctex::testing::kRate;
using loctex::testing::q;
using loctex::testing::read_text;
using loctex::testing::run;
using loctex::testing::speak;
using loctex::testing::Speech;
using loctex::testing::TempDir;
using loctex::testing::ToolRun;
using loctex::testing::write_text;

void write_wav(const fs::path& path, const std::vector<std::int16_t>& samples, int rate) {
  core::WavWriter wav(path, rate);
  wav.write(samples);
  wav.close();
}

// OGG/Vorbis, the format of Google's published voice recordings.
void write_ogg(const fs::path& path, const std::vector<std::int16_t>& samples, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(file, nullptr) << sf_strerror(nullptr);
  EXPECT_EQ(sf_write_short(file, samples.data(), static_cast<sf_count_t>(samples.size())),
            static_cast<sf_count_t>(samples.size()));
  sf_close(file);
}

std::string record(const std::string& image, const std::string& caption, const std::string& voice) {
  core::Narrative n;
  n.dataset_id = "test";
  n.image_id = image;
  n.annotator_id = 7;
  n.caption = caption;
  n.timed_caption = {{caption, 0.0, 1.0}};
  n.traces = {{{0.5, 0.5, 0.0}, {0.6, 0.5, 1.0}}};
  n.voice_recording = voice;
  n.extra["review_note"] = "kept";  // a field loctex-align does not know
  return core::format_narrative(n);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::vector<std::string> kSentence = {"a",      "red", "circle", "sits", "in",     "the",
                                            "middle", "of",  "a",      "grey", "picture"};
const std::vector<double> kGaps = {0.4, 0.15, 0.1, 0.3, 0.12, 0.1, 0.2, 0.1, 0.15, 0.1, 0.25};

// Seven records: two that align (a WAV, an OGG at 48 kHz), then a missing
// voice, an empty one, a caption without words, a voice too short for its
// words, and a line that is not JSON.
struct Fixture {
  TempDir dir;
  fs::path input = dir / "in" / "narratives.jsonl";
  fs::path out = dir / "out";
  Speech first, second;
  std::vector<std::string> lines;
  Fixture() {
    first = speak(dir, kSentence, kGaps);
    second = speak(dir, {"there", "are", "42", "dots"}, {0.3, 0.15, 0.2, 0.2});
    write_wav(dir / "in" / "voices" / "first.wav", first.clip.samples, kRate);
    write_ogg(dir / "in" / "voices" / "second.ogg", align::resample(second.clip.samples, kRate, 48000),
              48000);
    write_wav(dir / "in" / "voices" / "empty.wav", {}, kRate);
    write_wav(dir / "in" / "voices" / "short.wav", std::vector<std::int16_t>(4800, 0), kRate);
    lines = {record("1", "A red circle sits in the middle of a grey picture.", "voices/first.wav"),
             record("2", "There are 42 dots", "voices/second.ogg"),
             record("3", "a missing voice", "voices/none.wav"),
             record("4", "an empty voice", "voices/empty.wav"),
             record("5", "   ", "voices/first.wav"),
             record("6", "far too many words for a third of a second", "voices/short.wav"),
             R"({"dataset_id": "test", "image_id": )"};
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    write_text(input, text);
  }
};

void expect_times_near_truth(const core::Narrative& n, const Speech& speech) {
  ASSERT_EQ(n.timed_caption.size(), speech.truth.size());
  double total = 0;
  for (std::size_t i = 0; i < speech.truth.size(); ++i) {
    const auto& u = n.timed_caption[i];
    EXPECT_LT(std::abs(u.start_time - speech.truth[i].start), 0.25) << u.utterance;
    EXPECT_LT(std::abs(u.end_time - speech.truth[i].end), 0.25) << u.utterance;
    total += std::abs(u.start_time - speech.truth[i].start) + std::abs(u.end_time - speech.truth[i].end);
  }
  EXPECT_LT(total / (2.0 * static_cast<double>(speech.truth.size())), 0.05);
}

TEST(align_cli_test, aligns_good_records_and_keeps_bad_ones_as_they_were_with_the_reason) {
  Fixture f;
  const ToolRun r = run("loctex-align", q(f.input) + " --out " + q(f.out), f.dir);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.out.find("aligned 2 of 7 records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kept old times: 5, audio 3, record 1, words 1 (see errors.jsonl)"), std::string::npos)
      << r.out;
  const std::string source = f.input.string();
  EXPECT_NE(r.err.find(source + ":3: kept its old times (audio): " + (f.dir / "in/voices/none.wav").string() +
                       ": not found"),
            std::string::npos)
      << r.err;

  // Every line reaches the output, in order; the bad ones unchanged.
  const auto out = lines_of(read_text(f.out / "narratives.jsonl"));
  ASSERT_EQ(out.size(), 7u);
  for (std::size_t i = 2; i < 7; ++i) EXPECT_EQ(out[i], f.lines[i]) << "line " << i + 1;

  const auto first = core::parse_narrative(out[0]);
  EXPECT_EQ(first.caption, "A red circle sits in the middle of a grey picture.");
  EXPECT_EQ(core::join_utterances(first.timed_caption), first.caption);
  expect_times_near_truth(first, f.first);
  EXPECT_EQ(first.extra["review_note"], "kept");
  const auto& info = first.extra["loctex_alignment"];
  ASSERT_EQ(info["words"].size(), 11u);
  for (const auto& w : info["words"]) EXPECT_EQ(w["confidence"], 1.0) << w.dump();
  EXPECT_TRUE(info["untyped_speech"].empty());
  EXPECT_NEAR(info["duration"].get<double>(), f.first.clip.duration(), 0.01);

  const auto second = core::parse_narrative(out[1]);  // the OGG at 48 kHz
  expect_times_near_truth(second, f.second);
  EXPECT_EQ(second.extra["loctex_alignment"]["words"][2]["pronounced_by"], "number");

  // errors.jsonl: one line per kept record, naming file, line, stage, reason.
  const auto errors = lines_of(read_text(f.out / "errors.jsonl"));
  ASSERT_EQ(errors.size(), 5u);
  const std::vector<std::pair<std::size_t, std::string>> expected = {
      {3, "audio"}, {4, "audio"}, {5, "words"}, {6, "audio"}, {7, "record"}};
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const auto e = Json::parse(errors[i]);
    EXPECT_EQ(e["source"], source);
    EXPECT_EQ(e["line"], expected[i].first);
    EXPECT_EQ(e["stage"], expected[i].second) << e.dump();
  }
  EXPECT_EQ(Json::parse(errors[1])["reason"],
            (f.dir / "in/voices/empty.wav").string() + ": the recording is empty");
  EXPECT_EQ(Json::parse(errors[2])["reason"], "the caption has no words");
  EXPECT_NE(Json::parse(errors[3])["reason"].get<std::string>().find("too short for 10 words"),
            std::string::npos);
  EXPECT_EQ(Json::parse(errors[3])["voice_recording"], "voices/short.wav");

  // Python's json reads every aligned record, with a word per utterance.
  const ToolRun py = loctex::testing::run_command(
      "/usr/bin/python3 -c \"import json,sys; rs=[json.loads(l) for l in open(sys.argv[1]).readlines()[:2]]; "
      "print([len(r['timed_caption']) for r in rs], [len(r['loctex_alignment']['words']) for r in rs])\" " +
      q(f.out / "narratives.jsonl"));
  EXPECT_EQ(py.out, "[11, 4] [11, 4]\n");
}

TEST(align_cli_test, runs_are_reproducible_and_refuse_to_overwrite_unless_asked) {
  Fixture f;
  const ToolRun one = run("loctex-align", q(f.input) + " --out " + q(f.out) + " --threads 1 --quiet", f.dir);
  EXPECT_EQ(one.exit_code, 3) << one.err;
  EXPECT_EQ(one.err, "");
  const std::string first = read_text(f.out / "narratives.jsonl");

  const ToolRun again = run("loctex-align", q(f.input) + " --out " + q(f.out), f.dir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find((f.out / "narratives.jsonl").string() + ": already exists; pass --overwrite"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(read_text(f.out / "narratives.jsonl"), first);

  const ToolRun parallel =
      run("loctex-align", q(f.input) + " --out " + q(f.out) + " --threads 2 --overwrite --json", f.dir);
  EXPECT_EQ(parallel.exit_code, 3) << parallel.err;
  EXPECT_EQ(read_text(f.out / "narratives.jsonl"), first);  // the same bytes, whatever the threads
  const auto summary = Json::parse(parallel.out);
  EXPECT_EQ(summary["records"], 7);
  EXPECT_EQ(summary["aligned"], 2);
  EXPECT_EQ(summary["failed"], 5);
  EXPECT_EQ(summary["words"], 15);
  EXPECT_EQ(summary["words_aligned"], 15);
  EXPECT_EQ(summary["words_to_check"], 0);
  EXPECT_NEAR(summary["audio_seconds"].get<double>(), f.first.clip.duration() + f.second.clip.duration(),
              0.02);

  const ToolRun onto_input = run("loctex-align", q(f.input) + " --out " + q(f.input.parent_path()), f.dir);
  EXPECT_EQ(onto_input.exit_code, 1);
  EXPECT_NE(onto_input.err.find("is the input; choose another --out folder"), std::string::npos)
      << onto_input.err;
}

TEST(align_cli_test, several_inputs_take_voices_from_audio_and_keep_their_own_line_numbers) {
  TempDir dir;
  const Speech speech = speak(dir, {"there", "are", "42", "dots"}, {0.3, 0.15, 0.2, 0.2});
  write_wav(dir / "voices" / "dots.wav", speech.clip.samples, kRate);
  write_text(dir / "voices" / "broken.wav", "RIFF, but not a WAV");
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  core::Narrative no_voice = core::parse_narrative(record("3", "no voice at all", "x.wav"));
  no_voice.voice_recording.clear();
  write_text(dir / "a" / "part.jsonl", record("1", "There are 42 dots", "dots.wav") + "\n\n" +
                                           record("2", "a broken voice", "broken.wav") + "\n");
  write_text(dir / "b" / "other.jsonl", core::format_narrative(no_voice) + "\n");
  const ToolRun r = run("loctex-align",
                        q(dir / "a" / "part.jsonl") + " " + q(dir / "b" / "other.jsonl") + " --audio " +
                            q(dir / "voices") + " --out " + q(dir / "out") + " --json",
                        dir);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(Json::parse(r.out)["aligned"], 1);
  const auto part = lines_of(read_text(dir / "out" / "part.jsonl"));
  ASSERT_EQ(part.size(), 2u);  // the blank line is not a record
  EXPECT_EQ(core::parse_narrative(part[0]).timed_caption.size(), 4u);
  EXPECT_EQ(lines_of(read_text(dir / "out" / "other.jsonl")).size(), 1u);
  const auto errors = lines_of(read_text(dir / "out" / "errors.jsonl"));
  ASSERT_EQ(errors.size(), 2u);
  const auto broken = Json::parse(errors[0]);
  EXPECT_EQ(broken["line"], 3);  // numbered in its own file, the blank line counted
  EXPECT_EQ(broken["stage"], "audio");
  EXPECT_EQ(broken["reason"].get<std::string>().rfind((dir / "voices" / "broken.wav").string() + ": ", 0), 0u)
      << broken.dump();
  const auto missing = Json::parse(errors[1]);
  EXPECT_EQ(missing["source"], (dir / "b" / "other.jsonl").string());
  EXPECT_EQ(missing["line"], 1);
  EXPECT_EQ(missing["reason"], "the record has no voice_recording");
}

TEST(align_cli_test, inputs_whose_outputs_would_collide_are_refused_before_anything_is_written) {
  TempDir dir;
  for (const char* folder : {"a", "b", "c"}) fs::create_directories(dir / folder);
  write_text(dir / "a" / "errors.jsonl", record("1", "a word", "x.wav") + "\n");
  write_text(dir / "b" / "same.jsonl", record("1", "a word", "x.wav") + "\n");
  write_text(dir / "c" / "same.jsonl", record("1", "a word", "x.wav") + "\n");
  const ToolRun errors_name =
      run("loctex-align", q(dir / "a" / "errors.jsonl") + " --out " + q(dir / "out"), dir);
  EXPECT_EQ(errors_name.exit_code, 1);
  EXPECT_NE(errors_name.err.find("errors.jsonl: another input, or errors.jsonl, has the same name"),
            std::string::npos)
      << errors_name.err;
  const ToolRun same =
      run("loctex-align",
          q(dir / "b" / "same.jsonl") + " " + q(dir / "c" / "same.jsonl") + " --out " + q(dir / "out"), dir);
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.err.find("same.jsonl: another input, or errors.jsonl, has the same name"), std::string::npos)
      << same.err;
  EXPECT_FALSE(fs::exists(dir / "out" / "errors.jsonl"));
  const ToolRun model =
      run("loctex-align", q(dir / "b" / "same.jsonl") + " --out " + q(dir / "out") + " --model /nonexistent",
          dir);
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_NE(model.err.find("/nonexistent: not found"), std::string::npos) << model.err;
}

TEST(align_cli_test, help_shows_examples_and_exit_codes_and_bad_usage_exits_2) {
  TempDir dir;
  const ToolRun help = run("loctex-align", "--help", dir);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("loctex-align narratives.jsonl --out aligned"), std::string::npos);
  EXPECT_NE(help.out.find("3  done, but some records kept their old times"), std::string::npos);
  EXPECT_EQ(run("loctex-align", "--out x", dir).exit_code, 2);
  const ToolRun missing = run("loctex-align", q(dir / "none.jsonl") + " --out " + q(dir / "out"), dir);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("none.jsonl: not found or not a file"), std::string::npos) << missing.err;
}

}  // namespace
