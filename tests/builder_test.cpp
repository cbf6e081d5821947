// build_dataset(): shards, manifest, errors, determinism, resume and parts,
// on the synthetic set with real JPEGs and real tar files.
#include "pipeline/builder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>
#include <set>

#include "core/content_hash.h"
#include "core/heatmap.h"
#include "core/ln_jsonl.h"
#include "core/project_store.h"
#include "core/synthetic.h"
#include "core/vocabulary.h"
#include "pipeline/manifest.h"
#include "pipeline/merge.h"
#include "pipeline/npy.h"
#include "pipeline/shard_reader.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
namespace pl = loctex::pipeline;
namespace core = loctex::core;
using Json = nlohmann::ordered_json;
using loctex::testing::error_of;
using loctex::testing::read_text;
using loctex::testing::TempDir;
using loctex::testing::write_text;

// A synthetic set of `count` narratives with 320×240 JPEGs.
struct Synth {
  TempDir dir;
  fs::path set = dir / "synth";
  explicit Synth(std::size_t count = 12) {
    core::SynthOptions options;
    options.count = count;
    options.seed = 7;
    core::write_synthetic_set(options, set);
  }
  fs::path narratives() const { return set / "narratives.jsonl"; }
  pl::BuildOptions options(const std::string& out) const {
    pl::BuildOptions o;
    o.inputs = {narratives()};
    o.image_root = set / "images";
    o.output = dir / out;
    o.threads = 2;
    o.shard_samples = 4;
    o.val_fraction = 0.25;
    return o;
  }
};

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every shard file's bytes by name, plus the other outputs, for comparing builds.
std::map<std::string, std::string> output_files(const fs::path& out) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(out))
    files[entry.path().filename().string()] = read_text(entry.path());
  return files;
}

std::vector<pl::ShardSample> read_all(const fs::path& out) {
  std::vector<pl::ShardSample> samples;
  for (const auto& shard : pl::read_manifest(out / "manifest.json").shards) {
    pl::ShardReader reader(out / shard.name);
    while (auto s = reader.next()) samples.push_back(std::move(*s));
  }
  return samples;
}

TEST(builder_test, writes_every_narrative_as_a_sample_with_its_three_files) {
  Synth synth(12);
  const auto options = synth.options("out");
  const auto summary = pl::build_dataset(options);
  EXPECT_EQ(summary.records, 12u);
  EXPECT_EQ(summary.train_samples + summary.val_samples, 12u);
  EXPECT_EQ(summary.skipped, 0u);

  const auto narratives = core::read_ln_file(synth.narratives()).narratives;
  const auto samples = read_all(options.output);
  ASSERT_EQ(samples.size(), 12u);
  std::size_t words = 0;
  for (const auto& sample : samples) {
    ASSERT_EQ(sample.files.size(), 3u) << sample.key;
    const auto json = Json::parse(sample.files.at("json"));
    const auto& n = narratives.at(json.at("source").at("line").get<std::size_t>() - 1);
    EXPECT_EQ(sample.key, n.dataset_id + "-" + n.image_id + "-" + std::to_string(n.annotator_id));
    EXPECT_EQ(json.at("caption"), n.caption);

    // The heatmaps are core's, in float16, one row per word of the JSON.
    const auto expected = core::render_word_heatmaps(n, options.heatmap);
    const auto npy = pl::decode_npy(sample.files.at("heatmaps.npy"));
    ASSERT_EQ(npy.descr, "<f2");
    ASSERT_EQ(npy.shape, (std::vector<std::size_t>{expected.words.size(), 16, 16}));
    ASSERT_EQ(json.at("words").size(), expected.words.size());
    const auto values = npy.to_floats();
    for (std::size_t i = 0; i < values.size(); ++i)
      ASSERT_NEAR(values[i], expected.maps[i], expected.maps[i] / 1024 + 1e-7) << sample.key << " cell " << i;
    for (std::size_t w = 0; w < expected.words.size(); ++w) {
      EXPECT_EQ(json.at("words").at(w).at("text"), expected.words[w].text);
      EXPECT_EQ(json.at("words").at(w).at("has_trace"), static_cast<bool>(expected.has_trace[w]));
    }
    words += expected.words.size();

    // 320×240 stored with the shorter side 256.
    const cv::Mat image = cv::imdecode(cv::Mat(1, static_cast<int>(sample.files.at("jpg").size()), CV_8U,
                                               const_cast<char*>(sample.files.at("jpg").data())),
                                       cv::IMREAD_COLOR);
    EXPECT_EQ(image.cols, 341);
    EXPECT_EQ(image.rows, 256);
    EXPECT_EQ(json.at("image"),
              Json({{"original_width", 320}, {"original_height", 240}, {"width", 341}, {"height", 256}}));
  }
  EXPECT_EQ(summary.words, words);
}

