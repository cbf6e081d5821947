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

}  // namespace loctex::align
