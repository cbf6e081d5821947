#include "core/vocabulary.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/atomic_file.h"
#include "core/line_error.h"
#include "core/words.h"

namespace loctex::core {
namespace {

// Without Unicode tables a non-ASCII character cannot be classified, so it is
// taken as a letter: "café-bar" keeps its hyphen.
constexpr bool is_word_byte(unsigned char c) { return c >= 0x80 || is_ascii_alnum(static_cast<char>(c)); }

// Sorted byte-wise for binary search; the static_assert below keeps it so.
// Function words, common contractions (normalize_word keeps their inner
// apostrophe), and the words of Localized Narratives' stock opening "In this
// image/picture we can see ...", which would otherwise top the ICMLM list.
constexpr std::string_view kStopWords[] = {
    "a",          "about",   "above",   "across",  "after",  "again",      "against", "all",    "along",
    "also",       "am",      "among",   "an",      "and",    "any",        "are",     "aren't", "around",
    "as",         "at",      "be",      "because", "been",   "before",     "behind",  "being",  "below",
    "beside",     "between", "both",    "but",     "by",     "can",        "can't",   "could",  "did",
    "do",         "does",    "doesn't", "doing",   "don't",  "down",       "during",  "each",   "every",
    "few",        "for",     "from",    "had",     "has",    "have",       "having",  "he",     "he's",
    "her",        "here",    "hers",    "herself", "him",    "himself",    "his",     "how",    "i",
    "i'm",        "if",      "image",   "in",      "inside", "into",       "is",      "isn't",  "it",
    "it's",       "its",     "itself",  "just",    "let's",  "may",        "me",      "might",  "more",
    "most",       "must",    "my",      "myself",  "near",   "no",         "nor",     "not",    "of",
    "off",        "on",      "once",    "only",    "onto",   "or",         "other",   "our",    "ours",
    "ourselves",  "out",     "outside", "over",    "own",    "picture",    "same",    "see",    "seen",
    "shall",      "she",     "she's",   "should",  "so",     "some",       "such",    "than",   "that",
    "that's",     "the",     "their",   "theirs",  "them",   "themselves", "then",    "there",  "there's",
    "these",      "they",    "they're", "this",    "those",  "through",    "to",      "too",    "under",
    "until",      "up",      "upon",    "us",      "very",   "was",        "we",      "we're",  "were",
    "what",       "when",    "where",   "which",   "while",  "who",        "whom",    "whose",  "why",
    "will",       "with",    "within",  "without", "would",  "you",        "your",    "yours",  "yourself",
    "yourselves",
};
static_assert(std::ranges::is_sorted(kStopWords));

[[noreturn]] void fail(const std::string& file, std::size_t line, const std::string& message) {
  throw LineError(file, line, message);
}

// Appends rather than "'" + s + "'": GCC 12 at -O3 reports a false -Wrestrict
// on that expression inside std::string, and warnings are errors here.
std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

}  // namespace

std::string normalize_word(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto c = static_cast<unsigned char>(word[i]);
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (is_word_byte(c)) {
      out.push_back(word[i]);
    } else if ((c == '\'' || c == '-') && i > 0 && i + 1 < word.size() &&
               is_word_byte(static_cast<unsigned char>(word[i - 1])) &&
               is_word_byte(static_cast<unsigned char>(word[i + 1]))) {
      // Neighbours are judged in the input, not the output, so "a.-b" -> "ab".
      out.push_back(word[i]);
    }
  }
  return out;
}

bool is_stop_word(std::string_view normalized) { return std::ranges::binary_search(kStopWords, normalized); }

// --- Vocabulary ---

Vocabulary::Vocabulary() {
  for (const auto token : kSpecialTokens) {
    m_tokens.emplace_back(token);
    m_counts.push_back(0);
  }
}

void Vocabulary::append(std::string token, std::size_t count) {
  m_ids.emplace(token, m_tokens.size());
  m_tokens.push_back(std::move(token));
  m_counts.push_back(count);
}

std::size_t Vocabulary::id(std::string_view word) const {
  const auto it = m_ids.find(normalize_word(word));
  return it == m_ids.end() ? kUnkId : it->second;
}

const std::string& Vocabulary::token(std::size_t id) const {
  if (id >= size()) {
    throw std::out_of_range("vocabulary id " + std::to_string(id) + " is out of range (size " +
                            std::to_string(size()) + ")");
  }
  return m_tokens[id];
}

std::size_t Vocabulary::count(std::size_t id) const {
  if (id >= size()) {
    throw std::out_of_range("vocabulary id " + std::to_string(id) + " is out of range (size " +
                            std::to_string(size()) + ")");
  }
  return m_counts[id];
}