TEST(builder_test, split_follows_the_image_hash_and_shards_hold_at_most_shard_samples) {
  Synth synth(12);
  const auto options = synth.options("out");
  pl::build_dataset(options);
  const auto manifest = pl::read_manifest(options.output / "manifest.json");
  std::size_t train = 0;
  for (const auto& shard : manifest.shards) {
    EXPECT_LE(shard.samples, 4u) << shard.name;
    EXPECT_GT(shard.samples, 0u) << shard.name;
    pl::ShardReader reader(options.output / shard.name);
    while (auto s = reader.next()) {
      const auto json = Json::parse(s->files.at("json"));
      const auto hash =
          pl::image_hash(json.at("dataset_id").get<std::string>(), json.at("image_id").get<std::string>());
      EXPECT_EQ(pl::split_of(hash, 0.25), shard.split) << s->key;
      train += shard.split == pl::Split::train ? 1 : 0;
    }
  }
  EXPECT_EQ(train, manifest.totals.at("samples").at("train").get<std::size_t>());
  // Full shards first: with 4 per shard, only each split's last shard may hold fewer.
  EXPECT_EQ(manifest.shards.front().name, "train-000000.tar");
  EXPECT_EQ(manifest.shards.front().samples, 4u);
}

TEST(builder_test, shard_bytes_starts_a_new_shard_before_the_limit) {
  Synth synth(6);
  auto options = synth.options("out");
  options.shard_samples = 1000;
  options.shard_bytes = 1;  // every sample alone is over the limit: one per shard
  options.val_fraction = 0.0;
  pl::build_dataset(options);
  const auto manifest = pl::read_manifest(options.output / "manifest.json");
  ASSERT_EQ(manifest.shards.size(), 6u);
  for (const auto& shard : manifest.shards) EXPECT_EQ(shard.samples, 1u);
}

TEST(builder_test, shards_are_byte_identical_whatever_the_thread_count) {
  Synth synth(12);
  auto one = synth.options("one");
  one.threads = 1;
  one.max_in_flight = 1;
  auto four = synth.options("four");
  four.threads = 4;
  four.max_in_flight = 3;
  pl::build_dataset(one);
  pl::build_dataset(four);
  const auto a = output_files(one.output);
  const auto b = output_files(four.output);
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(bytes == b.at(name)) << name << " differs";
  }
  EXPECT_EQ(pl::read_manifest(one.output / "manifest.json").shards.size(),
            pl::read_manifest(four.output / "manifest.json").shards.size());
}

TEST(builder_test, manifest_records_parameters_checksums_and_totals) {
  Synth synth(8);
  const auto options = synth.options("out");
  pl::build_dataset(options);
  const auto manifest = pl::read_manifest(options.output / "manifest.json");
  EXPECT_TRUE(manifest.complete);
  EXPECT_EQ(manifest.parameters.at("image-size"), 256);
  EXPECT_EQ(manifest.parameters.at("heatmap-size"), 16);
  EXPECT_EQ(manifest.parameters.at("val-fraction"), 0.25);
  for (const auto& shard : manifest.shards) {
    EXPECT_EQ(core::sha256_file(options.output / shard.name), shard.sha256);
    EXPECT_EQ(fs::file_size(options.output / shard.name), shard.bytes);
  }
  const auto& t = manifest.totals;
  EXPECT_EQ(t.at("words").get<std::size_t>(),
            t.at("words_with_trace").get<std::size_t>() + t.at("words_without_trace").get<std::size_t>());
  EXPECT_GT(t.at("words_with_trace").get<std::size_t>(), 0u);
  // vocab.txt counts the training split's words.
  const auto vocab = core::Vocabulary::load(options.output / "vocab.txt");
  std::size_t counted = 0;
  for (std::size_t id = core::Vocabulary::kSpecialCount; id < vocab.size(); ++id) counted += vocab.count(id);
  std::size_t train_words = 0;
  for (const auto& shard : manifest.shards)
    if (shard.split == pl::Split::train) train_words += shard.words;
  EXPECT_EQ(counted, train_words);
}

