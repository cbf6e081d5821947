// BatchLoader on real shards that the builder makes from a small synthetic
// set (real JPEGs, real tars), and the torch-free augmentation it uses.
#include "trainer/batch_loader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/synthetic.h"
#include "core/vocabulary.h"
#include "pipeline/manifest.h"
#include "pipeline/npy.h"
#include "pipeline/shard_reader.h"
#include "test_support.h"
#include "trainer/augment.h"
#include "trainer_support.h"

namespace {

namespace fs = std::filesystem;
namespace core = loctex::core;
namespace pl = loctex::pipeline;
namespace tr = loctex::trainer;
using Json = nlohmann::json;
using loctex::testing::error_of;
using loctex::testing::read_text;
using loctex::testing::TempDir;
using loctex::testing::write_text;

// ---- a data set, built once ------------------------------------------------

// 24 synthetic narratives with 96×72 JPEGs, stored at that size, in shards of
// 4 samples; a quarter goes to val.
struct Dataset {
  TempDir dir;
  fs::path out;
  core::Vocabulary vocabulary;
  std::map<std::string, pl::ShardSample> samples;     // every split, by key
  std::map<std::string, std::set<std::string>> keys;  // split → keys

  Dataset() {
    loctex::testing::ShardSetOptions set;
    set.count = 24;
    set.seed = 7;
    set.width = 96;
    set.height = 72;
    set.grid = 16;
    set.shard_samples = 4;
    set.val_fraction = 0.25;
    out = loctex::testing::build_synthetic_shards(dir.path(), set).shards;
    vocabulary = core::Vocabulary::load(out / "vocab.txt");
    for (const auto& shard : pl::read_manifest(out / "manifest.json").shards) {
      pl::ShardReader reader(out / shard.name);
      while (auto sample = reader.next()) {
        keys[std::string(pl::to_string(shard.split))].insert(sample->key);
        samples[sample->key] = std::move(*sample);
      }
    }
  }
};

const Dataset& dataset() {
  static const Dataset d;
  return d;
}

struct SampleInfo {
  std::vector<std::string> words;
  std::vector<bool> has_trace;
  int grid = 0;
  std::vector<float> maps;  // [words][grid][grid]
  cv::Mat image;            // BGR
};

SampleInfo info_of(const std::string& key) {
  const auto& sample = dataset().samples.at(key);
  SampleInfo info;
  const auto json = Json::parse(sample.files.at("json"));
  for (const auto& word : json.at("words")) {
    info.words.push_back(word.at("text"));
    info.has_trace.push_back(word.at("has_trace"));
  }
  const auto npy = pl::decode_npy(sample.files.at("heatmaps.npy"));
  info.grid = static_cast<int>(npy.shape.at(1));
  info.maps = npy.to_floats();
  const auto& jpg = sample.files.at("jpg");
  info.image = cv::imdecode(cv::Mat(1, static_cast<int>(jpg.size()), CV_8U, const_cast<char*>(jpg.data())),
                            cv::IMREAD_COLOR);
  return info;
}

tr::DataConfig data_config(int workers = 2, const fs::path& shards = dataset().out) {
  tr::DataConfig data;
  data.shards = shards;
  data.workers = workers;
  data.prefetch = 2;
  return data;
}

tr::LoaderOptions loader_options() {
  tr::LoaderOptions o;
  o.batch_size = 4;
  o.image_size = 64;
  o.max_words = 40;
  o.seed = 3;
  return o;
}

std::vector<tr::Batch> draw(tr::BatchLoader& loader, int count) {
  std::vector<tr::Batch> batches;
  for (int i = 0; i < count; ++i) {
    auto batch = loader.next();
    if (!batch) break;
    batches.push_back(std::move(*batch));
  }
  return batches;
}

std::vector<tr::Batch> draw(const tr::DataConfig& data, const tr::LoaderOptions& options, int count) {
  tr::BatchLoader loader(data, dataset().vocabulary, options);
  return draw(loader, count);
}

bool same_batch(const tr::Batch& a, const tr::Batch& b) {
  return a.keys == b.keys && a.epoch == b.epoch && torch::equal(a.images, b.images) &&
         torch::equal(a.tokens, b.tokens) && torch::equal(a.heatmaps, b.heatmaps) &&
         torch::equal(a.has_trace, b.has_trace);
}

std::int64_t id_of(const std::string& word) {
  return static_cast<std::int64_t>(dataset().vocabulary.id(word));
}

// A copy of the data set that a test may damage.
fs::path copy_dataset(const TempDir& dir) {
  const fs::path copy = dir / "dataset";
  fs::copy(dataset().out, copy, fs::copy_options::recursive);
  return copy;
}

// ---- BatchLoader ------------------------------------------------------------

TEST(batch_loader_test, batches_hold_the_documented_shapes_tokens_and_heatmaps) {
  auto data = data_config();
  data.augment.flip = 0;  // so tokens are the caption's own
  auto options = loader_options();
  options.max_words = 60;
  const auto batches = draw(data, options, 5);
  ASSERT_EQ(batches.size(), 5u);
  int traced = 0;
  int padded = 0;
  for (const auto& batch : batches) {
    EXPECT_EQ(batch.images.sizes(), (std::vector<std::int64_t>{4, 3, 64, 64}));
    EXPECT_EQ(batch.images.scalar_type(), torch::kFloat32);
    EXPECT_EQ(batch.tokens.sizes(), (std::vector<std::int64_t>{4, 61}));
    EXPECT_EQ(batch.tokens.scalar_type(), torch::kInt64);
    EXPECT_EQ(batch.heatmaps.sizes(), (std::vector<std::int64_t>{4, 61, 2, 2}));
    EXPECT_EQ(batch.heatmaps.scalar_type(), torch::kFloat32);
    EXPECT_EQ(batch.has_trace.sizes(), (std::vector<std::int64_t>{4, 61}));
    EXPECT_EQ(batch.has_trace.scalar_type(), torch::kBool);
    ASSERT_EQ(batch.keys.size(), 4u);
    // Normalised [0, 1] values: (v - mean) / std per channel.
    EXPECT_GE(batch.images.min().item<float>(), (0 - 0.485f) / 0.229f - 1e-5f);
    EXPECT_LE(batch.images.max().item<float>(), (1 - 0.406f) / 0.225f + 1e-5f);

    const auto tokens = batch.tokens.accessor<std::int64_t, 2>();
    const auto has_trace = batch.has_trace.accessor<bool, 2>();
    const auto sum_tensor = batch.heatmaps.sum({2, 3});
    const auto sums = sum_tensor.accessor<float, 2>();
    for (std::size_t b = 0; b < 4; ++b) {
      const auto i = static_cast<std::int64_t>(b);
      const auto info = info_of(batch.keys[b]);
      ASSERT_TRUE(dataset().keys.at("train").contains(batch.keys[b]));
      EXPECT_EQ(tokens[i][0], static_cast<std::int64_t>(core::Vocabulary::kClsId));
      EXPECT_FALSE(has_trace[i][0]);
      for (std::size_t w = 0; w < 60; ++w) {
        const auto p = static_cast<std::int64_t>(w) + 1;
        if (w < info.words.size()) {
          EXPECT_EQ(tokens[i][p], id_of(info.words[w])) << batch.keys[b] << " word " << w;
          EXPECT_TRUE(!has_trace[i][p] || info.has_trace[w]);
        } else {
          EXPECT_EQ(tokens[i][p], static_cast<std::int64_t>(core::Vocabulary::kPadId));
          EXPECT_FALSE(has_trace[i][p]);
          ++padded;
        }
        if (has_trace[i][p]) {
          EXPECT_NEAR(sums[i][p], 1.0f, 1e-5f);
          ++traced;
        } else {
          EXPECT_EQ(sums[i][p], 0.0f);
        }
      }
    }
  }
  EXPECT_GT(traced, 100);
  EXPECT_GT(padded, 20);
}

TEST(batch_loader_test, keeps_the_first_max_words_words) {
  auto options = loader_options();
  options.max_words = 3;
  auto data = data_config();
  data.augment.flip = 0;
  const auto batches = draw(data, options, 1);
  ASSERT_EQ(batches.size(), 1u);
  const auto info = info_of(batches[0].keys[0]);
  ASSERT_GT(info.words.size(), 3u);
  EXPECT_EQ(batches[0].tokens.sizes(), (std::vector<std::int64_t>{4, 4}));
  const auto tokens = batches[0].tokens.accessor<std::int64_t, 2>();
  for (int w = 0; w < 3; ++w) EXPECT_EQ(tokens[0][w + 1], id_of(info.words[static_cast<std::size_t>(w)]));
}

// Without augmentation: the largest centred square, resized to S×S; a word's
// map is the G×G grid's cells under that square, area-averaged to g×g.
TEST(batch_loader_test, centre_crop_matches_a_reference_crop_of_image_and_heatmaps) {
  auto options = loader_options();
  options.augment = false;
  options.shuffle = false;
  options.repeat = false;
  options.image_size = 128;  // g = 4
  tr::BatchLoader loader(data_config(), dataset().vocabulary, options);
  int samples = 0;
  int traced = 0;
  while (auto batch = loader.next()) {
    const auto heatmaps = batch->heatmaps.accessor<float, 4>();
    const auto has_trace = batch->has_trace.accessor<bool, 2>();
    for (std::size_t b = 0; b < batch->keys.size(); ++b) {
      const auto i = static_cast<std::int64_t>(b);
      const auto info = info_of(batch->keys[b]);
      ASSERT_EQ(info.image.size(), cv::Size(96, 72));
      ASSERT_EQ(info.grid, 16);
      ++samples;

      // The image: columns 12..83 of 96, enlarged to 128 bilinearly, RGB, normalised.
      cv::Mat expected;
      cv::resize(info.image(cv::Rect(12, 0, 72, 72)), expected, cv::Size(128, 128), 0, 0, cv::INTER_LINEAR);
      const auto image = batch->images.accessor<float, 4>()[i];
      float worst = 0;
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 128; y += 7)
          for (int x = 0; x < 128; x += 5) {
            const float v =
                (expected.at<cv::Vec3b>(y, x)[2 - c] / 255.0f - tr::kImageMean[c]) / tr::kImageStd[c];
            worst = std::max(worst, std::abs(v - image[c][y][x]));
          }
      EXPECT_LT(worst, 1e-5f) << batch->keys[b];

      // The heatmaps: 12/96 of 16 cells = 2 cells off each side, so the
      // square covers whole cells 2..13 and each output cell 3×3 of them.
      for (std::size_t w = 0; w < info.words.size(); ++w) {
        const auto p = static_cast<std::int64_t>(w) + 1;
        cv::Mat map(16, 16, CV_32F, const_cast<float*>(info.maps.data() + w * 256));
        const double inside = cv::sum(map(cv::Rect(2, 0, 12, 16)))[0];
        const double total = cv::sum(map)[0];
        const bool expect_trace = info.has_trace[w] && inside >= 0.01 * total;
        ASSERT_EQ(has_trace[i][p], expect_trace) << batch->keys[b] << " word " << w;
        if (!expect_trace) continue;
        ++traced;
        cv::Mat pooled;
        cv::resize(map(cv::Rect(2, 0, 12, 16)), pooled, cv::Size(4, 4), 0, 0, cv::INTER_AREA);
        pooled /= cv::sum(pooled)[0];
        for (int y = 0; y < 4; ++y)
          for (int x = 0; x < 4; ++x)
            ASSERT_NEAR(heatmaps[i][p][y][x], pooled.at<float>(y, x), 1e-6)
                << batch->keys[b] << " word " << w;
      }
    }
  }
  EXPECT_EQ(samples, static_cast<int>(dataset().keys.at("train").size()));
  EXPECT_GT(traced, 100);
}

