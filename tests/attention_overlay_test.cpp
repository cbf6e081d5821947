// write_attention_overlays() on a tiny trained run, render_attention_sheet()
// on hand-made values, and the core overlay building blocks they share with
// the project overlays.
#include "trainer/attention_overlay.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/ln_jsonl.h"
#include "core/overlay.h"
#include "core/synthetic.h"
#include "core/vocabulary.h"
#include "pipeline/builder.h"
#include "pipeline/sample_key.h"
#include "pipeline/shard_reader.h"
#include "test_support.h"
#include "trainer/augment.h"
#include "trainer/batch_loader.h"
#include "trainer/evaluate.h"
#include "trainer/model.h"
#include "trainer/train.h"
#include "trainer_support.h"

namespace {

namespace fs = std::filesystem;
namespace tr = loctex::trainer;
using loctex::testing::error_of;
using loctex::testing::files_in;
using loctex::testing::read_text;
using loctex::testing::TempDir;

constexpr int kLabel = loctex::core::kOverlayLabelHeight;
constexpr int kLine = loctex::core::kOverlayLineHeight;

cv::Mat decode(const std::vector<unsigned char>& png) { return cv::imdecode(png, cv::IMREAD_COLOR); }

// Red minus blue: grey is 0, the hot end of turbo is far above.
int redness(const cv::Vec3b& bgr) { return int{bgr[2]} - int{bgr[0]}; }

// ---- core building blocks -------------------------------------------------

TEST(overlay_blocks_test, blend_heatmap_reddens_the_hot_cell_and_leaves_cold_cells_grey) {
  const cv::Mat grey(80, 80, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<double> map(16, 0.0);
  map[1 * 4 + 2] = 3.0;  // row 1, column 2: pixels [40, 60) × [20, 40)
  const cv::Mat out = loctex::core::blend_heatmap(grey, map, 4, 0.65);
  ASSERT_EQ(out.size(), grey.size());
  ASSERT_EQ(out.type(), CV_8UC3);
  const cv::Vec3b hot = out.at<cv::Vec3b>(30, 50);   // the cell's centre (y, x)
  const cv::Vec3b cold = out.at<cv::Vec3b>(70, 10);  // bottom-left cell, two cells away
  EXPECT_GT(redness(hot), 60);
  EXPECT_EQ(cold, cv::Vec3b(128, 128, 128));
  // Scale-free: the map is divided by its peak.
  std::vector<double> scaled(map);
  for (double& v : scaled) v *= 0.001;
  EXPECT_EQ(cv::norm(out, loctex::core::blend_heatmap(grey, scaled, 4, 0.65), cv::NORM_INF), 0.0);
}

TEST(overlay_blocks_test, blend_heatmap_leaves_the_image_as_it_is_for_an_empty_map) {
  const cv::Mat grey(30, 40, CV_8UC3, cv::Scalar(90, 100, 110));
  const cv::Mat out = loctex::core::blend_heatmap(grey, std::vector<double>(9, 0.0), 3, 0.65);
  EXPECT_EQ(cv::norm(out, grey, cv::NORM_INF), 0.0);
}

TEST(overlay_blocks_test, blend_heatmap_refuses_a_map_of_the_wrong_size) {
  const cv::Mat grey(30, 40, CV_8UC3, cv::Scalar(90, 100, 110));
  EXPECT_EQ(error_of<std::invalid_argument>(
                [&] { loctex::core::blend_heatmap(grey, std::vector<double>(8, 0.0), 3, 0.65); }),
            "heat map of 8 values for a grid of 3");
}

TEST(overlay_blocks_test, label_tile_adds_a_dark_band_above) {
  const cv::Mat grey(50, 60, CV_8UC3, cv::Scalar(128, 128, 128));
  const cv::Mat tile = loctex::core::label_tile(grey, "circle");
  EXPECT_EQ(tile.cols, 60);
  EXPECT_EQ(tile.rows, 50 + kLabel);
  EXPECT_EQ(tile.at<cv::Vec3b>(1, 59), cv::Vec3b(24, 24, 24));
  EXPECT_EQ(tile.at<cv::Vec3b>(kLabel + 25, 30), cv::Vec3b(128, 128, 128));
}

TEST(overlay_blocks_test, tile_sheet_lays_tiles_out_in_rows_under_the_caption) {
  const cv::Mat a(20, 30, CV_8UC3, cv::Scalar(0, 0, 255)), b(20, 30, CV_8UC3, cv::Scalar(255, 0, 0));
  const cv::Mat sheet = loctex::core::tile_sheet("ab", {a, b, a}, 2, 30);
  EXPECT_EQ(sheet.cols, 60);
  EXPECT_EQ(sheet.rows, kLabel + 2 * 20);
  EXPECT_EQ(sheet.at<cv::Vec3b>(kLabel + 5, 5), cv::Vec3b(0, 0, 255));     // a, row 0 column 0
  EXPECT_EQ(sheet.at<cv::Vec3b>(kLabel + 5, 35), cv::Vec3b(255, 0, 0));    // b, row 0 column 1
  EXPECT_EQ(sheet.at<cv::Vec3b>(kLabel + 25, 5), cv::Vec3b(0, 0, 255));    // a, row 1 column 0
  EXPECT_EQ(sheet.at<cv::Vec3b>(kLabel + 25, 35), cv::Vec3b(40, 40, 40));  // empty: background
  const cv::Mat caption_only = loctex::core::tile_sheet("no tiles", {}, 3, 30);
  EXPECT_EQ(caption_only.cols, 90);
  EXPECT_EQ(caption_only.rows, kLabel);
  // A caption too wide for the sheet takes a further line per wrap.
  EXPECT_EQ(loctex::core::tile_sheet("two tiles", {}, 1, 30).rows, kLabel + kLine);
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              loctex::core::tile_sheet("", {a, cv::Mat(21, 30, CV_8UC3)}, 2, 30);
            }),
            "sheet tiles differ in size: 30x21 beside 30x20");
}