// Bad inputs of every kind in one file: each is skipped and recorded, the
// rest is built.
struct BadInputs : Synth {
  BadInputs() : Synth(6) {
    auto lines = lines_of(narratives());
    auto n = core::parse_narrative(lines[1]);
    std::vector<std::string> extra;
    const auto variant = [&](const std::string& image_id, auto&& change) {
      auto copy = n;
      copy.image_id = image_id;
      change(copy);
      extra.push_back(core::format_narrative(copy));
    };
    variant("missing", [](core::Narrative&) {});
    variant("truncated", [](core::Narrative&) {});
    variant("nowords", [](core::Narrative& c) { c.timed_caption.clear(); });
    variant("notrace", [](core::Narrative& c) { c.traces.assign(2, {}); });
    variant("../synth/narratives", [](core::Narrative&) {});
    lines.insert(lines.begin() + 3, extra.begin(), extra.end());
    lines.insert(lines.begin() + 2, "{\"dataset_id\": 5}");
    lines.push_back(lines[0]);  // a duplicate of the first narrative
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    write_text(narratives(), text);
    const auto good = read_text(set / "images" / (n.image_id + ".jpg"));
    write_text(set / "images" / "truncated.jpg", good.substr(0, good.size() / 2));
  }
};

TEST(builder_test, bad_inputs_are_skipped_and_recorded_in_errors_jsonl) {
  BadInputs bad;
  const auto options = bad.options("out");
  const auto summary = pl::build_dataset(options);
  EXPECT_EQ(summary.records, 13u);
  EXPECT_EQ(summary.train_samples + summary.val_samples, 6u);
  EXPECT_EQ(summary.skipped, 7u);
  EXPECT_EQ(summary.skipped_by_stage,
            (std::map<std::string, std::uint64_t>{
                {"duplicate", 1}, {"image", 3}, {"record", 1}, {"trace", 1}, {"words", 1}}));

  const auto lines = lines_of(options.output / "errors.jsonl");
  ASSERT_EQ(lines.size(), 7u);
  std::vector<std::uint64_t> records;
  std::map<std::string, Json> by_image_id;
  for (const auto& line : lines) {
    const auto j = Json::parse(line);
    records.push_back(j.at("record").get<std::uint64_t>());
    EXPECT_EQ(j.at("source"), options.inputs[0].string());
    if (j.contains("key")) by_image_id[j.at("key").get<std::string>()] = j;
  }
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end()));
  const auto first = Json::parse(lines[0]);
  EXPECT_EQ(first.at("stage"), "record");
  EXPECT_EQ(first.at("line"), 3);
  EXPECT_NE(first.at("reason").get<std::string>().find("dataset_id"), std::string::npos) << first;

  bool saw_truncated = false, saw_missing = false, saw_outside = false;
  for (const auto& line : lines) {
    const auto j = Json::parse(line);
    const std::string reason = j.at("reason");
    if (j.at("stage") != "image") continue;
    if (j.at("image").get<std::string>().ends_with("truncated.jpg")) {
      saw_truncated = true;
      EXPECT_NE(reason.find("JPEG"), std::string::npos) << reason;
    } else if (j.at("image").get<std::string>().ends_with("missing.jpg")) {
      saw_missing = true;
      EXPECT_NE(reason.find("No such file"), std::string::npos) << reason;
    } else {
      saw_outside = true;
      EXPECT_NE(reason.find("outside"), std::string::npos) << reason;
    }
  }
  EXPECT_TRUE(saw_truncated && saw_missing && saw_outside) << read_text(options.output / "errors.jsonl");
}

TEST(builder_test, strict_stops_at_the_first_bad_input_naming_it) {
  BadInputs bad;
  auto options = bad.options("out");
  options.strict = true;
  const auto message = error_of<pl::BuildFailure>([&] { pl::build_dataset(options); });
  EXPECT_EQ(message.rfind("--strict: " + options.inputs[0].string() + ":3: record: ", 0), 0u) << message;
  EXPECT_FALSE(pl::read_manifest(options.output / "manifest.json").complete);
}

