// Forced alignment against ground truth made at test time: each word spoken
// separately by espeak-ng, the pieces joined with known silences, so every
// word's true start and end are known to the sample.
#include "align/forced_aligner.h"

#include <gtest/gtest.h>

extern "C" {
#include <flite/flite.h>
cst_voice* register_cmu_us_slt(const char* voxdir);
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "align/alignment_record.h"
#include "align/pronunciation.h"
#include "align/resample.h"
#include "core/audio_file.h"
#include "core/words.h"
#include "speech_support.h"
#include "test_support.h"

namespace {

using namespace loctex;
using loctex::testing::TempDir;
namespace fs = std::filesystem;

using loctex::testing::kRate;
using loctex::testing::speak;
using loctex::testing::Speech;
using loctex::testing::Truth;

struct Errors {
  double mean = 0;
  double max = 0;
};

// Boundary errors (starts and ends) of the aligned words against the truth.
Errors errors_of(const align::Alignment& a, const std::vector<Truth>& truth) {
  Errors e;
  int n = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (!a.words[i].aligned) continue;
    for (const double d : {a.words[i].start - truth[i].start, a.words[i].end - truth[i].end}) {
      e.mean += std::abs(d);
      e.max = std::max(e.max, std::abs(d));
      ++n;
    }
  }
  e.mean /= std::max(1, n);
  return e;
}

const std::vector<std::string> kWords = {"a",      "red", "circle", "sits", "in",     "the",
                                         "middle", "of",  "a",      "grey", "picture"};
const std::vector<double> kGaps = {0.4, 0.15, 0.1, 0.3, 0.12, 0.1, 0.2, 0.1, 0.15, 0.1, 0.25};

TEST(align_test, clean_speech_aligns_within_the_goal) {
  TempDir dir;
  const Speech speech = speak(dir, kWords, kGaps);
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, kWords);
  ASSERT_EQ(a.words.size(), kWords.size());
  for (const auto& w : a.words) EXPECT_TRUE(w.aligned) << w.text;
  const Errors e = errors_of(a, speech.truth);
  std::printf("clean: mean boundary error %.1f ms, max %.1f ms\n", e.mean * 1000, e.max * 1000);
  EXPECT_LT(e.mean, 0.050);
  EXPECT_LT(e.max, 0.250);
  EXPECT_NEAR(a.duration, static_cast<double>(speech.clip.samples.size()) / kRate, 1e-9);
  for (std::size_t i = 1; i < a.words.size(); ++i) EXPECT_GE(a.words[i].start, a.words[i - 1].end);
}

// A second voice for the ground truth: flite's "slt" (a US English woman,
// statistical parametric synthesis), unlike espeak-ng's formant voice.
std::vector<std::int16_t> say_flite(const TempDir&, const std::string& word) {
  static cst_voice* const voice = [] {
    flite_init();
    return register_cmu_us_slt(nullptr);
  }();
  cst_wave* wave = flite_text_to_wave(word.c_str(), voice);
  std::vector<std::int16_t> samples(wave->samples, wave->samples + wave->num_samples);
  const int rate = wave->sample_rate;
  delete_wave(wave);
  return loctex::testing::trimmed(align::resample(samples, rate, kRate));
}

const std::vector<std::vector<std::string>> kDescriptions = {
    {"in", "this", "picture", "we", "can", "see", "a", "dog", "on", "the", "grass"},
    {"there", "is", "a", "small", "blue", "square", "at", "the", "top", "left", "corner"},
    {"on", "the", "right", "side", "a", "woman", "is", "holding", "an", "umbrella"},
    {"behind", "them", "there", "are", "trees", "and", "a", "cloudy", "sky"}};

struct SetErrors {
  double sum = 0;  // seconds, over every start and end
  int boundaries = 0;
  double worst = 0;
  int far_off = 0;        // words with an edge over 250 ms off
  int far_unflagged = 0;  // of those, words not marked for checking
  double mean() const { return sum / std::max(1, boundaries); }
};