TEST(batch_loader_test, a_flip_mirrors_image_and_heatmaps_and_swaps_left_and_right) {
  auto options = loader_options();
  options.shuffle = false;
  options.image_size = 128;
  auto plain = data_config();
  plain.augment.jitter = 0;
  plain.augment.flip = 0;
  auto flipped = plain;
  flipped.augment.flip = 1;
  // The flip's draw is made either way, so both get the same crops.
  const auto a = draw(plain, options, 6);
  const auto b = draw(flipped, options, 6);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  const std::int64_t left = id_of("left");
  const std::int64_t right = id_of("right");
  ASSERT_NE(left, static_cast<std::int64_t>(core::Vocabulary::kUnkId));
  ASSERT_NE(right, static_cast<std::int64_t>(core::Vocabulary::kUnkId));
  int swapped = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].keys, b[k].keys);
    EXPECT_TRUE(torch::equal(a[k].images.flip({3}), b[k].images)) << "batch " << k;
    EXPECT_TRUE(torch::allclose(a[k].heatmaps.flip({3}), b[k].heatmaps, 0, 1e-7)) << "batch " << k;
    EXPECT_FALSE(torch::equal(a[k].heatmaps, b[k].heatmaps)) << "batch " << k;
    EXPECT_TRUE(torch::equal(a[k].has_trace, b[k].has_trace)) << "batch " << k;
    const auto plain_tokens = a[k].tokens.accessor<std::int64_t, 2>();
    const auto flipped_tokens = b[k].tokens.accessor<std::int64_t, 2>();
    for (std::int64_t i = 0; i < a[k].tokens.size(0); ++i)
      for (std::int64_t p = 0; p < a[k].tokens.size(1); ++p) {
        const auto t = plain_tokens[i][p];
        const auto expected = t == left ? right : t == right ? left : t;
        EXPECT_EQ(flipped_tokens[i][p], expected);
        swapped += t == left || t == right;
      }
  }
  EXPECT_GT(swapped, 5);
}