std::vector<std::size_t> Vocabulary::most_frequent_content_ids(std::size_t k) const {
  std::vector<std::size_t> ids;
  for (std::size_t id = kSpecialCount; id < size(); ++id) {
    if (!is_stop_word(m_tokens[id])) ids.push_back(id);
  }
  // Built vocabularies are already in count order, but a loaded file need not
  // be, so sort rather than trust the ids.
  const auto by_count = [this](std::size_t a, std::size_t b) {
    return m_counts[a] != m_counts[b] ? m_counts[a] > m_counts[b] : a < b;
  };
  const auto n = std::min(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), by_count);
  ids.resize(n);
  return ids;
}

void Vocabulary::save(const std::filesystem::path& path) const {
  AtomicFile file(path);
  auto& out = file.stream();
  for (std::size_t id = 0; id < size(); ++id) {
    // to_chars, not operator<<: a global locale with digit grouping would
    // write "1,234", which load() rejects.
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, m_counts[id]).ptr;
    out << m_tokens[id] << '\t' << std::string_view(digits, static_cast<std::size_t>(end - digits)) << '\n';
  }
  file.commit();
}

Vocabulary Vocabulary::load(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(file + ": cannot open vocabulary file");

  Vocabulary vocab;  // specials in place; their counts are read below
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file edited on Windows

    const auto tab = line.find('\t');
    if (tab == std::string::npos) fail(file, line_no, "expected TOKEN<TAB>COUNT, found no tab");
    const std::string_view token = std::string_view(line).substr(0, tab);
    const std::string_view count_text = std::string_view(line).substr(tab + 1);

    std::size_t count = 0;
    const auto [ptr, ec] = std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (count_text.empty() || ec == std::errc::invalid_argument ||
        ptr != count_text.data() + count_text.size()) {
      fail(file, line_no, "count " + in_quotes(count_text) + " is not a non-negative integer");
    }
    if (ec == std::errc::result_out_of_range)
      fail(file, line_no, "count " + in_quotes(count_text) + " is too large");

    const std::size_t id = line_no - 1;
    if (is_special(id)) {
      if (token != kSpecialTokens[id]) {
        fail(file, line_no,
             "expected special token " + in_quotes(kSpecialTokens[id]) + ", found " + in_quotes(token));
      }
      vocab.m_counts[id] = count;
      continue;
    }
    if (token.empty()) fail(file, line_no, "empty token");
    // id() normalizes its input, so a token in any other form could never be
    // found; such a line means the file was edited by hand or by other rules.
    if (const auto normal = normalize_word(token); normal != token) {
      fail(file, line_no,
           "token " + in_quotes(token) + " is not normalized (normalize_word gives " + in_quotes(normal) +
               ")");
    }
    if (const auto it = vocab.m_ids.find(std::string(token)); it != vocab.m_ids.end()) {
      fail(file, line_no,
           "duplicate token " + in_quotes(token) + ", first on line " + std::to_string(it->second + 1));
    }
    vocab.append(std::string(token), count);
  }
  if (in.bad()) throw std::runtime_error(file + ": read error");
  if (line_no < kSpecialCount) {
    fail(file, line_no + 1,
         "expected special token " + in_quotes(kSpecialTokens[line_no]) + ", found end of file");
  }
  return vocab;
}

// --- VocabularyBuilder ---

void VocabularyBuilder::add(std::string_view word) {
  auto normal = normalize_word(word);
  if (!normal.empty()) ++m_counts[std::move(normal)];
}

void VocabularyBuilder::merge(const VocabularyBuilder& other) {
  for (const auto& [token, count] : other.m_counts) m_counts[token] += count;
}

void VocabularyBuilder::merge(const Vocabulary& counted) {
  for (std::size_t id = Vocabulary::kSpecialCount; id < counted.size(); ++id)
    m_counts[counted.token(id)] += counted.count(id);
}

std::size_t VocabularyBuilder::count(std::string_view word) const {
  const auto it = m_counts.find(normalize_word(word));
  return it == m_counts.end() ? 0 : it->second;
}

Vocabulary VocabularyBuilder::build(std::size_t min_count, std::size_t max_size) const {
  if (max_size != 0 && max_size < Vocabulary::kSpecialCount) {
    throw std::invalid_argument("vocabulary max_size " + std::to_string(max_size) + " is smaller than the " +
                                std::to_string(Vocabulary::kSpecialCount) + " special tokens");
  }
  using Entry = std::pair<const std::string, std::size_t>;
  std::vector<const Entry*> kept;
  for (const auto& entry : m_counts) {
    if (entry.second >= min_count) kept.push_back(&entry);
  }
  // A total order, so ids do not depend on the hash map's iteration order.
  // std::string compares through char_traits<char>, which compares bytes as
  // unsigned char: UTF-8 words sort after ASCII ones.
  std::sort(kept.begin(), kept.end(), [](const Entry* a, const Entry* b) {
    return a->second != b->second ? a->second > b->second : a->first < b->first;
  });
  if (max_size != 0) kept.resize(std::min(kept.size(), max_size - Vocabulary::kSpecialCount));

  Vocabulary vocab;
  for (const Entry* entry : kept) vocab.append(entry->first, entry->second);
  return vocab;
}

}  // namespace loctex::core
