#include "align/alignment_record.h"

#include <algorithm>

#include "core/word_edits.h"
#include "core/words.h"

namespace loctex::align {

std::vector<core::TimedUtterance> timed_words(const Alignment& alignment) {
  const auto& words = alignment.words;
  std::vector<core::TimedUtterance> out;
  out.reserve(words.size());
  for (std::size_t i = 0; i < words.size();) {
    if (words[i].aligned) {
      out.push_back({words[i].text, words[i].start, words[i].end});
      ++i;
      continue;
    }
    std::size_t end = i;
    std::string run;
    for (; end < words.size() && !words[end].aligned; ++end) run += (end > i ? " " : "") + words[end].text;
    const double from = i > 0 ? words[i - 1].end : 0.0;
    const double to = end < words.size() ? words[end].start : alignment.duration;
    for (const auto& w : core::split_words({{run, from, std::max(from, to)}}))
      out.push_back({w.text, w.start, w.end});
    i = end;
  }
  return out;
}

nlohmann::ordered_json alignment_json(const Alignment& alignment) {
  nlohmann::ordered_json j;
  j["aligner"] = "pocketsphinx 0.8 en-us";
  j["duration"] = alignment.duration;
  auto& untyped = j["untyped_speech"] = nlohmann::ordered_json::array();
  for (const auto& span : alignment.untyped_speech) untyped.push_back({span.start, span.end});
  auto& words = j["words"] = nlohmann::ordered_json::array();
  for (const auto& w : alignment.words) {
    nlohmann::ordered_json word;
    word["confidence"] = w.confidence;
    word["pronounced_by"] = w.pronounced_by;
    if (!w.doubts.empty()) word["doubts"] = w.doubts;
    words.push_back(std::move(word));
  }
  return j;
}

void apply_alignment(core::Narrative& narrative, const Alignment& alignment) {
  narrative.timed_caption = timed_words(alignment);
  narrative.extra[kAlignmentField] = alignment_json(alignment);
}

namespace {
constexpr const char* kCorrected = "corrected";
}

void mark_corrected(nlohmann::ordered_json& record, std::size_t index) {
  if (!record.is_object() || !record.contains("words")) return;
  auto& words = record["words"];
  if (!words.is_array() || index >= words.size() || !words[index].is_object()) return;
  words[index][kCorrected] = true;
}

void mark_displaced(nlohmann::ordered_json& record, std::size_t index) {
  if (!record.is_object() || !record.contains("words")) return;
  auto& words = record["words"];
  if (!words.is_array() || index >= words.size() || !words[index].is_object()) return;
  auto& word = words[index];
  word["confidence"] = 0.0;
  if (!word.contains("doubts") || !word["doubts"].is_array())
    word["doubts"] = nlohmann::ordered_json::array();
  word["doubts"].push_back(kDoubtDisplaced);
}

void mark_corrected(core::Narrative& narrative, std::size_t index) {
  if (narrative.extra.contains(kAlignmentField)) mark_corrected(narrative.extra[kAlignmentField], index);
}

std::vector<bool> words_to_check(const core::Narrative& narrative) {
  const auto record = narrative.extra.find(kAlignmentField);
  if (record == narrative.extra.end() || !record->is_object()) return {};
  const auto words = record->find("words");
  if (words == record->end() || !words->is_array() ||
      words->size() != core::word_level(narrative.timed_caption).size())
    return {};
  std::vector<bool> check;
  check.reserve(words->size());
  for (const auto& w : *words) {
    if (!w.is_object()) {
      check.push_back(false);
      continue;
    }
    const auto corrected = w.find(kCorrected);
    const auto confidence = w.find("confidence");
    const bool doubtful =
        confidence != w.end() && confidence->is_number() && confidence->get<double>() < kLowConfidence;
    check.push_back(doubtful && !(corrected != w.end() && corrected->is_boolean() && corrected->get<bool>()));
  }
  return check;
}

}  // namespace loctex::align