TEST(batch_loader_test, the_same_seed_gives_the_same_batches_whatever_the_worker_count) {
  const auto options = loader_options();
  const auto one = draw(data_config(1), options, 8);  // 32 samples: past the first epoch of 18
  const auto three = draw(data_config(3), options, 8);
  ASSERT_EQ(one.size(), 8u);
  ASSERT_EQ(three.size(), 8u);
  for (std::size_t k = 0; k < one.size(); ++k) EXPECT_TRUE(same_batch(one[k], three[k])) << "batch " << k;
  const auto train = static_cast<std::int64_t>(dataset().keys.at("train").size());
  EXPECT_EQ(one.back().epoch, 28 / train);  // the epoch of a batch's first sample
  EXPECT_GE(one.back().epoch, 1);

  auto other_seed = options;
  other_seed.seed = 4;
  const auto other = draw(data_config(2), other_seed, 8);
  ASSERT_EQ(other.size(), 8u);
  int differ = 0;
  for (std::size_t k = 0; k < one.size(); ++k) differ += !same_batch(one[k], other[k]);
  EXPECT_EQ(differ, 8);
  EXPECT_NE(one[0].keys, other[0].keys);  // the order, not only the augmentation
}

TEST(batch_loader_test, skip_batches_gives_the_batches_that_follow_those_drawn) {
  const auto options = loader_options();
  const auto all = draw(data_config(), options, 16);
  ASSERT_EQ(all.size(), 16u);
  for (const int skip : {1, 3, 5, 10}) {  // 10 batches: whole epochs skipped without reading them
    auto resumed = options;
    resumed.skip_batches = skip;
    const auto rest = draw(data_config(), resumed, 16 - skip);
    ASSERT_EQ(rest.size(), static_cast<std::size_t>(16 - skip));
    for (std::size_t k = 0; k < rest.size(); ++k)
      EXPECT_TRUE(same_batch(rest[k], all[k + static_cast<std::size_t>(skip)]))
          << "skip " << skip << " batch " << k;
  }
}