TEST(overlay_blocks_test, word_file_names_are_numbered_and_safe) {
  EXPECT_EQ(loctex::core::word_overlay_file_name(7, "circle"), "007-circle.png");
  EXPECT_EQ(loctex::core::word_overlay_file_name(12, "a/b c."), "012-a_b_c_.png");
  EXPECT_EQ(loctex::core::safe_file_name("synth-1.a/b"), "synth-1-a-b");
}

// ---- one sample from plain values -----------------------------------------

// A grey 32×32 crop, grid 2; word 0's attention is all in the top-right
// cell and its trace all in the bottom-left one; word 1 is uniform.
tr::AttentionSample hand_made() {
  tr::AttentionSample s;
  s.key = "k";
  s.caption = "a square";
  s.image_size = 32;
  s.bgr.assign(32 * 32 * 3, 128);
  s.grid = 2;
  s.words.push_back({1, "square", {0, 1, 0, 0}, {0, 0, 1, 0}});
  s.words.push_back({0, "a", {0.25f, 0.25f, 0.25f, 0.25f}, {0.25f, 0.25f, 0.25f, 0.25f}});
  return s;
}

TEST(attention_overlay_test, sheet_row_shows_the_attention_left_and_the_trace_right) {
  const loctex::core::OverlayStyle style{64, 0.65, 4};
  const cv::Mat sheet = decode(tr::render_attention_sheet(hand_made(), style));
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(sheet.cols, 2 * 64);
  EXPECT_EQ(sheet.rows, kLabel + 2 * (kLabel + 64));  // one caption line, two rows
  const int top = kLabel + kLabel;                    // first row's picture
  // Model tile (x in [0, 64)): hot top-right, grey bottom-left.
  EXPECT_GT(redness(sheet.at<cv::Vec3b>(top + 8, 56)), 60);
  EXPECT_EQ(sheet.at<cv::Vec3b>(top + 56, 8), cv::Vec3b(128, 128, 128));
  // Trace tile (x in [64, 128)): the other way round.
  EXPECT_EQ(sheet.at<cv::Vec3b>(top + 8, 64 + 56), cv::Vec3b(128, 128, 128));
  EXPECT_GT(redness(sheet.at<cv::Vec3b>(top + 56, 64 + 8)), 60);
  // The row alone is the sheet's row without the caption.
  const cv::Mat row = decode(tr::render_attention_row(hand_made(), 0, style));
  EXPECT_EQ(row.cols, 128);
  EXPECT_EQ(row.rows, kLabel + 64);
  EXPECT_EQ(cv::norm(row, sheet(cv::Rect(0, kLabel, 128, kLabel + 64)), cv::NORM_INF), 0.0);
}

