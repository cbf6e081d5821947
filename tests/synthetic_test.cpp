#include "core/synthetic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/ln_jsonl.h"
#include "test_support.h"

namespace {

using loctex::core::kSynthColours;
using loctex::core::Narrative;
using loctex::core::synthesize_sample;
using loctex::core::SynthObject;
using loctex::core::SynthOptions;
using loctex::core::SynthSample;

constexpr std::size_t kSamples = 40;  // enough to meet every grammar branch, still fast

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string strip_punctuation(std::string word) {
  while (!word.empty() && (word.back() == ',' || word.back() == '.')) word.pop_back();
  return word;
}

// The words of an object's range, without punctuation, joined by spaces.
std::string object_text(const Narrative& n, const SynthObject& obj) {
  const auto words = split_words(n.caption);
  std::string text;
  for (std::size_t i = obj.first_word; i < obj.last_word; ++i) {
    if (!text.empty()) text += ' ';
    text += strip_punctuation(words.at(i));
  }
  return text;
}

// [start of its first word, end of its last word] read back from
// timed_caption, as a consumer of the files would.
std::pair<double, double> object_span(const Narrative& n, const SynthObject& obj) {
  double start = -1, end = -1;
  std::size_t word = 0;
  for (const auto& u : n.timed_caption) {
    const std::size_t count = split_words(u.utterance).size();
    if (word <= obj.first_word && obj.first_word < word + count) start = u.start_time;
    if (word < obj.last_word && obj.last_word <= word + count) end = u.end_time;
    word += count;
  }
  return {start, end};
}

// The grammar's phrase for the third of the image, in each direction, that
// holds (cx, cy).
std::string expected_position(double cx, double cy) {
  static const char* const kPhrases[3][3] = {
      {"at the top left", "at the top", "at the top right"},
      {"on the left", "in the center", "on the right"},
      {"at the bottom left", "at the bottom", "at the bottom right"},
  };
  const auto third = [](double v) { return v < 1.0 / 3 ? 0 : (v < 2.0 / 3 ? 1 : 2); };
  return kPhrases[third(cy)][third(cx)];
}

cv::Mat decode(const SynthSample& s) { return cv::imdecode(s.jpeg, cv::IMREAD_COLOR); }

std::string nearest_colour(const cv::Vec3d& bgr) {
  std::string best;
  double best_d = 1e300;
  for (const auto& c : kSynthColours) {
    const double d = std::pow(bgr[2] - c.r, 2) + std::pow(bgr[1] - c.g, 2) + std::pow(bgr[0] - c.b, 2);
    if (d < best_d) best_d = d, best = std::string(c.name);
  }
  return best;
}

std::string validation_error(const SynthOptions& o) {
  return loctex::testing::error_of<std::invalid_argument>([&] { loctex::core::validate_synth_options(o); });
}

}  // namespace

TEST(synthetic_test, same_seed_and_index_give_identical_samples_whatever_else_was_generated) {
  const SynthOptions options;
  const SynthSample first = synthesize_sample(options, 5);
  for (std::size_t i = 0; i < 5; ++i) synthesize_sample(options, i);
  const SynthSample again = synthesize_sample(options, 5);
  EXPECT_EQ(first.narrative, again.narrative);
  EXPECT_EQ(first.objects, again.objects);
  EXPECT_EQ(first.jpeg, again.jpeg);
}

TEST(synthetic_test, different_seeds_and_indices_give_different_samples) {
  SynthOptions other_seed;
  other_seed.seed = 2;
  const SynthSample a = synthesize_sample(SynthOptions{}, 3);
  const SynthSample b = synthesize_sample(other_seed, 3);
  const SynthSample c = synthesize_sample(SynthOptions{}, 4);
  EXPECT_NE(a.narrative.traces, b.narrative.traces);
  EXPECT_NE(a.jpeg, b.jpeg);
  EXPECT_NE(a.narrative.traces, c.narrative.traces);
  EXPECT_NE(a.jpeg, c.jpeg);
}