TEST(batch_loader_test, one_pass_visits_every_sample_of_the_split_once) {
  for (const std::string split : {"train", "val"}) {
    auto options = loader_options();
    options.split = split;
    options.repeat = false;
    tr::BatchLoader loader(data_config(3), dataset().vocabulary, options);
    std::multiset<std::string> seen;
    std::vector<std::int64_t> sizes;
    while (auto batch = loader.next()) {
      seen.insert(batch->keys.begin(), batch->keys.end());
      sizes.push_back(batch->images.size(0));
      EXPECT_EQ(batch->epoch, 0);
    }
    EXPECT_FALSE(loader.next());  // and stays at the end
    const auto& expected = dataset().keys.at(split);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected) << split;
    EXPECT_EQ(seen.size(), expected.size()) << split;
    const auto n = static_cast<std::int64_t>(expected.size());
    ASSERT_EQ(sizes.size(), static_cast<std::size_t>((n + 3) / 4));
    EXPECT_EQ(sizes.back(), n % 4 == 0 ? 4 : n % 4);
    const auto stats = loader.stats();
    EXPECT_EQ(stats.samples, n);
    EXPECT_EQ(stats.batches, static_cast<std::int64_t>(sizes.size()));
    EXPECT_EQ(stats.skipped_samples, 0);
    EXPECT_GE(stats.wait_seconds, 0.0);
  }
}

