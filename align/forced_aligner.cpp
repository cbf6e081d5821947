#include "align/forced_aligner.h"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fsg_model.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>

#include "align/pronunciation.h"
#include "align/resample.h"
#include "core/vocabulary.h"

namespace loctex::align {
namespace {

constexpr int kRate = 16000;            // the acoustic model's
constexpr double kFrameSeconds = 0.01;  // pocketsphinx's frame shift

// The decoder's settings, measured on this version (docs/alignment.md):
// silence removal shifts times by seconds, exact digital silence needs
// dither, and the default beams sometimes find no path through a forced
// grammar.
cmd_ln_t* make_config(const AlignerOptions& o, const char* beam) {
  return cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", o.model.c_str(), "-dict", o.dictionary.c_str(),
                     "-remove_silence", "no", "-dither", "no", "-beam", beam, "-wbeam", beam, "-pbeam", beam,
                     nullptr);
}

// Exact digital silence (a padded start, a muted gap) stalls the decoder's
// front end, which takes the log of each frame's energy: add one least
// significant bit to a quarter of the samples, as pocketsphinx's own -dither
// does. Its dither draws from one random generator shared by every decoder
// in the process, so an alignment would depend on what was aligned before
// it and on other threads; this one starts from the same seed every call.
std::vector<std::int16_t> dithered(std::vector<std::int16_t> samples) {
  std::minstd_rand random(1);
  for (auto& s : samples)
    if (random() % 4 == 0 && s < INT16_MAX) ++s;
  return samples;
}

// "the(2)" (an alternative pronunciation) is "the".
std::string base_word(const char* word) {
  std::string w = word;
  const auto paren = w.find('(');
  return paren == std::string::npos ? w : w.substr(0, paren);
}

std::size_t phone_count(const std::string& phones) {
  std::size_t n = 0;
  bool in_phone = false;
  for (const char c : phones) {
    if (c != ' ' && !in_phone) ++n;
    in_phone = c != ' ';
  }
  return n;
}

// Fits each aligned word's edges to the voice. The decoder places a word's
// edge at a pause by its silence model, which on this model ends words early
// and starts them early or late by tens of milliseconds (measured: espeak-ng
// word ends 80 to 200 ms early); the voice's levels say where sound starts and
// stops to the frame. An edge over silence moves in to the word's first or
// last voiced frame. An edge on voice moves out to where that voice stops,
// over frames no other word holds, only if it stops within 0.2 s: voice
// running on is continuous speech, perhaps a word said but not typed, and
// stays uncovered for assess() to report. A word is never carried into
// another's voice or far from where the decoder heard it.
void fit_to_voice(Alignment& a, const VoiceActivity& voice) {
  constexpr std::ptrdiff_t kMaxMoveFrames = 20;
  constexpr std::ptrdiff_t kMinFrames = 3;  // a word keeps at least this much
  const auto frame = [](double seconds) {
    return static_cast<std::ptrdiff_t>(VoiceActivity::frame_of(seconds));
  };
  // Whole frames only: a word never ends past the recording.
  const auto frames = std::min(static_cast<std::ptrdiff_t>(voice.frames()),
                               static_cast<std::ptrdiff_t>(a.duration / kFrameSeconds));
  const auto voiced = [&](std::ptrdiff_t f) {
    return f >= 0 && f < frames && voice.voiced(static_cast<std::size_t>(f));
  };
  // Where the voice from `edge` on (step -1: backwards) stops, if it stops
  // within the limit and before `bound`; nullopt if it runs on.
  const auto voice_stops = [&](std::ptrdiff_t edge, std::ptrdiff_t step,
                               std::ptrdiff_t bound) -> std::optional<std::ptrdiff_t> {
    for (std::ptrdiff_t k = 0, f = edge; k <= kMaxMoveFrames && f != bound; ++k, f += step)
      if (!voiced(f)) return f;
    return std::nullopt;
  };
  std::ptrdiff_t floor = 0;  // the previous aligned word's end
  for (std::size_t i = 0; i < a.words.size(); ++i) {
    auto& w = a.words[i];
    if (!w.aligned) continue;
    std::ptrdiff_t ceiling = frames;  // the next aligned word's start
    for (std::size_t k = i + 1; k < a.words.size(); ++k)
      if (a.words[k].aligned) {
        ceiling = std::min(ceiling, frame(a.words[k].start));
        break;
      }
    std::ptrdiff_t first = frame(w.start), last = std::min(frame(w.end), frames);  // [first, last)
    if (voiced(first)) {
      if (const auto stop = voice_stops(first - 1, -1, floor - 1)) first = *stop + 1;
    } else {
      std::ptrdiff_t f = first;
      while (f < last - kMinFrames && !voiced(f)) ++f;
      if (voiced(f) && f - first <= kMaxMoveFrames) first = f;
    }
    if (voiced(last - 1)) {
      if (const auto stop = voice_stops(last, 1, ceiling)) last = *stop;
    } else {
      std::ptrdiff_t f = last;
      while (f > first + kMinFrames && !voiced(f - 1)) --f;
      if (voiced(f - 1) && last - f <= kMaxMoveFrames) last = f;
    }
    w.start = static_cast<double>(first) * kFrameSeconds;
    w.end = static_cast<double>(last) * kFrameSeconds;
    floor = last;
  }
}

// Checks the alignment against where the voice is, and turns the doubts into
// a confidence (docs/alignment.md): each doubt scales it down, so a word
// with two is below one with one.
void assess(Alignment& a, const VoiceActivity& voice, const AlignerOptions& options) {
  constexpr double kMinVoiced = 0.5;        // a word is mostly voice
  constexpr double kMaxPhoneSeconds = 0.3;  // slow speech takes about 0.15 s a phone
  // A phone is three states of at least a frame each: a word of three or
  // more phones given no more was pressed in by the grammar (measured: a
  // typed word never said, over a noise floor, is put in its neighbour's
  // last 90 ms instead of skipped). Shorter words are left alone: fluent
  // speech reduces "at" and "of" to that (measured: every "at" of the demo's
  // espeak-ng voices, 8 in 196 words).
  constexpr std::size_t kMinFramesPerPhone = 3;
  constexpr std::size_t kMinPhonesTooShort = 3;
  constexpr double kDoubtFactor = 0.4;
  std::vector<Span> covered;
  for (const auto& w : a.words)
    if (w.aligned) covered.push_back({w.start, w.end});
  a.untyped_speech = voice.uncovered_voice(covered, options.untyped_min_seconds);

  // The aligned words nearest to each run of untyped voice, before and after
  // it: where the missing words belong.
  std::vector<bool> beside(a.words.size(), false);
  for (const auto& run : a.untyped_speech) {
    std::optional<std::size_t> before, after;
    for (std::size_t i = 0; i < a.words.size(); ++i) {
      if (!a.words[i].aligned) continue;
      if (a.words[i].end <= run.start) before = i;
      if (a.words[i].start >= run.end && !after) after = i;
    }
    for (const auto& i : {before, after})
      if (i) beside[*i] = true;
  }

  for (std::size_t i = 0; i < a.words.size(); ++i) {
    auto& w = a.words[i];
    if (!w.aligned) {
      w.doubts = {kDoubtUnaligned};
      continue;
    }
    w.voiced = voice.voiced_fraction(w.start, w.end);
    w.confidence = 1;
    if (w.voiced < kMinVoiced) {
      w.doubts.emplace_back(kDoubtSilent);
      w.confidence *= w.voiced;
    }
    const std::size_t phones = std::max<std::size_t>(1, phone_count(w.phones));
    if ((w.end - w.start) / static_cast<double>(phones) > kMaxPhoneSeconds) {
      w.doubts.emplace_back(kDoubtTooLong);
      w.confidence *= kDoubtFactor;
    }
    if (phones >= kMinPhonesTooShort &&
        static_cast<std::size_t>(w.decoded_frames) <= kMinFramesPerPhone * phones) {
      w.doubts.emplace_back(kDoubtTooShort);
      w.confidence *= kDoubtFactor;
    }
    if (beside[i]) {
      w.doubts.emplace_back(kDoubtBesideUntyped);
      w.confidence *= kDoubtFactor;
    }
  }
}

}  // namespace