TEST(synthetic_test, narrative_has_the_ln_identity_fields) {
  SynthOptions options;
  options.dataset_id = "demo";
  std::set<std::int64_t> annotators;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const Narrative n = synthesize_sample(options, i).narrative;
    EXPECT_EQ(n.dataset_id, "demo");
    EXPECT_EQ(n.voice_recording, "");
    EXPECT_GE(n.annotator_id, 1);
    EXPECT_LE(n.annotator_id, options.annotators);
    annotators.insert(n.annotator_id);
  }
  EXPECT_EQ(synthesize_sample(options, 42).narrative.image_id, "000042");
  EXPECT_GE(annotators.size(), 3u);
}

TEST(synthetic_test, caption_names_each_objects_size_colour_and_shape_in_its_word_range) {
  const SynthOptions options;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    ASSERT_GE(s.objects.size(), 1u);
    ASSERT_LE(s.objects.size(), 4u);
    const std::size_t words = split_words(s.narrative.caption).size();
    std::size_t previous_end = 0;
    for (const auto& obj : s.objects) {
      ASSERT_LT(obj.first_word, obj.last_word);
      ASSERT_LE(obj.last_word, words);
      EXPECT_GE(obj.first_word, previous_end);  // ranges are in caption order and disjoint
      previous_end = obj.last_word;
      EXPECT_EQ(object_text(s.narrative, obj).rfind("a " + obj.label() + " ", 0), 0u)
          << s.narrative.caption << " / " << obj.label();
    }
  }
}

TEST(synthetic_test, position_words_match_the_drawn_geometry) {
  const SynthOptions options;
  std::set<std::string> phrases;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    for (std::size_t k = 0; k < s.objects.size(); ++k) {
      const SynthObject& obj = s.objects[k];
      const std::string where = object_text(s.narrative, obj).substr(("a " + obj.label() + " ").size());
      phrases.insert(where);
      const double cx = (obj.x0 + obj.x1) / 2, cy = (obj.y0 + obj.y1) / 2;
      if (where.ends_with(" it")) {
        ASSERT_GT(k, 0u);
        const SynthObject& prev = s.objects[k - 1];
        const double dx = (cx - (prev.x0 + prev.x1) / 2) * s.width;
        const double dy = (cy - (prev.y0 + prev.y1) / 2) * s.height;
        if (where == "below it") {
          EXPECT_GT(dy, 2 * std::abs(dx) - 1);
        }
        if (where == "above it") {
          EXPECT_LT(dy, -2 * std::abs(dx) + 1);
        }
        if (where == "to the right of it") {
          EXPECT_GT(dx, 2 * std::abs(dy) - 1);
        }
        if (where == "to the left of it") {
          EXPECT_LT(dx, -2 * std::abs(dy) + 1);
        }
      } else {
        EXPECT_EQ(where, expected_position(cx, cy)) << s.narrative.caption;
      }
    }
  }
  EXPECT_GE(phrases.size(), 9u);  // the grammar's variety shows up in a small set
}

TEST(synthetic_test, drawn_colour_and_size_match_the_words) {
  const SynthOptions options;
  // The documented extent of each size word; the box's longer side over the
  // image's shorter side.
  const std::map<std::string, std::pair<double, double>> kExtent = {
      {"small", {0.13, 0.18}}, {"medium", {0.23, 0.30}}, {"large", {0.36, 0.44}}};
  for (std::size_t i = 0; i < kSamples; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    const cv::Mat image = decode(s);
    const auto patch = [&](double x, double y) {  // mean colour of the 3x3 pixels around (x, y)
      const int px = static_cast<int>(x * s.width), py = static_cast<int>(y * s.height);
      const cv::Scalar mean = cv::mean(image(cv::Rect(px - 1, py - 1, 3, 3)));
      return cv::Vec3d(mean[0], mean[1], mean[2]);
    };
    for (const auto& obj : s.objects) {
      const double cx = (obj.x0 + obj.x1) / 2, cy = (obj.y0 + obj.y1) / 2;
      if (obj.shape == "ring") {
        // The band sits 84% of the way out; the centre is a hole that shows
        // the background, far from the ring's colour.
        const cv::Vec3d band = patch(cx + 0.84 * (obj.x1 - cx), cy);
        EXPECT_EQ(nearest_colour(band), obj.colour) << "index " << i << ": " << obj.label();
        EXPECT_GT(cv::norm(patch(cx, cy) - band), 40.0) << "index " << i << ": " << obj.label();
      } else {
        EXPECT_EQ(nearest_colour(patch(cx, cy)), obj.colour) << "index " << i << ": " << obj.label();
      }
      const double extent =
          std::max((obj.x1 - obj.x0) * s.width, (obj.y1 - obj.y0) * s.height) / std::min(s.width, s.height);
      const auto [lo, hi] = kExtent.at(obj.size_word);
      EXPECT_TRUE(extent > lo - 0.002 && extent < hi + 0.002) << obj.label() << ": " << extent;
    }
  }
}