// Aligns each of kDescriptions, said by `sayer` with pauses of 0.05 to
// 0.8 s, over a noise floor `noise_dbfs` below full scale if given.
SetErrors align_descriptions(align::ForcedAligner& aligner, const loctex::testing::Sayer& sayer,
                             std::optional<double> noise_dbfs = std::nullopt) {
  TempDir dir;
  SetErrors e;
  for (std::size_t s = 0; s < kDescriptions.size(); ++s) {
    std::vector<double> gaps;
    for (std::size_t i = 0; i < kDescriptions[s].size(); ++i)
      gaps.push_back(0.05 + 0.15 * static_cast<double>((i * 7 + s * 3) % 6));
    Speech speech = speak(dir, kDescriptions[s], gaps, sayer);
    if (noise_dbfs) speech = loctex::testing::over_noise(std::move(speech), *noise_dbfs);
    const auto a = aligner.align(speech.clip, kDescriptions[s]);
    for (std::size_t i = 0; i < a.words.size(); ++i) {
      const auto& w = a.words[i];
      EXPECT_TRUE(w.aligned) << w.text;
      if (!w.aligned) continue;
      const double start = std::abs(w.start - speech.truth[i].start);
      const double end = std::abs(w.end - speech.truth[i].end);
      e.sum += start + end;
      e.boundaries += 2;
      e.worst = std::max({e.worst, start, end});
      if (std::max(start, end) > 0.250) {
        ++e.far_off;
        if (!w.needs_check()) ++e.far_unflagged;
      }
    }
  }
  return e;
}

// Several descriptions, each said by espeak-ng and by flite: the figures
// docs/alignment.md reports. The mean is within the 30 ms goal; a word
// placed far off (measured: espeak-ng's "at" put in the tail of "square")
// is flagged for checking, because its voice is left uncovered.
TEST(align_test, descriptions_by_two_voices_align_within_the_goal_and_gross_errors_are_flagged) {
  align::ForcedAligner aligner;
  SetErrors both;
  for (const auto& [name, sayer] : std::vector<std::pair<std::string, loctex::testing::Sayer>>{
           {"espeak-ng", loctex::testing::say}, {"flite", say_flite}}) {
    const SetErrors e = align_descriptions(aligner, sayer);
    std::printf("%s: mean boundary error %.1f ms, max %.1f ms over %d boundaries\n", name.c_str(),
                e.mean() * 1000, e.worst * 1000, e.boundaries);
    both.sum += e.sum;
    both.boundaries += e.boundaries;
    both.far_off += e.far_off;
    both.far_unflagged += e.far_unflagged;
  }
  std::printf("both voices: mean boundary error %.1f ms over %d boundaries, %d words over 250 ms\n",
              both.mean() * 1000, both.boundaries, both.far_off);
  EXPECT_LT(both.mean(), 0.030);
  EXPECT_LE(both.far_off, 1);
  EXPECT_EQ(both.far_unflagged, 0);
}

// Real recordings never hold digital silence: over a quiet room's noise
// floor (60 and 50 dB below full scale) the descriptions align as well, and
// a typed word never said is still flagged, whether the decoder skips it or
// presses it into its neighbour's last frames.
TEST(align_test, over_a_noise_floor_descriptions_align_and_a_word_never_said_is_flagged) {
  align::ForcedAligner aligner;
  for (const double noise : {-60.0, -50.0}) {
    const SetErrors e = align_descriptions(aligner, say_flite, noise);
    const SetErrors espeak = align_descriptions(aligner, loctex::testing::say, noise);
    std::printf(
        "noise floor %g dBFS: mean boundary error %.1f ms (flite), %.1f ms (espeak-ng), max %.1f ms\n", noise,
        e.mean() * 1000, espeak.mean() * 1000, std::max(e.worst, espeak.worst) * 1000);
    EXPECT_LT((e.sum + espeak.sum) / (e.boundaries + espeak.boundaries), 0.030) << noise;
    EXPECT_EQ(e.far_unflagged + espeak.far_unflagged, 0) << noise;

    TempDir dir;
    const Speech speech = loctex::testing::over_noise(speak(dir, kWords, kGaps), noise);
    auto typed = kWords;
    typed.insert(typed.begin() + 2, "big");  // never said
    const auto a = aligner.align(speech.clip, typed);
    EXPECT_TRUE(a.words[2].needs_check()) << noise;
    for (const std::size_t i : {std::size_t{1}, std::size_t{3}}) {  // "red" and "circle"
      const auto& truth = speech.truth[i == 1 ? 1 : 2];
      EXPECT_LT(std::abs(a.words[i].start - truth.start), 0.150) << noise << " " << a.words[i].text;
      EXPECT_LT(std::abs(a.words[i].end - truth.end), 0.150) << noise << " " << a.words[i].text;
    }
  }
}

