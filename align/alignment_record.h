#pragma once
// How an alignment is written into a Localized Narratives record: the typed
// caption's words become `timed_caption`, one utterance per word, and what
// the aligner knows of each word goes to the extra field "loctex_alignment",
// which readers that do not know it keep (core/narrative.h).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "align/forced_aligner.h"
#include "core/narrative.h"

namespace loctex::align {

inline constexpr const char* kAlignmentField = "loctex_alignment";

// One utterance per word, in order. Aligned words keep their spans; a run of
// unaligned words shares the time between its aligned neighbours (or the
// recording's ends) in proportion to their length, as core::split_words
// shares an utterance.
std::vector<core::TimedUtterance> timed_words(const Alignment& alignment);

// {"aligner": ..., "duration": s, "untyped_speech": [[start, end], ...],
//  "words": [{"confidence": c, "pronounced_by": ..., "doubts": [...]}, ...]},
// "words" parallel to timed_words(); "doubts" only where there are some.
nlohmann::ordered_json alignment_json(const Alignment& alignment);

// Sets `narrative.timed_caption` and its "loctex_alignment" field. The
// caption is left as typed.
void apply_alignment(core::Narrative& narrative, const Alignment& alignment);

// Word `index` of an alignment record (alignment_json) was timed by hand:
// it gets "corrected": true, and no longer needs checking. Nothing happens
// for a record without that word.
void mark_corrected(nlohmann::ordered_json& record, std::size_t index);
// Word `index` lost the time alignment found (a hand tap of another word
// put it out of order), so its time is a share between its neighbours: it
// gets the doubt kDoubtDisplaced and confidence 0.
void mark_displaced(nlohmann::ordered_json& record, std::size_t index);
// The same on `narrative`'s "loctex_alignment" field, if it has one.
void mark_corrected(core::Narrative& narrative, std::size_t index);

// Per word of `narrative.timed_caption` (core::word_level), whether its alignment needs a look:
// confidence under kLowConfidence and not corrected. Empty when the
// narrative has no alignment record, or one with another number of words
// (a record from elsewhere is read, never trusted).
std::vector<bool> words_to_check(const core::Narrative& narrative);

}  // namespace loctex::align