TEST(builder_test, a_non_empty_output_is_refused_without_resume_or_overwrite) {
  Synth synth(3);
  const auto options = synth.options("out");
  fs::create_directories(options.output);
  write_text(options.output / "notes.txt", "mine");
  const auto message = error_of<pl::BuildFailure>([&] { pl::build_dataset(options); });
  EXPECT_NE(message.find(options.output.string() + " is not empty"), std::string::npos) << message;
  EXPECT_NE(message.find("--overwrite"), std::string::npos) << message;

  // --overwrite replaces a build's files and leaves the user's alone.
  auto again = options;
  again.overwrite = true;
  pl::build_dataset(again);
  write_text(options.output / "train-000099.tar", "stale");
  pl::build_dataset(again);
  EXPECT_EQ(read_text(options.output / "notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(options.output / "train-000099.tar"));
  EXPECT_TRUE(fs::exists(options.output / "manifest.json"));
}

TEST(builder_test, resume_after_a_failure_midway_gives_the_uninterrupted_result) {
  // A --strict build stops at the first bad input after finishing some
  // shards; resuming without --strict must equal a build that never stopped.
  BadInputs bad;
  // Good narratives first, so that shards are finished before the failure.
  auto lines = lines_of(bad.narratives());
  const std::string first = lines[0];
  std::stable_partition(lines.begin(), lines.end(), [&](const std::string& line) {
    const auto j = Json::parse(line);
    const auto image = bad.set / "images" / (j.value("image_id", "none") + ".jpg");
    return fs::exists(image) && line.find("\"traces\": [[]") == std::string::npos &&
           line.find("\"timed_caption\": []") == std::string::npos && line != first;
  });
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  write_text(bad.narratives(), text);

  auto whole = bad.options("whole");
  whole.shard_samples = 1;
  pl::build_dataset(whole);

  auto broken = bad.options("resumed");
  broken.shard_samples = 1;
  broken.strict = true;
  EXPECT_THROW(pl::build_dataset(broken), pl::BuildFailure);
  const auto checkpoint = pl::read_manifest(broken.output / "manifest.json");
  EXPECT_FALSE(checkpoint.complete);
  EXPECT_GE(checkpoint.shards.size(), 2u);

  broken.strict = false;
  broken.resume = true;
  const auto summary = pl::build_dataset(broken);
  EXPECT_EQ(summary.resumed_shards, checkpoint.shards.size());
  EXPECT_EQ(summary.skipped, 7u);
  const auto a = output_files(whole.output);
  const auto b = output_files(broken.output);
  EXPECT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a)
    EXPECT_TRUE(b.contains(name) && b.at(name) == bytes) << name << " differs";
}

TEST(builder_test, resume_rebuilds_from_a_shard_that_no_longer_matches_its_checksum) {
  Synth synth(12);
  auto options = synth.options("out");
  options.shard_samples = 2;
  pl::build_dataset(options);
  const auto reference = output_files(options.output);

  // Make it look interrupted: incomplete manifest, a damaged shard, a stray
  // partial shard, a lost last shard.
  auto manifest = pl::read_manifest(options.output / "manifest.json");
  manifest.complete = false;
  const std::string lost = manifest.shards.back().name;
  manifest.shards.pop_back();
  pl::write_manifest(options.output / "manifest.json", manifest);
  fs::remove(options.output / lost);
  auto damaged = read_text(options.output / "train-000001.tar");
  damaged[700] ^= 1;
  write_text(options.output / "train-000001.tar", damaged);
  write_text(options.output / "train-000004.tar.partial", "half");

  options.resume = true;
  std::vector<std::string> notes;
  pl::BuildObserver observer;
  observer.note = [&](const std::string& n) { notes.push_back(n); };
  pl::build_dataset(options, observer);
  EXPECT_EQ(output_files(options.output), reference);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes.front().find("train-000001.tar is missing or does not match its checksum"),
            std::string::npos)
      << notes.front();
}