TEST(attention_overlay_test, sheet_refuses_maps_that_do_not_fit_the_grid) {
  auto s = hand_made();
  s.words[1].trace.pop_back();
  EXPECT_EQ(error_of<std::invalid_argument>([&] { tr::render_attention_sheet(s, {}); }),
            "sample k, word a: maps of 4 and 3 cells for a grid of 2");
  EXPECT_EQ(error_of<std::out_of_range>([&] { tr::render_attention_row(hand_made(), 2, {}); }), "row 2 of 2");
}

// ---- from a trained run ---------------------------------------------------

// 32 synthetic narratives, a quarter in val, and a run of 2 steps of a tiny
// model, made once for all tests.
class attention_overlay_run_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir;
    loctex::testing::ShardSetOptions set;
    set.count = 32;
    set.seed = 11;
    set.val_fraction = 0.25;
    const auto shards = loctex::testing::build_synthetic_shards(s_dir->path(), set).shards;

    auto c = loctex::testing::tiny_config(shards, *s_dir / "run");
    c.model.image_size = 96;  // a 3×3 grid
    c.optim.steps = 2;
    c.optim.warmup_steps = 1;
    c.checkpoint_every = 2;
    tr::train(c);
    s_config = new tr::TrainConfig(c);
  }
  static void TearDownTestSuite() {
    delete s_config;
    delete s_dir;
    s_config = nullptr;
    s_dir = nullptr;
  }

  static tr::AttentionOverlayOptions options(const std::string& out) {
    tr::AttentionOverlayOptions o;
    o.run = s_config->output;
    o.out = *s_dir / out;
    o.max_samples = 3;
    o.per_word = true;
    o.threads = 1;
    o.style.tile_side = 96;
    return o;
  }

  static inline TempDir* s_dir = nullptr;
  static inline tr::TrainConfig* s_config = nullptr;
};

// The first `n` val samples as the loader gives them to the model, by key.
std::vector<std::pair<std::string, std::int64_t>> traced_words_of_first(const tr::TrainConfig& c,
                                                                        std::int64_t n) {
  const auto vocabulary = loctex::core::Vocabulary::load(c.data.shards / "vocab.txt");
  tr::LoaderOptions loading;
  loading.split = "val";
  loading.batch_size = n;
  loading.image_size = c.model.image_size;
  loading.max_words = c.model.max_words;
  loading.augment = false;
  loading.shuffle = false;
  loading.repeat = false;
  tr::BatchLoader loader(c.data, vocabulary, loading);
  const auto batch = loader.next();
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (std::size_t b = 0; b < batch->keys.size(); ++b)
    out.emplace_back(batch->keys[b],
                     batch->has_trace[static_cast<std::int64_t>(b)].sum().item<std::int64_t>());
  return out;
}

