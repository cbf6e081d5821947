#pragma once
// Type and point: the caption typed while pointing, each word timed by the
// keystrokes that made it. A word spans from its first keystroke to the
// keystroke that ends it (the space or line break after it; for the last
// word, its own last keystroke). Typing is a stream: characters are appended
// and Backspace removes the last one (with its time), as an annotator types
// and corrects while speaking with the hand; corrections in the middle of
// the caption belong to review, which edits the stored words.

#include <string>
#include <string_view>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

class TypedCaption {
 public:
  // Appends `text` (UTF-8, one keystroke, usually one character) typed at
  // time t seconds. Throws std::invalid_argument for a time before the last
  // keystroke's or a non-finite time.
  void type(std::string_view text, double t);
  // A caption to go on typing, rebuilt from its timed words (a recovered
  // journal's): words() gives them back, and typing continues after a space.
  static TypedCaption from_words(const std::vector<TimedUtterance>& words);
  // Removes the last character (a whole UTF-8 code point); false when empty.
  bool backspace();

  // The caption as typed, without leading or trailing white space.
  std::string caption() const;
  // Its words (split on ASCII white space, as core/words.h splits) with
  // their times.
  std::vector<TimedUtterance> words() const;
  bool empty() const { return m_chars.empty(); }

 private:
  struct Char {
    std::string text;  // one code point
    double t;
  };
  std::vector<Char> m_chars;
  double m_last_t = 0;
  bool m_any = false;
};

}  // namespace loctex::core