struct ForcedAligner::Impl {
  // One decoder per beam width, opened on first use: a recording that needs
  // the wide beams does not cost the next one a reload of the model.
  struct Decoder {
    cmd_ln_t* config = nullptr;
    ps_decoder_t* ps = nullptr;
  };
  AlignerOptions options;
  Decoder narrow, wide;
  // Words this aligner gave pronunciations (word → phones, source): they
  // are put into each decoder's dictionary, but are not the dictionary's own.
  std::map<std::string, std::pair<std::string, std::string>> added;

  ps_decoder_t* decoder(bool wide_beams) {
    Decoder& d = wide_beams ? wide : narrow;
    if (!d.ps) {
      d.config = make_config(options, wide_beams ? "1e-300" : "1e-80");
      if (!d.config) throw std::runtime_error("pocketsphinx refused its configuration");
      d.ps = ps_init(d.config);
      if (!d.ps)
        throw std::runtime_error("cannot load the pocketsphinx model " + options.model.string() +
                                 " or dictionary " + options.dictionary.string());
      // A decoder opened later learns the words the other one was taught.
      for (const auto& [word, entry] : added) ps_add_word(d.ps, word.c_str(), entry.first.c_str(), FALSE);
    }
    return d.ps;
  }
  // Teaches every open decoder a word's pronunciation, once.
  void add_word(const std::string& word, const std::string& phones, const std::string& source) {
    added.emplace(word, std::pair{phones, source});
    for (Decoder* d : {&narrow, &wide})
      if (d->ps) ps_add_word(d->ps, word.c_str(), phones.c_str(), FALSE);
  }
  // Forces words [first, last) through `audio` (16 kHz), which starts
  // `offset` seconds into the recording, and fills in the words found; each
  // may be skipped at a heavy penalty if `skippable`. False if no beam width
  // finds a path.
  bool decode(const std::vector<std::int16_t>& audio, double offset, std::vector<AlignedWord>& words,
              std::size_t first, std::size_t last, bool skippable, bool& retried) {
    for (const bool wide_beams : {false, true}) {
      ps_decoder_t* ps = decoder(wide_beams);
      logmath_t* lmath = ps_get_logmath(ps);
      // States 0..n; word k goes from state k to k + 1, or is skipped at a
      // heavy penalty. A word that cannot be pronounced is always skipped.
      const auto n = static_cast<std::int32_t>(last - first);
      fsg_model_t* fsg = fsg_model_init("align", lmath, 1.0, n + 1);
      fsg->start_state = 0;
      fsg->final_state = n;
      const std::int32_t skip = logmath_log(lmath, options.skip_probability);
      for (std::int32_t k = 0; k < n; ++k) {
        const auto& w = words[first + static_cast<std::size_t>(k)];
        if (!w.pronounced_by.empty()) {
          fsg_model_trans_add(fsg, k, k + 1, 0, fsg_model_word_add(fsg, w.lookup.c_str()));
          if (skippable) fsg_model_null_trans_add(fsg, k, k + 1, skip);
        } else {
          fsg_model_null_trans_add(fsg, k, k + 1, 0);
        }
      }
      fsg_model_add_silence(fsg, "<sil>", -1, 1.0);
      const int set = ps_set_fsg(ps, "align", fsg);
      fsg_model_free(fsg);  // the decoder keeps its own reference
      if (set != 0 || ps_set_search(ps, "align") != 0)
        throw std::runtime_error("pocketsphinx refused the transcript's grammar");
      // A new stream: the noise level the front end estimated from earlier
      // recordings is forgotten, so each alignment is its recording's alone.
      ps_start_stream(ps);
      ps_start_utt(ps);
      ps_process_raw(ps, audio.data(), audio.size(), FALSE, TRUE);
      ps_end_utt(ps);
      std::int32_t score = 0;
      if (!ps_get_hyp(ps, &score)) continue;  // no path: try the wide beams
      retried = retried || wide_beams;
      // Segments in order; each real word is the next transcript word with
      // its dictionary form, words passed over were skipped.
      std::size_t next = first;
      for (ps_seg_t* seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
        const std::string word = base_word(ps_seg_word(seg));
        if (word.empty() || word[0] == '<' || word[0] == '[') continue;  // silence and fillers
        while (next < last && words[next].lookup != word) ++next;
        if (next == last) {
          ps_seg_free(seg);
          break;
        }
        int from = 0, to = 0;
        ps_seg_frames(seg, &from, &to);
        auto& w = words[next++];
        w.aligned = true;
        w.start = offset + from * kFrameSeconds;
        w.end = offset + (to + 1) * kFrameSeconds;
        w.decoded_frames = to - from + 1;
      }
      return true;
    }
    return false;
  }
  ~Impl() {
    for (Decoder* d : {&narrow, &wide}) {
      if (d->ps) ps_free(d->ps);
      if (d->config) cmd_ln_free_r(d->config);
    }
  }
};