// Sample `key`'s KEY.json, from the val shards.
nlohmann::json json_of(const fs::path& shards, const std::string& key) {
  for (const auto& entry : fs::directory_iterator(shards)) {
    if (!entry.path().filename().string().starts_with("val-")) continue;
    loctex::pipeline::ShardReader reader(entry.path());
    while (auto sample = reader.next())
      if (sample->key == key) return nlohmann::json::parse(sample->files.at("json"));
  }
  return nullptr;
}

TEST_F(attention_overlay_run_test, writes_a_sheet_two_tiles_wide_with_a_row_per_traced_word) {
  const auto o = options("overlays");
  const auto report = tr::write_attention_overlays(o);
  const auto expected = traced_words_of_first(*s_config, 3);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(report.samples, 3u);
  EXPECT_EQ(report.step, 2);
  EXPECT_EQ(report.checkpoint.filename(), "step-000002.pt");
  EXPECT_EQ(report.skipped_samples, 0);

  std::size_t words = 0;
  std::set<std::int64_t> counts;
  const int cell = kLabel + o.style.tile_side;
  for (const auto& [key, traced] : expected) {
    SCOPED_TRACE(key);
    words += static_cast<std::size_t>(traced);
    counts.insert(traced);
    const auto names = files_in(o.out / key);
    // sheet.png and one NNN-word.png per traced word.
    ASSERT_EQ(names.size(), static_cast<std::size_t>(traced) + 1);
    EXPECT_EQ(names.back(), "sheet.png");
    const cv::Mat sheet = cv::imread((o.out / key / "sheet.png").string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(sheet.empty());
    EXPECT_EQ(sheet.cols, 2 * o.style.tile_side);
    // The caption wrapped to the sheet's width, then one row per word.
    const auto caption = json_of(s_config->data.shards, key).at("caption").get<std::string>();
    const int header = loctex::core::tile_sheet(caption, {}, 1, sheet.cols).rows;
    EXPECT_GT(header, kLabel);  // the synthetic captions take several lines at 192 pixels
    EXPECT_EQ(sheet.rows, header + static_cast<int>(traced) * cell);
    for (std::size_t k = 0; k + 1 < names.size(); ++k) {
      EXPECT_EQ(names[k].size() > 8 && names[k][3] == '-', true) << names[k];
      const cv::Mat row = cv::imread((o.out / key / names[k]).string(), cv::IMREAD_COLOR);
      ASSERT_FALSE(row.empty()) << names[k];
      EXPECT_EQ(row.cols, 2 * o.style.tile_side);
      EXPECT_EQ(row.rows, cell);
      // The per-word PNG is its row of the sheet.
      EXPECT_EQ(cv::norm(row, sheet(cv::Rect(0, header + static_cast<int>(k) * cell, row.cols, cell)),
                         cv::NORM_INF),
                0.0)
          << names[k];
    }
  }
  EXPECT_EQ(report.words, words);
  EXPECT_EQ(report.files, 3 + words);
  EXPECT_GT(words, 3u);
  EXPECT_GT(counts.size(), 1u)
      << "the samples should differ in traced words for the height check to mean much";
}

// Rebuilds one word's row from the model and the loader in the test and
// compares it with the file: the attention is the softmax of the word's
// logits, beside the loader's heatmap, over the un-normalised batch image.
TEST_F(attention_overlay_run_test, a_word_png_is_the_models_softmax_beside_the_loaders_heatmap) {
  auto o = options("one");
  o.max_samples = 1;
  tr::write_attention_overlays(o);

  const auto vocabulary = loctex::core::Vocabulary::load(s_config->data.shards / "vocab.txt");
  tr::LoaderOptions loading;
  loading.split = "val";
  loading.batch_size = 1;
  loading.image_size = s_config->model.image_size;
  loading.max_words = s_config->model.max_words;
  loading.augment = false;
  loading.shuffle = false;
  loading.repeat = false;
  tr::BatchLoader loader(s_config->data, vocabulary, loading);
  const auto batch = loader.next();
  auto loaded = tr::load_model(s_config->output);
  loaded.model->eval();
  torch::NoGradGuard no_grad;
  const auto out = loaded.model->forward(batch->images, batch->tokens);
  const auto attention = torch::softmax(out.attention_logits, 2);

  tr::AttentionSample s;
  s.key = batch->keys[0];
  s.image_size = 96;
  s.grid = 3;
  const auto image = batch->images[0];
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x)
      for (int c = 2; c >= 0; --c) {
        const double v = (image[c][y][x].item<float>() * tr::kImageStd[c] + tr::kImageMean[c]) * 255.0;
        s.bgr.push_back(static_cast<std::uint8_t>(std::clamp<long>(std::lround(v), 0, 255)));
      }
  std::int64_t position = 1;
  while (!batch->has_trace[0][position].item<bool>()) ++position;
  tr::WordAttention w;
  w.index = static_cast<std::size_t>(position - 1);
  w.text = json_of(s_config->data.shards, s.key).at("words").at(w.index).at("text").get<std::string>();
  for (int j = 0; j < 9; ++j) {
    w.attention.push_back(attention[0][position][j].item<float>());
    w.trace.push_back(batch->heatmaps[0][position][j / 3][j % 3].item<float>());
  }
  s.words.push_back(w);
  const auto expected = tr::render_attention_row(s, 0, o.style);
  const fs::path file = o.out / s.key / loctex::core::word_overlay_file_name(w.index, w.text);
  ASSERT_TRUE(fs::exists(file)) << file;
  EXPECT_EQ(read_text(file), std::string(expected.begin(), expected.end()));
  // A trained-for-two-steps model does not yet copy the trace.
  EXPECT_NE(w.attention, w.trace);
}

