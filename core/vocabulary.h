#pragma once
// Word-level vocabulary for the LocTex trainer. The dataset builder counts the
// words of the training split and writes vocab.txt; the trainer loads it to
// turn words into ids and, for ICMLM, to pick the K most frequent content
// words to mask. The rules and the file format are in docs/vocabulary.md.

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loctex::core {

// One word (LN utterances split on ASCII whitespace) in the form the
// vocabulary stores: A-Z lower-cased; every other ASCII byte that is not a
// letter or digit dropped, except an apostrophe or hyphen whose neighbours in
// `word` are both alphanumeric ("It's" -> "it's", "T-Shirt" -> "t-shirt",
// "'quoted'" -> "quoted", "--" -> ""). Bytes >= 0x80 are copied unchanged and
// count as alphanumeric, so UTF-8 is never split and "CAFÉ" -> "cafÉ".
// The result never holds whitespace, tabs or control characters.
std::string normalize_word(std::string_view word);

// Whether a normalized word is an English function word or one of the
// Localized Narratives boilerplate words ("In this image we can see ...").
// The list is fixed; docs/vocabulary.md prints it.
bool is_stop_word(std::string_view normalized);

class Vocabulary {
 public:
  // Fixed ids; the tokens hold '<' and '>', which normalize_word() strips, so
  // no word can collide with them.
  static constexpr std::size_t kPadId = 0;
  static constexpr std::size_t kUnkId = 1;
  static constexpr std::size_t kClsId = 2;
  static constexpr std::size_t kMaskId = 3;
  static constexpr std::size_t kSpecialCount = 4;
  static constexpr std::array<std::string_view, kSpecialCount> kSpecialTokens = {"<pad>", "<unk>", "<cls>",
                                                                                 "<mask>"};

  // The four special tokens only.
  Vocabulary();

  std::size_t size() const { return m_tokens.size(); }

  // The id of normalize_word(word); kUnkId if that is "" or not in the
  // vocabulary. Special tokens cannot be looked up by spelling: id("<pad>")
  // looks up "pad". Use the k*Id constants.
  std::size_t id(std::string_view word) const;

  // Throw std::out_of_range naming `id` if id >= size().
  const std::string& token(std::size_t id) const;
  std::size_t count(std::size_t id) const;  // 0 for the special tokens

  static constexpr bool is_special(std::size_t id) { return id < kSpecialCount; }

  // Up to k ids of tokens that are neither special nor stop words, by count
  // descending, ties by id ascending: the words ICMLM masks.
  std::vector<std::size_t> most_frequent_content_ids(std::size_t k) const;

  // Writes one "TOKEN<TAB>COUNT\n" line per id, in id order, atomically.
  // Throws std::runtime_error naming the path if it cannot be written.
  void save(const std::filesystem::path& path) const;

  // Reads a file written by save(); the id of a token is its 0-based line
  // index. Throws std::runtime_error whose what() reads "FILE:LINE: MESSAGE"
  // (or "FILE: MESSAGE" if it cannot be opened) for: a wrong special token on
  // lines 1-4, a missing tab, a count that is not a decimal integer, an empty
  // or non-normalized token, or a duplicate token (naming both lines).
  static Vocabulary load(const std::filesystem::path& path);

  friend bool operator==(const Vocabulary& a, const Vocabulary& b) {
    return a.m_tokens == b.m_tokens && a.m_counts == b.m_counts;
  }

 private:
  friend class VocabularyBuilder;
  void append(std::string token, std::size_t count);

  std::vector<std::string> m_tokens;
  std::vector<std::size_t> m_counts;
  std::unordered_map<std::string, std::size_t> m_ids;  // non-special tokens only
};

// Counts normalized words, then freezes them into a Vocabulary.
class VocabularyBuilder {
 public:
  // Normalizes `word` and counts it; words that normalize to "" are ignored.
  void add(std::string_view word);
  // Adds another builder's counts, so shards can be counted in parallel.
  void merge(const VocabularyBuilder& other);
  // Adds the counts of a saved vocabulary's words (not its special tokens),
  // so the parts of a distributed build can be summed.
  void merge(const Vocabulary& counted);

  // How often normalize_word(word) was added.
  std::size_t count(std::string_view word) const;
  std::size_t distinct_words() const { return m_counts.size(); }

  // Specials first (ids 0-3), then every word seen at least min_count times,
  // by count descending, ties by token in byte order ascending, so the same
  // counts always give the same ids. max_size caps the total size, specials
  // included (0: no cap); the cap cuts the tail of that order. Throws
  // std::invalid_argument if 0 < max_size < kSpecialCount.
  Vocabulary build(std::size_t min_count, std::size_t max_size = 0) const;

 private:
  std::unordered_map<std::string, std::size_t> m_counts;
};

}  // namespace loctex::core
