#include "align/forced_aligner.h"

#include <pocketsphinx.h>
#include <sphinxbase/fsg_model.h>

#include <cmath>
#include <map>
#include <optional>
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
                     "-remove_silence", "no", "-dither", "yes", "-seed", "1", "-beam", beam, "-wbeam", beam,
                     "-pbeam", beam, "-logfn", "/dev/null", nullptr);
}

// "the(2)" (an alternative pronunciation) is "the".
std::string base_word(const char* word) {
  std::string w = word;
  const auto paren = w.find('(');
  return paren == std::string::npos ? w : w.substr(0, paren);
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
    }
    for (const auto& [word, entry] : added)
      if (char* known = ps_lookup_word(d.ps, word.c_str()); known)
        ckd_free(known);
      else
        ps_add_word(d.ps, word.c_str(), entry.first.c_str(), FALSE);
    return d.ps;
  }
  ~Impl() {
    for (Decoder* d : {&narrow, &wide}) {
      if (d->ps) ps_free(d->ps);
      if (d->config) cmd_ln_free_r(d->config);
    }
  }
};

ForcedAligner::ForcedAligner(AlignerOptions options) : m_impl(std::make_unique<Impl>()) {
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
  const auto audio = resample(clip.samples, clip.sample_rate, kRate);
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
      w.pronounced_by = it->second.second;
      continue;
    }
    if (dictionary_phones(w.lookup)) {
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
    if (phones) m_impl->added.emplace(w.lookup, std::pair{*phones, w.pronounced_by});
  }

  for (const bool wide : {false, true}) {
    ps_decoder_t* ps = m_impl->decoder(wide);
    logmath_t* lmath = ps_get_logmath(ps);
    // States 0..n; word i goes from state i to i + 1, or is skipped at a
    // heavy penalty. A word the dictionary lacks is always skipped.
    const auto n = static_cast<std::int32_t>(words.size());
    fsg_model_t* fsg = fsg_model_init("align", lmath, 1.0, n + 1);
    fsg->start_state = 0;
    fsg->final_state = n;
    const std::int32_t skip = logmath_log(lmath, m_impl->options.skip_probability);
    for (std::int32_t i = 0; i < n; ++i) {
      const auto& w = result.words[static_cast<std::size_t>(i)];
      if (!w.pronounced_by.empty()) {
        fsg_model_trans_add(fsg, i, i + 1, 0, fsg_model_word_add(fsg, w.lookup.c_str()));
        fsg_model_null_trans_add(fsg, i, i + 1, skip);
      } else {
        fsg_model_null_trans_add(fsg, i, i + 1, 0);  // cannot be said: always skipped
      }
    }
    fsg_model_add_silence(fsg, "<sil>", -1, 1.0);
    const int set = ps_set_fsg(ps, "align", fsg);
    fsg_model_free(fsg);  // the decoder keeps its own reference
    if (set != 0 || ps_set_search(ps, "align") != 0)
      throw std::runtime_error("pocketsphinx refused the transcript's grammar");
    ps_start_utt(ps);
    ps_process_raw(ps, audio.data(), audio.size(), FALSE, TRUE);
    ps_end_utt(ps);
    std::int32_t score = 0;
    if (!ps_get_hyp(ps, &score)) continue;  // no path: try the wide beams
    result.retried = wide;
    // Segments in order; each real word is the next transcript word with its
    // dictionary form, words passed over were skipped.
    std::size_t next = 0;
    for (ps_seg_t* seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
      const std::string word = base_word(ps_seg_word(seg));
      if (word.empty() || word[0] == '<' || word[0] == '[') continue;  // silence and fillers
      while (next < result.words.size() && result.words[next].lookup != word) ++next;
      if (next == result.words.size()) break;
      int first = 0, last = 0;
      ps_seg_frames(seg, &first, &last);
      std::int32_t acoustic = 0, language = 0, backoff = 0;
      ps_seg_prob(seg, &acoustic, &language, &backoff);
      auto& w = result.words[next++];
      w.aligned = true;
      w.start = first * kFrameSeconds;
      w.end = (last + 1) * kFrameSeconds;
      w.frame_score = logmath_log_to_ln(lmath, acoustic) / std::max(1, last - first + 1);
    }
    return result;
  }
  throw std::runtime_error("no alignment found, even with the widest beams: is the audio speech at all?");
}

}  // namespace loctex::align