TEST(synthetic_test, timed_caption_is_monotonic_and_spells_the_caption) {
  const SynthOptions options;
  bool multi_word = false;
  double total_words = 0.0, total_seconds = 0.0;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const Narrative n = synthesize_sample(options, i).narrative;
    std::vector<std::string> spoken;
    double previous_end = 0.0;
    for (const auto& u : n.timed_caption) {
      EXPECT_LE(u.start_time, u.end_time);
      EXPECT_LE(previous_end, u.start_time);
      previous_end = u.end_time;
      const auto words = split_words(u.utterance);
      EXPECT_GE(words.size(), 1u);
      EXPECT_LE(words.size(), 3u);
      multi_word = multi_word || words.size() > 1;
      spoken.insert(spoken.end(), words.begin(), words.end());
    }
    EXPECT_EQ(spoken, split_words(n.caption));
    const double seconds = n.timed_caption.back().end_time - n.timed_caption.front().start_time;
    const double rate = static_cast<double>(spoken.size()) / seconds;
    EXPECT_TRUE(rate > 1.5 && rate < 3.5) << rate << " words per second";
    total_words += static_cast<double>(spoken.size());
    total_seconds += seconds;
  }
  EXPECT_TRUE(multi_word);
  EXPECT_NEAR(total_words / total_seconds, 2.5, 0.2) << "words per second, natural speech";
}

TEST(synthetic_test, trace_stays_over_each_object_while_it_is_named) {
  const SynthOptions options;
  const double margin = 0.05;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    for (const auto& obj : s.objects) {
      const auto [start, end] = object_span(s.narrative, obj);
      ASSERT_LT(start, end);
      std::size_t during = 0, inside = 0;
      for (const auto& segment : s.narrative.traces) {
        for (const auto& p : segment) {
          if (p.t < start || p.t > end) continue;
          ++during;
          inside += p.x >= obj.x0 - margin && p.x <= obj.x1 + margin && p.y >= obj.y0 - margin &&
                    p.y <= obj.y1 + margin;
        }
      }
      ASSERT_GT(during, 0u);
      EXPECT_GE(static_cast<double>(inside) / static_cast<double>(during), 0.7)
          << "index " << i << ": " << obj.label();
    }
  }
}

TEST(synthetic_test, trace_samples_at_60_hz_within_the_band_and_covers_the_speech) {
  const SynthOptions options;
  for (std::size_t i = 0; i < kSamples; ++i) {
    const Narrative n = synthesize_sample(options, i).narrative;
    ASSERT_FALSE(n.traces.empty());
    EXPECT_LT(n.traces.front().front().t, 0.1);
    EXPECT_GT(n.traces.back().back().t, n.timed_caption.back().end_time);
    for (const auto& segment : n.traces) {
      ASSERT_FALSE(segment.empty());
      for (std::size_t k = 0; k < segment.size(); ++k) {
        const auto& p = segment[k];
        EXPECT_TRUE(p.x >= -0.1 && p.x <= 1.1 && p.y >= -0.1 && p.y <= 1.1) << p.x << ", " << p.y;
        if (k > 0) {
          EXPECT_NEAR(p.t - segment[k - 1].t, 1.0 / 60, 0.0011);
        }
      }
    }
  }
}

