#pragma once
// Review's edits to a narrative's words: a word's text and its time span.
// Localized Narratives times utterances, which may hold several words ("In
// this"); an edit first gives every word its own utterance with the times
// core/words.h shares out, so each word can then be edited alone. The
// caption becomes the words joined by single spaces. The trace is untouched.

#include <cstddef>
#include <string>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

// The caption's words, one utterance each, with their shared-out times.
std::vector<TimedUtterance> word_level(const std::vector<TimedUtterance>& timed_caption);

// `narrative` with word `index` (of word_level's words) reading `text`.
// Throws std::out_of_range for a bad index and std::invalid_argument for
// text that is empty or holds white space (one word stays one word).
Narrative rename_word(Narrative narrative, std::size_t index, const std::string& text);

// `narrative` with word `index` spanning [start, end], kept between its
// neighbours: start is clamped to [end of the word before, end] and end to
// [start, start of the word after]. Throws std::out_of_range for a bad
// index and std::invalid_argument for non-finite times or end < start.
Narrative set_word_span(Narrative narrative, std::size_t index, double start, double end);

}  // namespace loctex::core
