#include "core/words.h"

namespace loctex::core {

std::vector<std::string_view> split_ascii_whitespace(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_ascii_whitespace(text[i])) ++i;
    const std::size_t begin = i;
    while (i < text.size() && !is_ascii_whitespace(text[i])) ++i;
    if (i > begin) out.push_back(text.substr(begin, i - begin));
  }
  return out;
}

std::vector<std::string> caption_words(std::string_view text) {
  std::vector<std::string> out;
  for (const auto word : split_ascii_whitespace(text)) out.emplace_back(word);
  return out;
}

std::string join_utterances(const std::vector<TimedUtterance>& utterances) {
  std::string caption;
  for (const auto& u : utterances) caption.append(caption.empty() ? "" : " ").append(u.utterance);
  return caption;
}

std::size_t code_point_count(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  return count;
}

std::vector<Word> split_words(const std::vector<TimedUtterance>& timed_caption) {
  std::vector<Word> words;
  for (std::size_t u = 0; u < timed_caption.size(); ++u) {
    const TimedUtterance& utterance = timed_caption[u];
    const auto pieces = split_ascii_whitespace(utterance.utterance);
    if (pieces.empty()) continue;
    std::size_t total = 0;
    for (const auto piece : pieces) total += code_point_count(piece);
    const double s = utterance.start_time;
    const double e = utterance.end_time;
    // Written as in the specification, term for term, so an independent
    // implementation gets the same doubles.
    const double C = static_cast<double>(total);
    std::size_t before = 0;
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      const std::size_t length = code_point_count(pieces[k]);
      Word word;
      word.text = std::string(pieces[k]);
      word.start = k == 0 ? s : s + (e - s) * static_cast<double>(before) / C;
      word.end = k + 1 == pieces.size() ? e : s + (e - s) * static_cast<double>(before + length) / C;
      word.utterance = u;
      words.push_back(std::move(word));
      before += length;
    }
  }
  return words;
}

}  // namespace loctex::core