TEST(synthetic_test, leaving_the_band_ends_the_segment_and_reentry_starts_a_new_one) {
  SynthOptions options;
  options.band_exit_probability = 1.0;
  options.excursion_probability = 0.0;
  for (std::size_t i = 0; i < 10; ++i) {
    const Narrative n = synthesize_sample(options, i).narrative;
    ASSERT_GE(n.traces.size(), 2u) << "index " << i;
    const auto& left = n.traces[0].back();
    const auto& back = n.traces[1].front();
    EXPECT_GT(back.t - left.t, 0.1);  // time passed outside the band
    // The last point before the exit and the first after re-entry lie in the
    // band's outer part: a quick flick covers up to ~0.1 per sample.
    const auto near_edge = [](const loctex::core::TracePoint& p) {
      const double d = std::min({p.x + 0.1, 1.1 - p.x, p.y + 0.1, 1.1 - p.y});
      return d >= 0 && d < 0.15;
    };
    EXPECT_TRUE(near_edge(left)) << left.x << ", " << left.y;
    EXPECT_TRUE(near_edge(back)) << back.x << ", " << back.y;
  }
}

TEST(synthetic_test, small_excursions_stay_inside_the_band_in_one_segment) {
  SynthOptions options;
  options.band_exit_probability = 0.0;
  options.excursion_probability = 1.0;
  for (std::size_t i = 0; i < 10; ++i) {
    const Narrative n = synthesize_sample(options, i).narrative;
    ASSERT_EQ(n.traces.size(), 1u) << "index " << i;
    const bool outside_image = std::any_of(n.traces[0].begin(), n.traces[0].end(), [](const auto& p) {
      return p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1;
    });
    EXPECT_TRUE(outside_image) << "index " << i;
  }
}

TEST(synthetic_test, jpeg_decodes_to_the_requested_size) {
  SynthOptions options;
  options.width = 200;
  options.height = 150;
  const SynthSample s = synthesize_sample(options, 0);
  EXPECT_EQ(s.width, 200);
  EXPECT_EQ(s.height, 150);
  const cv::Mat image = decode(s);
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 200);
  EXPECT_EQ(image.rows, 150);
  for (const auto& obj : s.objects) {
    EXPECT_TRUE(0 <= obj.x0 && obj.x0 < obj.x1 && obj.x1 <= 1 && 0 <= obj.y0 && obj.y0 < obj.y1 &&
                obj.y1 <= 1);
  }
}

TEST(synthetic_test, crowded_layouts_still_hold_the_requested_number_of_objects) {
  SynthOptions options;
  options.width = 64;
  options.height = 64;
  options.min_objects = options.max_objects = loctex::core::kSynthMaxObjects;
  for (std::size_t i = 0; i < 10; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    ASSERT_EQ(s.objects.size(), static_cast<std::size_t>(loctex::core::kSynthMaxObjects));
    for (std::size_t a = 0; a < s.objects.size(); ++a) {
      for (std::size_t b = a + 1; b < s.objects.size(); ++b) {
        const auto &p = s.objects[a], &q = s.objects[b];
        const bool apart = p.x1 <= q.x0 || q.x1 <= p.x0 || p.y1 <= q.y0 || q.y1 <= p.y0;
        EXPECT_TRUE(apart) << "index " << i << ": " << p.label() << " overlaps " << q.label();
      }
    }
  }
}

TEST(synthetic_test, rejects_bad_options_naming_the_field) {
  SynthOptions o;
  o.count = 0;
  EXPECT_EQ(validation_error(o), "count must be at least 1, got 0");
  o = {};
  o.width = 10;
  EXPECT_EQ(validation_error(o), "width must be between 64 and 4096, got 10");
  o = {};
  o.min_objects = 3;
  o.max_objects = 2;
  EXPECT_EQ(validation_error(o), "max_objects must be between 3 and 6, got 2");
  o = {};
  o.dataset_id.clear();
  EXPECT_EQ(validation_error(o), "dataset_id must not be empty");
  o = {};
  o.band = std::nan("");
  EXPECT_EQ(validation_error(o), "band must be between 0.01 and 0.5, got nan");
  EXPECT_EQ(validation_error(SynthOptions{}), "(no exception)");
  EXPECT_THROW(synthesize_sample(o, 0), std::invalid_argument);
}