TEST(align_test, a_48_khz_recording_aligns_the_same) {
  TempDir dir;
  Speech speech = speak(dir, kWords, kGaps);
  speech.clip.samples = align::resample(speech.clip.samples, kRate, 48000);
  speech.clip.sample_rate = 48000;
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, kWords);
  const Errors e = errors_of(a, speech.truth);
  // Reproducible: the same recording aligns the same in another aligner,
  // and after other recordings in this one.
  align::ForcedAligner other;
  other.align(speak(dir, {"grey"}, {0.2}).clip, {"grey"});
  const auto again = other.align(speech.clip, kWords);
  for (std::size_t i = 0; i < a.words.size(); ++i) {
    EXPECT_EQ(again.words[i].start, a.words[i].start) << kWords[i];
    EXPECT_EQ(again.words[i].end, a.words[i].end) << kWords[i];
  }
  std::printf("48 kHz: mean boundary error %.1f ms, max %.1f ms\n", e.mean * 1000, e.max * 1000);
  EXPECT_LT(e.mean, 0.050);
  EXPECT_LT(e.max, 0.250);
}

TEST(align_test, a_typed_word_never_spoken_is_flagged_and_its_neighbours_stay_right) {
  TempDir dir;
  const Speech speech = speak(dir, kWords, kGaps);
  auto typed = kWords;
  typed.insert(typed.begin() + 2, "big");  // "a red big circle ...": "big" was never said
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, typed);
  ASSERT_EQ(a.words.size(), typed.size());
  EXPECT_FALSE(a.words[2].aligned);
  EXPECT_TRUE(a.words[2].in_dictionary);
  EXPECT_EQ(a.words[2].confidence, 0.0);
  EXPECT_EQ(a.words[2].doubts, std::vector<std::string>{align::kDoubtUnaligned});
  EXPECT_TRUE(a.words[2].needs_check());
  for (const std::size_t i : {std::size_t{1}, std::size_t{3}}) {  // "red" and "circle"
    const auto& truth = speech.truth[i == 1 ? 1 : 2];
    ASSERT_TRUE(a.words[i].aligned) << a.words[i].text;
    EXPECT_LT(std::abs(a.words[i].start - truth.start), 0.150) << a.words[i].text;
    EXPECT_LT(std::abs(a.words[i].end - truth.end), 0.150) << a.words[i].text;
  }
}

TEST(align_test, clean_speech_raises_no_doubts) {
  TempDir dir;
  const Speech speech = speak(dir, kWords, kGaps);
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, kWords);
  EXPECT_TRUE(a.untyped_speech.empty());
  for (const auto& w : a.words) {
    EXPECT_TRUE(w.doubts.empty()) << w.text << " " << w.doubts.front();
    EXPECT_EQ(w.confidence, 1.0) << w.text;
    EXPECT_FALSE(w.needs_check()) << w.text;
    EXPECT_GT(w.voiced, 0.5) << w.text;
  }
  EXPECT_EQ(a.words[1].phones, "R EH D");
}

// A word said but not typed is voice no aligned word covers: it is reported
// where it was said, and the typed words either side of it are flagged.
TEST(align_test, a_word_said_but_not_typed_is_found_and_its_neighbours_flagged) {
  TempDir dir;
  const Speech speech = speak(dir, kWords, kGaps);
  align::ForcedAligner aligner;
  for (const std::size_t said :
       {std::size_t{2}, std::size_t{6}, std::size_t{10}}) {  // circle, middle, picture
    auto typed = kWords;
    typed.erase(typed.begin() + static_cast<std::ptrdiff_t>(said));
    const auto a = aligner.align(speech.clip, typed);
    ASSERT_EQ(a.untyped_speech.size(), 1u) << kWords[said];
    EXPECT_NEAR(a.untyped_speech[0].start, speech.truth[said].start, 0.05) << kWords[said];
    EXPECT_NEAR(a.untyped_speech[0].end, speech.truth[said].end, 0.05) << kWords[said];
    for (std::size_t i = 0; i < typed.size(); ++i) {
      const bool neighbour = i + 1 == said || i == said;  // typed[said] is the word after it
      EXPECT_EQ(a.words[i].needs_check(), neighbour) << kWords[said] << ": " << typed[i];
      if (neighbour) {
        EXPECT_EQ(a.words[i].doubts, std::vector<std::string>{align::kDoubtBesideUntyped});
      }
    }
  }
}