TEST_F(attention_overlay_run_test, rendering_twice_gives_identical_bytes) {
  const auto a = options("first"), b = options("second");
  tr::write_attention_overlays(a);
  tr::write_attention_overlays(b);
  std::size_t compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(a.out)) {
    if (!entry.is_regular_file()) continue;
    const auto relative = fs::relative(entry.path(), a.out);
    ASSERT_TRUE(fs::exists(b.out / relative)) << relative;
    EXPECT_EQ(read_text(entry.path()), read_text(b.out / relative)) << relative;
    ++compared;
  }
  EXPECT_GT(compared, 3u);
}

TEST_F(attention_overlay_run_test, max_samples_bounds_the_sheets) {
  auto o = options("two");
  o.max_samples = 2;
  o.per_word = false;
  const auto report = tr::write_attention_overlays(o);
  EXPECT_EQ(report.samples, 2u);
  EXPECT_EQ(report.files, 2u);
  std::size_t folders = 0;
  for (const auto& entry : fs::directory_iterator(o.out)) {
    ++folders;
    EXPECT_EQ(files_in(entry.path()), std::vector<std::string>{"sheet.png"});
  }
  EXPECT_EQ(folders, 2u);
}

TEST_F(attention_overlay_run_test, inspection_scores_each_word_as_the_evaluation_does) {
  tr::InspectRequest request;
  request.run = s_config->output;
  request.max_samples = 1000;  // the whole val split
  request.threads = 1;
  const auto inspection = tr::inspect_run(request);
  EXPECT_EQ(inspection.step, 2);
  EXPECT_EQ(inspection.shards, s_config->data.shards);
  ASSERT_FALSE(inspection.samples.empty());
  double kl_sum = 0;
  std::int64_t words = 0, hits = 0;
  for (const auto& sample : inspection.samples)
    for (const auto& w : sample.words) {
      EXPECT_GT(w.kl, 0.0) << w.text;
      kl_sum += w.kl;
      hits += w.hit ? 1 : 0;
      ++words;
    }
  // Per word, they add up to what loctex-train eval reports for the run.
  auto loaded = tr::load_model(s_config->output);
  tr::EvalOptions options;
  options.threads = 1;
  const auto report = tr::evaluate(loaded.model, loaded.config, options);
  EXPECT_EQ(words, report.alignment.traced_words);
  EXPECT_NEAR(kl_sum / static_cast<double>(words), report.alignment.kl, 1e-6);
  EXPECT_NEAR(static_cast<double>(hits) / static_cast<double>(words), report.alignment.pointing_accuracy,
              1e-12);

  request.split = "train";
  request.max_samples = 5;
  const auto train = tr::inspect_run(request);
  ASSERT_EQ(train.samples.size(), 5u);
  std::set<std::string> val_keys;
  for (const auto& sample : inspection.samples) val_keys.insert(sample.key);
  for (const auto& sample : train.samples) EXPECT_FALSE(val_keys.contains(sample.key)) << sample.key;
  request.split = "test";
  EXPECT_THROW(tr::inspect_run(request), std::invalid_argument);
}