TEST(synthetic_test, write_synthetic_set_writes_images_narratives_and_objects) {
  const loctex::testing::TempDir dir;
  SynthOptions options;
  options.count = 4;
  std::vector<std::size_t> progress;
  const auto report =
      loctex::core::write_synthetic_set(options, dir / "out", [&](std::size_t done, std::size_t total) {
        EXPECT_EQ(total, 4u);
        progress.push_back(done);
      });
  EXPECT_EQ(progress, (std::vector<std::size_t>{1, 2, 3, 4}));
  EXPECT_EQ(report.images, 4u);
  EXPECT_EQ(report.narratives_file, dir / "out" / "narratives.jsonl");
  EXPECT_EQ(report.objects_file, dir / "out" / "objects.jsonl");

  const auto ln = loctex::core::read_ln_file(report.narratives_file);
  ASSERT_EQ(ln.narratives.size(), 4u);
  std::ifstream objects_in(report.objects_file);
  std::size_t words = 0, points = 0, objects = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const SynthSample s = synthesize_sample(options, i);
    EXPECT_EQ(ln.narratives[i], s.narrative);
    const auto image = report.images_dir / (s.narrative.image_id + ".jpg");
    EXPECT_EQ(loctex::testing::read_text(image), std::string(s.jpeg.begin(), s.jpeg.end())) << image;

    std::string line;
    ASSERT_TRUE(std::getline(objects_in, line));
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("dataset_id"), "loctex_synth");
    EXPECT_EQ(j.at("image_id"), s.narrative.image_id);
    EXPECT_EQ(j.at("width"), 320);
    EXPECT_EQ(j.at("height"), 240);
    ASSERT_EQ(j.at("objects").size(), s.objects.size());
    const auto& first = j.at("objects").at(0);
    EXPECT_EQ(first.at("label"), s.objects[0].label());
    EXPECT_EQ(first.at("shape"), s.objects[0].shape);
    EXPECT_EQ(first.at("colour"), s.objects[0].colour);
    EXPECT_EQ(first.at("size"), s.objects[0].size_word);
    EXPECT_EQ(first.at("box"),
              (std::vector<double>{s.objects[0].x0, s.objects[0].y0, s.objects[0].x1, s.objects[0].y1}));
    EXPECT_EQ(first.at("words"), (std::vector<std::size_t>{s.objects[0].first_word, s.objects[0].last_word}));

    words += split_words(s.narrative.caption).size();
    objects += s.objects.size();
    for (const auto& segment : s.narrative.traces) points += segment.size();
  }
  EXPECT_EQ(report.words, words);
  EXPECT_EQ(report.points, points);
  EXPECT_EQ(report.objects, objects);

  // Nothing but the outputs: no temporary file is left behind.
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "out")) {
    names.insert(std::filesystem::relative(entry.path(), dir / "out").string());
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"images", "images/000000.jpg", "images/000001.jpg", "images/000002.jpg",
                                   "images/000003.jpg", "narratives.jsonl", "objects.jsonl"}));
}

TEST(synthetic_test, write_synthetic_set_fails_naming_the_path_when_the_folder_cannot_be_made) {
  const loctex::testing::TempDir dir;
  const auto file = dir / "file";
  loctex::testing::write_text(file, "x");
  const std::string error = loctex::testing::error_of<std::runtime_error>(
      [&] { loctex::core::write_synthetic_set(SynthOptions{}, file); });
  EXPECT_EQ(error.rfind("cannot create folder " + (file / "images").string() + ": ", 0), 0u) << error;
  EXPECT_FALSE(std::filesystem::exists(file / "narratives.jsonl"));
}