// The first train shard in the manifest, in a copy of the data set.
fs::path first_train_shard(const fs::path& folder) {
  for (const auto& shard : pl::read_manifest(folder / "manifest.json").shards)
    if (shard.split == pl::Split::train) return folder / shard.name;
  return {};
}

std::string error_of_a_pass(const fs::path& folder) {
  auto options = loader_options();
  options.repeat = false;
  tr::BatchLoader loader(data_config(2, folder), dataset().vocabulary, options);
  return error_of([&] {
    while (loader.next()) {
    }
  });
}

TEST(batch_loader_test, a_truncated_shard_is_an_error_naming_the_shard) {
  TempDir dir;
  const auto folder = copy_dataset(dir);
  const auto shard = first_train_shard(folder);
  fs::resize_file(shard, fs::file_size(shard) / 2);
  const auto message = error_of_a_pass(folder);
  EXPECT_NE(message.find(shard.string()), std::string::npos) << message;
  EXPECT_NE(message.find("bytes, the manifest says"), std::string::npos) << message;
}

// The same cut with a manifest that agrees on the size: the tar reader's error.
TEST(batch_loader_test, a_truncated_shard_that_the_manifest_agrees_with_is_an_error_naming_the_shard) {
  TempDir dir;
  const auto folder = copy_dataset(dir);
  const auto shard = first_train_shard(folder);
  const auto size = fs::file_size(shard) / 2 + 100;  // inside a member
  fs::resize_file(shard, size);
  auto manifest = Json::parse(read_text(folder / "manifest.json"));
  for (auto& entry : manifest.at("shards"))
    if (entry.at("name") == shard.filename().string()) entry["bytes"] = size;
  write_text(folder / "manifest.json", manifest.dump());
  const auto message = error_of_a_pass(folder);
  EXPECT_NE(message.find("cannot read " + shard.string() + ": member"), std::string::npos) << message;
}

