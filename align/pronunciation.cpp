#include "align/pronunciation.h"

// flite is C, and its headers do not say so.
extern "C" {
#include <flite/cst_lexicon.h>
#include <flite/cst_val.h>
}

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

// flite's English lexicon and number expansion (libflite_cmulex,
// libflite_usenglish), which its headers do not declare.
extern "C" {
cst_lexicon* cmu_lex_init(void);
cst_val* en_exp_number(const char* numstring);
}

namespace loctex::align {
namespace {

// flite keeps global state: one caller at a time.
std::mutex& flite_mutex() {
  static std::mutex m;
  return m;
}

// The 39 phones of the CMU dictionary (and the en-us acoustic model).
const std::set<std::string>& cmu_phones() {
  static const std::set<std::string> phones = {"AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH",
                                               "EH", "ER", "EY", "F",  "G",  "HH", "IH", "IY", "JH", "K",
                                               "L",  "M",  "N",  "NG", "OW", "OY", "P",  "R",  "S",  "SH",
                                               "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
  return phones;
}

// flite's phone ("ax0", "er1", "pau") as a CMU phone; empty to drop it.
std::string to_cmu(std::string phone) {
  phone.erase(std::remove_if(phone.begin(), phone.end(), [](unsigned char c) { return std::isdigit(c); }),
              phone.end());
  if (phone == "pau") return {};
  if (phone == "ax") return "AH";  // flite's schwa; the CMU set writes it AH
  if (phone == "axr") return "ER";
  for (char& c : phone) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return phone;
}

}  // namespace

std::optional<std::string> letter_to_sound(const std::string& word) {
  if (word.empty()) return std::nullopt;
  const std::lock_guard lock(flite_mutex());
  static cst_lexicon* lexicon = cmu_lex_init();
  cst_val* phones = lex_lookup(lexicon, word.c_str(), nullptr, nullptr);
  std::string out;
  bool sayable = phones != nullptr;
  for (const cst_val* v = phones; v; v = val_cdr(v)) {
    const std::string phone = to_cmu(val_string(val_car(v)));
    if (phone.empty()) continue;
    if (!cmu_phones().contains(phone)) sayable = false;
    out += (out.empty() ? "" : " ") + phone;
  }
  if (phones) delete_val(phones);
  if (!sayable || out.empty()) return std::nullopt;
  return out;
}

std::vector<std::string> spell_number(const std::string& word) {
  if (word.empty() || !std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isdigit(c); }))
    return {};
  const std::lock_guard lock(flite_mutex());
  cst_val* words = en_exp_number(word.c_str());
  std::vector<std::string> out;
  for (const cst_val* v = words; v; v = val_cdr(v)) out.emplace_back(val_string(val_car(v)));
  if (words) delete_val(words);
  return out;
}

}  // namespace loctex::align