TEST_F(attention_overlay_run_test, a_narrative_outside_the_data_set_is_inspected_as_training_would_see_it) {
  tr::InspectRequest request;
  request.run = s_config->output;
  request.max_samples = 1;
  request.threads = 1;
  const auto from_shards = tr::inspect_run(request).samples.at(0);
  // The same narrative as a project holds it: its LN record and image file.
  const auto file = loctex::core::read_ln_file(*s_dir / "synth/narratives.jsonl");
  const auto it = std::find_if(file.narratives.begin(), file.narratives.end(), [&](const auto& n) {
    return from_shards.key ==
           loctex::pipeline::sample_key(n.dataset_id, n.image_id, std::to_string(n.annotator_id));
  });
  ASSERT_NE(it, file.narratives.end()) << from_shards.key;
  const fs::path image = *s_dir / "synth/images" / (it->image_id + ".jpg");
  const auto inspected = tr::inspect_narrative(request, *it, image, *s_dir / "one-narrative");
  ASSERT_EQ(inspected.samples.size(), 1u);
  const auto& sample = inspected.samples[0];
  EXPECT_EQ(sample.key, it->dataset_id + "/" + it->image_id);
  EXPECT_EQ(sample.bgr, from_shards.bgr);  // the same crop, built with the run's data set's parameters
  ASSERT_EQ(sample.words.size(), from_shards.words.size());
  for (std::size_t w = 0; w < sample.words.size(); ++w) {
    EXPECT_EQ(sample.words[w].text, from_shards.words[w].text);
    EXPECT_EQ(sample.words[w].trace, from_shards.words[w].trace);
    EXPECT_EQ(sample.words[w].attention, from_shards.words[w].attention);
    EXPECT_EQ(sample.words[w].hit, from_shards.words[w].hit);
  }
  // A narrative the builder would skip says why.
  auto untraced = *it;
  untraced.traces.clear();
  const auto why = loctex::testing::error_of<std::runtime_error>(
      [&] { tr::inspect_narrative(request, untraced, image, *s_dir / "one-narrative"); });
  EXPECT_NE(why.find("cannot inspect this narrative: trace"), std::string::npos) << why;
}

TEST_F(attention_overlay_run_test, a_missing_run_folder_is_named_in_the_error) {
  auto o = options("none");
  o.run = *s_dir / "no-such-run";
  EXPECT_EQ(error_of<std::runtime_error>([&] { tr::write_attention_overlays(o); }),
            "cannot read run " + o.run.string() + ": no such folder or checkpoint");
  EXPECT_FALSE(fs::exists(o.out));
}

TEST_F(attention_overlay_run_test, bad_options_are_named) {
  auto o = options("bad");
  o.max_samples = 0;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { tr::write_attention_overlays(o); }),
            "max_samples must be at least 1");
  o = options("bad");
  o.style.tile_side = 8;
  EXPECT_EQ(error_of<std::invalid_argument>([&] { tr::write_attention_overlays(o); }),
            "tile_side must be 16 to 4096 pixels, got 8");
}

}  // namespace