TEST(batch_loader_test, a_sample_that_does_not_decode_is_skipped_and_counted) {
  TempDir dir;
  const auto folder = copy_dataset(dir);
  const auto shard = first_train_shard(folder);
  std::string bytes = read_text(shard);
  const auto soi = bytes.find("\xFF\xD8\xFF");  // the first JPEG's start
  ASSERT_NE(soi, std::string::npos);
  bytes[soi] = bytes[soi + 1] = 0;
  write_text(shard, bytes);
  std::string broken_key = pl::ShardReader(shard).next()->key;

  auto options = loader_options();
  options.repeat = false;
  tr::BatchLoader loader(data_config(2, folder), dataset().vocabulary, options);
  std::set<std::string> seen;
  while (auto batch = loader.next()) seen.insert(batch->keys.begin(), batch->keys.end());
  auto expected = dataset().keys.at("train");
  ASSERT_EQ(expected.erase(broken_key), 1u);
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(loader.stats().skipped_samples, 1);
  EXPECT_EQ(loader.stats().samples, static_cast<std::int64_t>(expected.size()));
}

TEST(batch_loader_test, the_destructor_returns_while_every_queue_is_full) {
  auto data = data_config(2);
  data.prefetch = 1;
  const auto start = std::chrono::steady_clock::now();
  {
    tr::BatchLoader loader(data, dataset().vocabulary, loader_options());
    ASSERT_TRUE(loader.next());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the threads fill the queues and block
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST(batch_loader_test, a_missing_manifest_or_unknown_split_is_refused) {
  TempDir dir;
  const auto message =
      error_of([&] { tr::BatchLoader(data_config(1, dir.path()), dataset().vocabulary, {}); });
  EXPECT_NE(message.find((dir / "manifest.json").string()), std::string::npos) << message;
  auto options = loader_options();
  options.split = "test";
  EXPECT_EQ(error_of([&] { tr::BatchLoader(data_config(), dataset().vocabulary, options); }),
            "split must be train or val, got 'test'");
}

// ---- augment ----------------------------------------------------------------

TEST(augment_test, random_resized_crop_stays_inside_the_image_and_within_its_bounds) {
  tr::AugmentConfig config;  // scale [0.5, 1], ratio [3/4, 4/3]
  for (const auto& [width, height] :
       std::vector<std::pair<int, int>>{{96, 72}, {341, 256}, {256, 341}, {500, 500}}) {
    std::mt19937_64 rng(11);
    double smallest = 1, largest = 0;
    for (int i = 0; i < 2000; ++i) {
      const auto crop = tr::random_resized_crop(width, height, config, rng);
      ASSERT_GE(crop.x, 0);
      ASSERT_GE(crop.y, 0);
      ASSERT_LE(crop.x + crop.width, 1 + 1e-12);
      ASSERT_LE(crop.y + crop.height, 1 + 1e-12);
      // Corners on whole pixels.
      const double w = crop.width * width, h = crop.height * height;
      ASSERT_NEAR(w, std::round(w), 1e-9);
      ASSERT_NEAR(h, std::round(h), 1e-9);
      ASSERT_NEAR(crop.x * width, std::round(crop.x * width), 1e-9);
      // Within the bounds, up to the rounding of each side to a pixel.
      ASSERT_GE((w + 0.5) * (h + 0.5), config.crop_min_scale * width * height) << width << "x" << height;
      ASSERT_GE((w + 0.5) / (h - 0.5), config.crop_min_ratio);
      ASSERT_LE((w - 0.5) / (h + 0.5), config.crop_max_ratio);
      const double scale = w * h / (width * height);
      smallest = std::min(smallest, scale);
      largest = std::max(largest, scale);
    }
    EXPECT_LT(smallest, 0.55) << width << "x" << height;  // the whole range is drawn
    EXPECT_GT(largest, 0.9) << width << "x" << height;
  }
}

TEST(augment_test, random_resized_crop_falls_back_to_a_centred_crop_in_the_ratio_range) {
  // No crop of half the area or more with a ratio in [3/4, 4/3] fits a 1000×100 strip.
  std::mt19937_64 rng(1);
  const auto crop = tr::random_resized_crop(1000, 100, {}, rng);
  EXPECT_EQ(crop, (tr::CropBox{433.0 / 1000, 0, 133.0 / 1000, 1}));
  EXPECT_EQ(tr::centre_crop(96, 72), (tr::CropBox{12.0 / 96, 0, 72.0 / 96, 1}));
  EXPECT_EQ(tr::centre_crop(72, 97), (tr::CropBox{0, 12.0 / 97, 1, 72.0 / 97}));
}

TEST(augment_test, random_resized_crop_is_a_function_of_the_generator) {
  std::mt19937_64 a(5), b(5);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(tr::random_resized_crop(341, 256, {}, a), tr::random_resized_crop(341, 256, {}, b));
}

// A random 16×16 map summing to 1.
std::vector<float> random_map(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> map(256);
  double sum = 0;
  for (float& v : map) sum += v = static_cast<float>(tr::uniform01(rng));
  for (float& v : map) v = static_cast<float>(v / sum);
  return map;
}

double sum_of(std::span<const float> values) {
  double s = 0;
  for (const float v : values) s += v;
  return s;
}

TEST(augment_test, pooling_the_whole_image_keeps_the_mass_of_each_block) {
  const auto map = random_map(1);
  std::vector<float> out(16);
  tr::HeatmapPooling(16, {}, 4, false).pool_mass(map, out);
  EXPECT_NEAR(sum_of(out), 1.0, 1e-6);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      double block = 0;
      for (int y = 4 * r; y < 4 * r + 4; ++y)
        for (int x = 4 * c; x < 4 * c + 4; ++x) block += map[static_cast<std::size_t>(16 * y + x)];
      EXPECT_NEAR(out[static_cast<std::size_t>(4 * r + c)], block, 1e-6);
    }
}

TEST(augment_test, pooling_a_crop_matches_a_brute_force_overlap_of_cells) {
  const auto map = random_map(2);
  const tr::CropBox crop{0.137, 0.291, 0.55, 0.61};
  const int g = 3;
  std::vector<float> out(g * g);
  tr::HeatmapPooling(16, crop, g, false).pool_mass(map, out);
  for (int r = 0; r < g; ++r)
    for (int c = 0; c < g; ++c) {
      // Output cell (r, c) as a rectangle in grid units, intersected with every input cell.
      const double x0 = 16 * (crop.x + crop.width * c / g), x1 = 16 * (crop.x + crop.width * (c + 1) / g);
      const double y0 = 16 * (crop.y + crop.height * r / g), y1 = 16 * (crop.y + crop.height * (r + 1) / g);
      double mass = 0;
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) {
          const double ox = std::max(0.0, std::min(x1, x + 1.0) - std::max(x0, 1.0 * x));
          const double oy = std::max(0.0, std::min(y1, y + 1.0) - std::max(y0, 1.0 * y));
          mass += ox * oy * map[static_cast<std::size_t>(16 * y + x)];
        }
      EXPECT_NEAR(out[static_cast<std::size_t>(g * r + c)], mass, 1e-7) << r << "," << c;
    }
  // The masses of two halves of a crop add up to the crop's.
  std::vector<float> left(4), right(4), whole(4);
  tr::HeatmapPooling(16, {0.2, 0.1, 0.3, 0.7}, 2, false).pool_mass(map, left);
  tr::HeatmapPooling(16, {0.5, 0.1, 0.3, 0.7}, 2, false).pool_mass(map, right);
  tr::HeatmapPooling(16, {0.2, 0.1, 0.6, 0.7}, 2, false).pool_mass(map, whole);
  EXPECT_NEAR(sum_of(left) + sum_of(right), sum_of(whole), 1e-6);
  EXPECT_NEAR(sum_of(whole), 0.6 * 0.7, 0.05);  // a roughly uniform random map
}