// The same in continuous speech ("the middle of" run together, over a noise
// floor too): the words either side are not stretched over the untyped
// word's voice when their edges are fitted to the voice.
TEST(align_test, a_word_said_but_not_typed_in_continuous_speech_is_still_found) {
  TempDir dir;
  auto gaps = kGaps;
  gaps[6] = gaps[7] = 0;  // "the", "middle" and "of" touch
  auto typed = kWords;
  typed.erase(typed.begin() + 6);
  align::ForcedAligner aligner;
  for (const std::optional<double> noise : {std::optional<double>{}, std::optional<double>{-60.0}}) {
    Speech speech = speak(dir, kWords, gaps);
    if (noise) speech = loctex::testing::over_noise(std::move(speech), *noise);
    const auto a = aligner.align(speech.clip, typed);
    ASSERT_EQ(a.untyped_speech.size(), 1u);
    const auto& run = a.untyped_speech[0];
    // Most of "middle" is reported (its edges may go to its neighbours).
    const double overlap =
        std::min(run.end, speech.truth[6].end) - std::max(run.start, speech.truth[6].start);
    EXPECT_GT(overlap, 0.6 * (speech.truth[6].end - speech.truth[6].start));
    EXPECT_EQ(a.words[5].doubts, std::vector<std::string>{align::kDoubtBesideUntyped});  // "the"
    EXPECT_EQ(a.words[6].doubts, std::vector<std::string>{align::kDoubtBesideUntyped});  // "of"
  }
}

// Fluent speech, each description said in one breath by espeak-ng: the
// checks flag nothing (measured: "at" in "square at the top" gets the
// decoder's least frames, as reduced "at"s do, and is not too_short for it).
TEST(align_test, fluent_speech_raises_few_doubts) {
  TempDir dir;
  align::ForcedAligner aligner;
  int flagged = 0, words_said = 0;
  for (const std::string text : {"a red circle sits in the middle of a grey picture",
                                 "in this picture we can see a dog on the grass and there is a small blue "
                                 "square at the top left corner"}) {
    Speech speech;
    speech.clip.sample_rate = kRate;
    speech.clip.channels = 1;
    speech.clip.samples.assign(kRate / 4, 0);
    const auto said = loctex::testing::say(dir, text);
    speech.clip.samples.insert(speech.clip.samples.end(), said.begin(), said.end());
    speech.clip.samples.insert(speech.clip.samples.end(), kRate / 4, 0);
    const auto words = core::caption_words(text);
    const auto a = aligner.align(speech.clip, words);
    EXPECT_TRUE(a.untyped_speech.empty()) << text;
    for (const auto& w : a.words) {
      EXPECT_TRUE(w.aligned) << w.text;
      flagged += w.needs_check() ? 1 : 0;
    }
    words_said += static_cast<int>(words.size());
  }
  std::printf("fluent speech: %d of %d words flagged\n", flagged, words_said);
  EXPECT_EQ(flagged, 0);
}

// Annotators stop to look at the image: seconds of silence between words
// must not pull the words into the pause.
TEST(align_test, long_pauses_keep_the_words_where_they_were_said) {
  TempDir dir;
  auto gaps = kGaps;
  gaps[3] = 4.0;  // before "sits"
  gaps[8] = 2.5;  // before the second "a"
  const Speech speech = speak(dir, kWords, gaps);
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, kWords);
  for (const auto& w : a.words) EXPECT_TRUE(w.aligned) << w.text;
  const Errors e = errors_of(a, speech.truth);
  std::printf("long pauses: mean boundary error %.1f ms, max %.1f ms\n", e.mean * 1000, e.max * 1000);
  EXPECT_LT(e.mean, 0.050);
  EXPECT_LT(e.max, 0.250);
  // The pauses are not taken for speech: what voice the words leave
  // uncovered (the tail of a word ended early) lies within a spoken word.
  for (const auto& run : a.untyped_speech)
    EXPECT_TRUE(
        std::any_of(speech.truth.begin(), speech.truth.end(),
                    [&](const Truth& t) { return run.start >= t.start - 0.02 && run.end <= t.end + 0.02; }))
        << run.start << "-" << run.end;
}