ForcedAligner::ForcedAligner(AlignerOptions options) : m_impl(std::make_unique<Impl>()) {
  // pocketsphinx logs through one process-wide file; -logfn would reopen it
  // with every decoder while others write to it. Silence it once instead.
  static std::once_flag quiet;
  std::call_once(quiet, [] { err_set_logfp(nullptr); });
  for (const auto& file : {options.model, options.dictionary})
    if (!std::filesystem::exists(file))
      throw std::runtime_error(file.string() + ": not found (Debian's pocketsphinx-en-us installs it)");
  m_impl->options = std::move(options);
  m_impl->decoder(false);  // loads the model now, so a bad one fails here
}

ForcedAligner::~ForcedAligner() = default;

std::string ForcedAligner::lookup_form(const std::string& word) { return core::normalize_word(word); }

Alignment ForcedAligner::align(const core::AudioClip& clip, const std::vector<std::string>& words) {
  if (clip.samples.empty() || clip.sample_rate <= 0) throw std::invalid_argument("the recording is empty");
  if (words.empty()) throw std::invalid_argument("the transcript has no words");
  // Fast speech is about four words a second; ten is not speech.
  constexpr double kMaxWordsPerSecond = 10;
  if (const double need = static_cast<double>(words.size()) / kMaxWordsPerSecond; clip.duration() < need) {
    char text[160];
    std::snprintf(
        text, sizeof text,
        "the recording is %.2f s long, too short for %zu words (at least %.2f s at %g words a second)",
        clip.duration(), words.size(), need, kMaxWordsPerSecond);
    throw std::invalid_argument(text);
  }
  const auto audio = dithered(resample(clip.samples, clip.sample_rate, kRate));
  Alignment result;
  result.duration = static_cast<double>(audio.size()) / kRate;
  result.words.resize(words.size());
  ps_decoder_t* dictionary = m_impl->decoder(false);
  const auto dictionary_phones = [dictionary](const std::string& word) -> std::optional<std::string> {
    char* phones = ps_lookup_word(dictionary, word.c_str());
    if (!phones) return std::nullopt;
    std::string out = phones;
    ckd_free(phones);
    return out;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    auto& w = result.words[i];
    w.text = words[i];
    w.lookup = lookup_form(words[i]);
    if (w.lookup.empty()) continue;
    if (const auto it = m_impl->added.find(w.lookup); it != m_impl->added.end()) {
      w.phones = it->second.first;
      w.pronounced_by = it->second.second;
      continue;
    }
    if (auto own = dictionary_phones(w.lookup)) {
      w.phones = std::move(*own);
      w.in_dictionary = true;
      w.pronounced_by = "dictionary";
      continue;
    }
    std::optional<std::string> phones;
    if (const auto spelled = spell_number(w.lookup); !spelled.empty()) {
      std::string joined;
      for (const auto& part : spelled) {
        auto part_phones = dictionary_phones(part);
        if (!part_phones) part_phones = letter_to_sound(part);
        if (!part_phones) {
          joined.clear();
          break;
        }
        joined += (joined.empty() ? "" : " ") + *part_phones;
      }
      if (!joined.empty()) {
        phones = joined;
        w.pronounced_by = "number";
      }
    } else if ((phones = letter_to_sound(w.lookup))) {
      w.pronounced_by = "letter-to-sound";
    }
    if (phones) {
      w.phones = *phones;
      m_impl->add_word(w.lookup, *phones, w.pronounced_by);
    }
  }

  if (!m_impl->decode(audio, 0, result.words, 0, result.words.size(), true, result.retried))
    throw std::runtime_error("no alignment found, even with the widest beams: is the audio speech at all?");

  // Second pass: a pronounceable word the whole-recording search skipped,
  // with voice no aligned word covers between its aligned neighbours, is
  // aligned again within that gap alone (measured: a final word after long
  // pauses can be pruned from the first pass, and is found in the second).
  const VoiceActivity voice(audio, kRate);
  for (std::size_t i = 0; i < result.words.size();) {
    const auto& w = result.words[i];
    if (w.aligned || w.pronounced_by.empty()) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < result.words.size() && !result.words[end].aligned) ++end;
    // From the nearest aligned word before: one that cannot be pronounced
    // has no end.
    double from = 0;
    for (std::size_t k = i; k-- > 0;)
      if (result.words[k].aligned) {
        from = result.words[k].end;
        break;
      }
    const double to = end < result.words.size() ? result.words[end].start : result.duration;
    std::vector<Span> around = {{0, from}, {to, result.duration}};
    if (!voice.uncovered_voice(around, m_impl->options.untyped_min_seconds).empty()) {
      const auto first = static_cast<std::size_t>(std::lround(from * kRate));
      const auto last = std::min(audio.size(), static_cast<std::size_t>(std::lround(to * kRate)));
      const std::vector<std::int16_t> gap(audio.begin() + static_cast<std::ptrdiff_t>(first),
                                          audio.begin() + static_cast<std::ptrdiff_t>(last));
      bool retried = false;
      m_impl->decode(gap, from, result.words, i, end, false, retried);
    }
    i = end;
  }
  fit_to_voice(result, voice);
  assess(result, voice, m_impl->options);
  return result;
}

}  // namespace loctex::align
