#include "pipeline/record_source.h"

#include <fstream>
#include <stdexcept>

namespace loctex::pipeline {

namespace fs = std::filesystem;

RecordSource::RecordSource(std::vector<fs::path> inputs) : m_inputs(std::move(inputs)) {
  for (const auto& input : m_inputs) {
    std::error_code ec;
    if (!fs::exists(input, ec)) throw std::runtime_error(input.string() + ": no such file or folder");
  }
}

RecordSource::~RecordSource() = default;

bool RecordSource::open_next_input() {
  m_reader.reset();
  m_project.reset();
  m_entries.clear();
  m_next_entry = 0;
  if (m_next_input == m_inputs.size()) return false;
  const fs::path& input = m_inputs[m_next_input++];
  if (fs::is_directory(input)) {
    m_project.emplace(core::ProjectStore::open(input));
    m_entries = m_project->list_narratives();
  } else {
    m_reader = std::make_unique<core::LnReader>(input, core::ReadMode::lenient);
    m_reader->on_error([this](const core::LnError& e) {
      InputRecord bad;
      bad.source = e.file();
      bad.line = e.line();
      bad.error = e.message();
      m_pending.push_back(std::move(bad));
    });
  }
  return true;
}

std::optional<InputRecord> RecordSource::next() {
  for (;;) {
    // Records leave from m_pending in order: on_error queues the bad lines
    // the reader passed over before the good one queued after them.
    if (!m_pending.empty()) {
      InputRecord next = std::move(m_pending.front());
      m_pending.pop_front();
      next.record = m_record++;
      return next;
    }
    if (m_reader) {
      if (auto narrative = m_reader->next()) {
        InputRecord good;
        good.source = m_reader->source();
        good.line = m_reader->line();
        good.narrative = std::move(narrative);
        m_pending.push_back(std::move(good));
        continue;
      }
      if (!m_pending.empty()) continue;  // bad lines at the end of the file
    } else if (m_project && m_next_entry < m_entries.size()) {
      const auto& entry = m_entries[m_next_entry++];
      InputRecord record;
      record.record = m_record++;
      record.source = m_project->database_path().string();
      record.line = static_cast<std::size_t>(entry.id);
      record.from_project = true;
      record.excluded =
          entry.status != core::NarrativeStatus::done && entry.status != core::NarrativeStatus::accepted;
      if (!record.excluded) {
        record.narrative = m_project->load_narrative(entry.id);
        record.image_file = entry.image_file;
      }
      return record;
    }
    if (!open_next_input()) return std::nullopt;
  }
}

std::uint64_t count_records(const std::vector<fs::path>& inputs) {
  std::uint64_t total = 0;
  std::vector<char> buffer(1 << 20);
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      total += core::ProjectStore::open(input).narrative_count();
      continue;
    }
    std::ifstream in(input, std::ios::binary);
    bool line_has_text = false;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto n = static_cast<std::size_t>(in.gcount());
      for (std::size_t i = 0; i < n; ++i) {
        const char c = buffer[i];
        if (c == '\n') {
          total += line_has_text ? 1 : 0;
          line_has_text = false;
        } else if (c != ' ' && c != '\r' && c != '\t') {
          line_has_text = true;
        }
      }
    }
    total += line_has_text ? 1 : 0;
  }
  return total;
}

}  // namespace loctex::pipeline