TEST(align_test, voice_activity_finds_voice_relative_to_the_recording) {
  // 0.5 s of quiet noise, 0.3 s of a loud tone, a 40 ms dip, 0.2 s of tone,
  // 0.5 s of quiet noise, at 16 kHz.
  std::vector<std::int16_t> samples;
  const auto add = [&](double seconds, double amplitude) {
    for (int i = 0; i < static_cast<int>(seconds * kRate); ++i)
      samples.push_back(static_cast<std::int16_t>(amplitude * std::sin(i * 0.3) + (i % 7) - 3));
  };
  add(0.5, 0);
  add(0.3, 8000);
  add(0.04, 0);
  add(0.2, 8000);
  add(0.5, 0);
  const align::VoiceActivity voice(samples, kRate);
  EXPECT_EQ(voice.frames(), 154u);
  EXPECT_FALSE(voice.voiced(10));
  EXPECT_TRUE(voice.voiced(60));
  EXPECT_NEAR(voice.voiced_fraction(0.5, 0.8), 1.0, 1e-9);
  EXPECT_NEAR(voice.voiced_fraction(0.0, 0.5), 0.0, 1e-9);
  EXPECT_NEAR(voice.voiced_fraction(0.3, 0.7), 0.5, 1e-9);
  EXPECT_EQ(voice.voiced_fraction(0.7, 0.7), 0.0);
  // The dip is bridged: one run of voice.
  EXPECT_EQ(voice.uncovered_voice({}, 0.15), (std::vector<align::Span>{{0.5, 1.04}}));
  // A word covering the first tone leaves the second, long enough to report.
  EXPECT_EQ(voice.uncovered_voice({{0.5, 0.8}}, 0.15), (std::vector<align::Span>{{0.84, 1.04}}));
  EXPECT_TRUE(voice.uncovered_voice({{0.5, 0.8}}, 0.25).empty());
  EXPECT_TRUE(voice.uncovered_voice({{0.4, 1.1}}, 0.15).empty());
}

TEST(align_test, a_word_the_dictionary_lacks_is_pronounced_by_letter_to_sound_and_aligns) {
  TempDir dir;
  auto words = kWords;
  words[6] = "mizzleburg";  // not in the CMU dictionary; espeak-ng says it by its own rules
  const Speech speech = speak(dir, words, kGaps);
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, words);
  EXPECT_FALSE(a.words[6].in_dictionary);
  EXPECT_EQ(a.words[6].pronounced_by, "letter-to-sound");
  ASSERT_TRUE(a.words[6].aligned);
  // Within the worst-case bound: flite guesses one pronunciation, espeak-ng
  // says its own.
  EXPECT_LT(std::abs(a.words[6].start - speech.truth[6].start), 0.250);
  EXPECT_LT(std::abs(a.words[6].end - speech.truth[6].end), 0.250);
  const Errors e = errors_of(a, speech.truth);
  EXPECT_LT(e.mean, 0.050);
  // The word stays known to this aligner, and is still not the dictionary's.
  const auto again = aligner.align(speech.clip, words);
  EXPECT_FALSE(again.words[6].in_dictionary);
  EXPECT_EQ(again.words[6].pronounced_by, "letter-to-sound");
}

TEST(align_test, digits_are_spelled_out_and_align) {
  TempDir dir;
  const std::vector<std::string> words = {"there", "are", "42", "dots"};
  const Speech speech = speak(dir, words, {0.3, 0.15, 0.2, 0.2});  // espeak-ng says "forty-two"
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, words);
  EXPECT_EQ(a.words[2].pronounced_by, "number");
  ASSERT_TRUE(a.words[2].aligned);
  EXPECT_LT(std::abs(a.words[2].start - speech.truth[2].start), 0.150);
  EXPECT_LT(std::abs(a.words[2].end - speech.truth[2].end), 0.150);
  EXPECT_EQ(align::spell_number("42"), (std::vector<std::string>{"forty", "two"}));
  EXPECT_TRUE(align::spell_number("4x").empty());
}