TEST(augment_test, a_flipped_pooling_is_the_mirror_and_a_trace_outside_the_crop_is_dropped) {
  const auto map = random_map(3);
  const tr::CropBox crop{0.1, 0.2, 0.7, 0.6};
  std::vector<float> plain(16), mirrored(16);
  ASSERT_TRUE(tr::HeatmapPooling(16, crop, 4, false).pool(map, plain));
  ASSERT_TRUE(tr::HeatmapPooling(16, crop, 4, true).pool(map, mirrored));
  EXPECT_NEAR(sum_of(plain), 1.0, 1e-6);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(mirrored[static_cast<std::size_t>(4 * r + c)],
                plain[static_cast<std::size_t>(4 * r + 3 - c)]);

  // All the mass in the top-left cell, the crop in the right half: nothing left.
  std::vector<float> corner(256, 0.0f);
  corner[0] = 1;
  std::vector<float> out(16, 7.0f);
  EXPECT_FALSE(tr::HeatmapPooling(16, {0.5, 0, 0.5, 1}, 4, false).pool(corner, out));
  EXPECT_EQ(sum_of(out), 0.0);
  EXPECT_FALSE(tr::HeatmapPooling(16, crop, 4, false).pool(std::vector<float>(256, 0.0f), out));
}

TEST(augment_test, caption_tokens_start_with_cls_pad_the_rest_and_swap_left_and_right_when_flipped) {
  core::VocabularyBuilder builder;
  for (const char* word : {"left", "right", "red", "red"}) builder.add(word);
  const auto vocabulary = builder.build(1);
  const auto id = [&](const char* w) { return static_cast<std::int64_t>(vocabulary.id(w)); };
  const std::vector<std::string> words = {"Red", "on", "the", "Left,", "right.", "red"};
  const std::int64_t cls = core::Vocabulary::kClsId, pad = core::Vocabulary::kPadId,
                     unk = core::Vocabulary::kUnkId;
  EXPECT_EQ(
      tr::caption_tokens(words, vocabulary, 8, false),
      (std::vector<std::int64_t>{cls, id("red"), unk, unk, id("left"), id("right"), id("red"), pad, pad}));
  EXPECT_EQ(tr::caption_tokens(words, vocabulary, 5, true),
            (std::vector<std::int64_t>{cls, id("red"), unk, unk, id("right"), id("left")}));
}