TEST(builder_test, resume_of_a_complete_build_only_verifies_it) {
  Synth synth(4);
  auto options = synth.options("out");
  pl::build_dataset(options);
  options.resume = true;
  const auto summary = pl::build_dataset(options);
  EXPECT_TRUE(summary.already_complete);
  EXPECT_EQ(summary.train_samples + summary.val_samples, 4u);
}

TEST(builder_test, resume_with_other_options_is_refused_naming_the_option) {
  Synth synth(4);
  auto options = synth.options("out");
  pl::build_dataset(options);
  options.resume = true;
  options.image.shorter_side = 128;
  EXPECT_EQ(error_of<pl::BuildFailure>([&] { pl::build_dataset(options); }),
            "cannot resume the build in " + options.output.string() +
                ": --image-size was 256, now 128; run with the same options, or --overwrite to start again");
}

TEST(builder_test, parts_split_the_images_and_merge_joins_them) {
  Synth synth(12);
  const auto whole_options = synth.options("whole");
  pl::build_dataset(whole_options);
  std::set<std::string> whole_keys;
  for (const auto& s : read_all(whole_options.output)) whole_keys.insert(s.key);

  std::set<std::string> part_keys;
  std::vector<fs::path> folders;
  std::size_t samples = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    auto options = synth.options("part" + std::to_string(i));
    options.part = {i, 3};
    const auto summary = pl::build_dataset(options);
    samples += summary.train_samples + summary.val_samples;
    EXPECT_EQ(summary.other_parts + summary.train_samples + summary.val_samples, 12u);
    for (const auto& shard : pl::read_manifest(options.output / "manifest.json").shards)
      EXPECT_NE(shard.name.find("-p000" + std::to_string(i) + "-"), std::string::npos) << shard.name;
    for (const auto& s : read_all(options.output)) EXPECT_TRUE(part_keys.insert(s.key).second) << s.key;
    folders.push_back(options.output);
  }
  EXPECT_EQ(part_keys, whole_keys);
  EXPECT_EQ(samples, 12u);

  const auto merged = pl::merge_parts(folders, synth.dir / "merged");
  EXPECT_EQ(merged.parts, 3u);
  EXPECT_EQ(merged.train_samples + merged.val_samples, 12u);
  const auto manifest = pl::read_manifest(synth.dir / "merged" / "manifest.json");
  EXPECT_TRUE(manifest.complete);
  EXPECT_EQ(manifest.shards.front().name.rfind("../part0/", 0), 0u) << manifest.shards.front().name;
  // The summed counts give the whole build's vocabulary.
  EXPECT_EQ(core::Vocabulary::load(synth.dir / "merged" / "vocab.txt"),
            core::Vocabulary::load(whole_options.output / "vocab.txt"));

  // A missing part is named.
  EXPECT_EQ(error_of<pl::BuildFailure>([&] {
              pl::merge_parts({folders[0], folders[2]}, synth.dir / "m2");
            }),
            "merge: parts missing of 3: 1");
}

TEST(builder_test, merge_refuses_parts_that_do_not_make_one_build) {
  Synth synth(6);
  std::vector<fs::path> folders;
  for (std::size_t i = 0; i < 2; ++i) {
    auto options = synth.options(std::string("part").append(std::to_string(i)));
    options.part = {i, 2};
    pl::build_dataset(options);
    folders.push_back(options.output);
  }
  const auto merge_error = [&](const std::vector<fs::path>& parts) {
    return error_of<pl::BuildFailure>([&] { pl::merge_parts(parts, synth.dir / "merged"); });
  };
  EXPECT_EQ(merge_error({folders[0], folders[0]}),
            "merge: part 0 is given twice: " + folders[0].string() + " and " + folders[0].string());

  // Another option in one part.
  auto other = synth.options("other");
  other.part = {1, 2};
  other.heatmap.grid = 8;
  pl::build_dataset(other);
  EXPECT_EQ(merge_error({folders[0], other.output}),
            "merge: " + other.output.string() + " was built with other options than " + folders[0].string());

  // A shard changed since its part was built.
  const auto shard = pl::read_manifest(folders[1] / "manifest.json").shards.front();
  auto bytes = read_text(folders[1] / shard.name);
  bytes[600] ^= 1;
  write_text(folders[1] / shard.name, bytes);
  EXPECT_EQ(merge_error(folders),
            "merge: " + (folders[1] / shard.name).string() + " is missing or does not match its checksum");

  // A part that has not finished.
  auto manifest = pl::read_manifest(folders[1] / "manifest.json");
  manifest.complete = false;
  pl::write_manifest(folders[1] / "manifest.json", manifest);
  EXPECT_EQ(merge_error(folders),
            "merge: the build in " + folders[1].string() + " is not complete; finish it with --resume");
  EXPECT_FALSE(fs::exists(synth.dir / "merged" / "manifest.json"));
}