TEST(align_test, a_word_nothing_can_pronounce_is_left_unaligned_between_aligned_neighbours) {
  TempDir dir;
  const Speech speech = speak(dir, kWords, kGaps);
  auto typed = kWords;
  typed[6] = "\u2014";  // a dash only: no letters to say
  align::ForcedAligner aligner;
  const auto a = aligner.align(speech.clip, typed);
  EXPECT_TRUE(a.words[6].pronounced_by.empty());
  EXPECT_FALSE(a.words[6].aligned);
  EXPECT_TRUE(a.words[5].aligned);
  EXPECT_TRUE(a.words[7].aligned);
  EXPECT_LT(std::abs(a.words[7].start - speech.truth[7].start), 0.150);
}

TEST(align_test, letter_to_sound_gives_cmu_phones) {
  EXPECT_EQ(align::letter_to_sound("circle"), "S ER K AH L");
  EXPECT_EQ(align::letter_to_sound(""), std::nullopt);
}

TEST(align_test, typed_words_are_looked_up_without_case_or_punctuation) {
  EXPECT_EQ(align::ForcedAligner::lookup_form("Circle,"), "circle");
  EXPECT_EQ(align::ForcedAligner::lookup_form("\"dog's\""), "dog's");
  EXPECT_EQ(align::ForcedAligner::lookup_form("..."), "");
}

// The record stored with a narrative says which words still need a look:
// doubtful and not corrected by hand. A record from elsewhere is read, never
// trusted: wrong types or a word count that does not match give no flags.
TEST(align_test, the_stored_record_tells_which_words_need_checking_until_they_are_corrected) {
  align::Alignment a;
  a.duration = 2;
  for (const auto& [text, confidence] :
       std::vector<std::pair<std::string, double>>{{"a", 1.0}, {"red", 0.4}, {"circle", 0.0}}) {
    align::AlignedWord w;
    w.text = text;
    w.aligned = confidence > 0;
    w.start = w.end = 0.5;
    w.confidence = confidence;
    a.words.push_back(w);
  }
  core::Narrative n;
  n.caption = "a red circle";
  align::apply_alignment(n, a);
  EXPECT_EQ(align::words_to_check(n), (std::vector<bool>{false, true, true}));
  align::mark_corrected(n, 1);
  align::mark_corrected(n, 7);  // no such word: nothing
  EXPECT_EQ(n.extra[align::kAlignmentField]["words"][1]["corrected"], true);
  EXPECT_EQ(align::words_to_check(n), (std::vector<bool>{false, false, true}));

  auto odd = n;
  odd.extra[align::kAlignmentField]["words"][2]["confidence"] = "low";
  odd.extra[align::kAlignmentField]["words"][0]["corrected"] = "yes";
  EXPECT_EQ(align::words_to_check(odd), (std::vector<bool>{false, false, false}));
  odd.timed_caption.pop_back();  // the caption's words changed elsewhere
  EXPECT_TRUE(align::words_to_check(odd).empty());
  odd.extra[align::kAlignmentField] = "not a record";
  align::mark_corrected(odd, 0);
  EXPECT_TRUE(align::words_to_check(odd).empty());
  EXPECT_TRUE(align::words_to_check(core::Narrative{}).empty());
}

TEST(align_test, bad_input_is_refused_with_the_reason) {
  align::ForcedAligner aligner;
  core::AudioClip empty;
  empty.sample_rate = kRate;
  EXPECT_THROW(aligner.align(empty, {"a"}), std::invalid_argument);
  core::AudioClip second{kRate, 1, std::vector<std::int16_t>(kRate, 0)};
  EXPECT_THROW(aligner.align(second, {}), std::invalid_argument);
  try {
    aligner.align(second, std::vector<std::string>(12, "word"));  // 12 words in 1 s
    ADD_FAILURE() << "a second is not enough for 12 words";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "the recording is 1.00 s long, too short for 12 words (at least 1.20 s at 10 words a second)");
  }
  // Ten words fit in a second; silence holds none of them.
  EXPECT_THROW(aligner.align(second, std::vector<std::string>(10, "word")), std::runtime_error);
  align::AlignerOptions missing;
  missing.model = "/nonexistent/model";
  EXPECT_THROW(align::ForcedAligner{missing}, std::runtime_error);
}

}  // namespace
