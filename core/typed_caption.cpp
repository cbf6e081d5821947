#include "core/typed_caption.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/words.h"

namespace loctex::core {
namespace {

bool is_space(const std::string& c) { return c.size() == 1 && is_ascii_whitespace(c[0]); }

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray
// continuation byte, so bad input still advances).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

void TypedCaption::type(std::string_view text, double t) {
  if (!std::isfinite(t)) throw std::invalid_argument("a keystroke's time must be finite");
  if (m_any && t < m_last_t)
    throw std::invalid_argument("a keystroke at t = " + std::to_string(t) +
                                " s comes before the last one at t = " + std::to_string(m_last_t) + " s");
  m_any = true;
  m_last_t = t;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
    m_chars.push_back({std::string(text.substr(i, n)), t});
    i += n;
  }
}

TypedCaption TypedCaption::from_words(const std::vector<TimedUtterance>& words) {
  TypedCaption caption;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const auto& word = words[w];
    const bool last = w + 1 == words.size();
    // Every character at the word's start, except that the last word's last
    // character carries its end; the space after a word carries the word's end.
    const std::string_view text = word.utterance;
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t n = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
      const bool final_char = last && i + n == text.size();
      caption.m_chars.push_back(
          {std::string(text.substr(i, n)), final_char ? word.end_time : word.start_time});
      i += n;
    }
    if (!last) caption.m_chars.push_back({" ", word.end_time});
    caption.m_last_t = std::max(caption.m_last_t, word.end_time);
    caption.m_any = true;
  }
  return caption;
}

bool TypedCaption::backspace() {
  if (m_chars.empty()) return false;
  m_chars.pop_back();
  return true;
}

std::string TypedCaption::caption() const {
  std::string out;
  for (const auto& c : m_chars) out += c.text;
  const auto first = out.find_first_not_of(" \t\n\r\f\v");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\n\r\f\v");
  return out.substr(first, last - first + 1);
}

std::vector<TimedUtterance> TypedCaption::words() const {
  std::vector<TimedUtterance> out;
  for (std::size_t i = 0; i < m_chars.size();) {
    if (is_space(m_chars[i].text)) {
      ++i;
      continue;
    }
    TimedUtterance word;
    word.start_time = m_chars[i].t;
    std::size_t j = i;
    for (; j < m_chars.size() && !is_space(m_chars[j].text); ++j) word.utterance += m_chars[j].text;
    // Ended by the space after it, or, last, by its own last keystroke.
    word.end_time = j < m_chars.size() ? m_chars[j].t : m_chars[j - 1].t;
    out.push_back(std::move(word));
    i = j;
  }
  return out;
}

}  // namespace loctex::core