TEST(builder_test, resume_refuses_changed_inputs_and_a_manifest_it_cannot_read) {
  Synth synth(4);
  auto options = synth.options("out");
  pl::build_dataset(options);
  options.resume = true;

  const auto narratives = read_text(synth.narratives());
  write_text(synth.narratives(), narratives + "\n");  // one byte more
  const auto changed = error_of<pl::BuildFailure>([&] { pl::build_dataset(options); });
  EXPECT_EQ(changed.rfind("cannot resume the build in " + options.output.string() +
                              ": the inputs differ from those it was started with",
                          0),
            0u)
      << changed;
  write_text(synth.narratives(), narratives);

  write_text(options.output / "manifest.json", "{\"format\": 1}");
  const auto unreadable = error_of([&] { pl::build_dataset(options); });
  EXPECT_EQ(unreadable.rfind(
                (options.output / "manifest.json").string() + ": not a loctex-build-dataset manifest: ", 0),
            0u)
      << unreadable;
}

TEST(builder_test, an_output_that_is_a_file_is_refused) {
  Synth synth(1);
  const auto options = synth.options("out");
  write_text(options.output, "a file");
  EXPECT_EQ(error_of<pl::BuildFailure>([&] { pl::build_dataset(options); }),
            options.output.string() + " exists and is not a folder");
  EXPECT_EQ(read_text(options.output), "a file");
}

TEST(builder_test, a_project_folder_builds_its_done_and_accepted_narratives) {
  Synth synth(5);
  const auto project_folder = synth.dir / "project";
  {
    auto store = core::ProjectStore::create(project_folder);
    core::ImportOptions import;
    import.image_folder = synth.set / "images";
    store.import_jsonl(synth.narratives(), import);
    const auto entries = store.list_narratives();
    store.set_status(entries[0].id, core::NarrativeStatus::draft);
    store.set_status(entries[1].id, core::NarrativeStatus::accepted);
  }
  pl::BuildOptions options;
  options.inputs = {project_folder};
  options.output = synth.dir / "out";
  const auto summary = pl::build_dataset(options);
  EXPECT_EQ(summary.excluded, 1u);
  EXPECT_EQ(summary.train_samples + summary.val_samples, 4u);
  EXPECT_EQ(summary.skipped, 0u);
}

TEST(builder_test, a_project_narrative_without_an_image_is_skipped_naming_the_image) {
  Synth synth(2);
  const auto project_folder = synth.dir / "project";
  core::ProjectStore::create(project_folder).import_jsonl(synth.narratives());  // no image folder
  pl::BuildOptions options;
  options.inputs = {project_folder};
  options.output = synth.dir / "out";
  const auto summary = pl::build_dataset(options);
  EXPECT_EQ(summary.skipped_by_stage, (std::map<std::string, std::uint64_t>{{"image", 2}}));
  const auto first = Json::parse(lines_of(options.output / "errors.jsonl").at(0));
  EXPECT_EQ(first.at("reason"), "the project holds no image file for loctex_synth/000000");
  EXPECT_EQ(first.at("source"), (project_folder / "project.sqlite").string());
}

TEST(builder_test, options_are_validated_naming_the_option) {
  Synth synth(1);
  auto options = synth.options("out");
  options.val_fraction = 1.5;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pl::validate(options); }),
            "--val-fraction must be in [0, 1], got 1.500000");
  options = synth.options("out");
  options.shard_samples = 0;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pl::validate(options); }),
            "--shard-samples must be at least 1");
  options = synth.options("out");
  options.image_root.clear();
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pl::validate(options); }),
            "--images is required for LN JSONL inputs such as " + synth.narratives().string());
  options = synth.options("out");
  options.resume = options.overwrite = true;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { pl::validate(options); }),
            "--resume and --overwrite exclude each other");
}

}  // namespace
