#pragma once
// Pronunciations for typed words the recogniser's dictionary lacks, so they
// can be forced too: flite's CMU lexicon with its letter-to-sound rules,
// mapped to the CMU phone set the pocketsphinx model uses, and numbers
// spelled out first ("42" is said "forty two").

#include <optional>
#include <string>
#include <vector>

namespace loctex::align {

// A lookup-form word (lower case) as CMU phones without stress, "M IH Z AH L
// B ER G"; nullopt if flite gives none the model's phone set can say.
// Thread-safe.
std::optional<std::string> letter_to_sound(const std::string& word);

// A number's words, "42" → {"forty", "two"}; empty if `word` is not all
// digits. Thread-safe.
std::vector<std::string> spell_number(const std::string& word);

}  // namespace loctex::align
