#pragma once
// Offline forced alignment of a typed transcript to the annotator's voice:
// Debian's pocketsphinx (0.8+5prealpha) through its C API, with a
// finite-state grammar built in code that forces the exact word sequence,
// the whole recording decoded as one utterance, and word segments read back
// in 10 ms frames (docs/alignment.md gives the measured settings and why).
//
// Each word may also be skipped, at a heavy penalty, so a typed word that was
// never spoken leaves its neighbours right and is marked unaligned. A word
// the dictionary lacks is pronounced by flite's letter-to-sound rules, and a
// number is spelled out first (align/pronunciation.h); a word that cannot be
// pronounced at all is left unaligned and its neighbours align around it.
//
// A ForcedAligner holds its decoders: use one per thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "align/voice_activity.h"
#include "core/audio_file.h"

namespace loctex::align {

struct AlignerOptions {
  // Debian's pocketsphinx-en-us acoustic model and CMU dictionary.
  std::filesystem::path model = "/usr/share/pocketsphinx/model/en-us/en-us";
  std::filesystem::path dictionary = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";
  // Probability of skipping a word: low enough that only a word the audio
  // does not hold is skipped.
  double skip_probability = 1e-40;
  // Voice at least this long that no aligned word covers is reported as
  // speech not in the transcript.
  double untyped_min_seconds = 0.15;
};

// Why a word's alignment deserves a look, in AlignedWord::doubts; each
// lowers its confidence.
inline constexpr const char* kDoubtUnaligned = "unaligned";  // skipped or cannot be pronounced
inline constexpr const char* kDoubtSilent = "silent";        // mostly over silence
inline constexpr const char* kDoubtTooLong = "too_long";     // far longer than its sounds take
inline constexpr const char* kDoubtTooShort = "too_short";   // the decoder's shortest span: pressed in
inline constexpr const char* kDoubtBesideUntyped = "beside_untyped_speech";  // next to voice no word covers
// Set by the app, not the aligner: its found time was dropped for a hand
// tap of another word (align/alignment_record.h).
inline constexpr const char* kDoubtDisplaced = "displaced";
// Words below this confidence are shown to the annotator to check.
inline constexpr double kLowConfidence = 0.5;

struct AlignedWord {
  std::string text;    // as typed
  std::string lookup;  // the dictionary form: lower case, outer punctuation removed
  bool in_dictionary = false;
  // Where its pronunciation came from: "dictionary", "letter-to-sound",
  // "number" (spelled out), or "" (none: it cannot be aligned).
  std::string pronounced_by;
  std::string phones;    // the pronunciation forced, CMU phones ("R EH D")
  bool aligned = false;  // false: skipped by the decoder, or no pronunciation
  // Seconds, when aligned: where the decoder put it, each edge then fitted
  // to where the voice starts or stops (docs/alignment.md).
  double start = 0;
  double end = 0;
  // The 10 ms frames the decoder gave it, before its edges were fitted to
  // the voice: three a phone is the least it can give, the mark of a word
  // pressed in where it was not said.
  int decoded_frames = 0;
  double voiced = 0;  // share of its 10 ms frames that hold voice (align/voice_activity.h)
  // 0 (unaligned) to 1: how far the alignment can be trusted, from the
  // checks named in `doubts` (docs/alignment.md gives the rule).
  double confidence = 0;
  std::vector<std::string> doubts;
  bool needs_check() const { return confidence < kLowConfidence; }
};

struct Alignment {
  std::vector<AlignedWord> words;
  double duration = 0;   // of the audio, seconds
  bool retried = false;  // the first beams found no path; the wide ones did
  // Voice no aligned word covers: most likely words said but not typed.
  std::vector<Span> untyped_speech;
};

class ForcedAligner {
 public:
  // Loads the model and dictionary. Throws std::runtime_error naming a
  // missing file.
  explicit ForcedAligner(AlignerOptions options = {});
  ~ForcedAligner();
  ForcedAligner(const ForcedAligner&) = delete;
  ForcedAligner& operator=(const ForcedAligner&) = delete;

  // Aligns `words` (the transcript as typed, split into words) to `clip`
  // (any sample rate; resampled to 16 kHz). Throws std::invalid_argument for
  // an empty clip, no words, or a clip too short to hold them (under 0.1 s a
  // word), and std::runtime_error if no alignment is
  // found even with the widest beams.
  Alignment align(const core::AudioClip& clip, const std::vector<std::string>& words);

  // The dictionary form of a typed word: core::normalize_word, the
  // vocabulary's rule (lower case, punctuation around it removed: "Circle,"
  // → "circle", "dog's" stays).
  static std::string lookup_form(const std::string& word);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace loctex::align