TEST(augment_test, augment_image_jitters_like_torchvision_and_normalises) {
  // A grey image: contrast and saturation leave it alone, brightness scales it.
  cv::Mat grey(8, 8, CV_8UC3, cv::Scalar(100, 100, 100));
  tr::AugmentParams params;
  params.brightness = 1.5;
  params.contrast = 0.6;
  params.saturation = 0.3;
  std::vector<float> out(3 * 4 * 4);
  tr::augment_image(grey, params, 4, out);
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(out[static_cast<std::size_t>(16 * c)], (150 / 255.0f - tr::kImageMean[c]) / tr::kImageStd[c],
                1e-5);

  // Saturation 0: every channel at the pixel's grey level 0.299 R + 0.587 G + 0.114 B.
  cv::Mat colour(4, 4, CV_8UC3, cv::Scalar(255, 0, 0));  // BGR: pure blue
  params = {};
  params.saturation = 0;
  tr::augment_image(colour, params, 4, out);
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(out[static_cast<std::size_t>(16 * c + 5)], (0.114f - tr::kImageMean[c]) / tr::kImageStd[c],
                1e-5);

  // No jitter: channel-major RGB of the crop; a flip mirrors it.
  cv::Mat image(2, 2, CV_8UC3, cv::Scalar(0, 0, 0));
  image.at<cv::Vec3b>(0, 0) = {0, 0, 255};  // red, top left
  params = {};
  params.flip = true;
  std::vector<float> small(12);
  tr::augment_image(image, params, 2, small);
  EXPECT_NEAR(small[1], (1 - tr::kImageMean[0]) / tr::kImageStd[0], 1e-5);  // red plane, top right
  EXPECT_NEAR(small[0], (0 - tr::kImageMean[0]) / tr::kImageStd[0], 1e-5);
}

}  // namespace
