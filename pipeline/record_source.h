#pragma once
// The builder's first stage: narratives from the inputs, one at a time and in
// order. An input is an LN JSONL file (read as a stream, any size) or a
// project folder (its done and accepted narratives, with the images the
// project holds). A bad line is a record too, carrying its error, so the
// builder can skip and report it in input order.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ln_jsonl.h"
#include "core/narrative.h"
#include "core/project_store.h"

namespace loctex::pipeline {

struct InputRecord {
  std::uint64_t record = 0;                  // from 0 over all inputs, bad lines included
  std::string source;                        // the JSONL file as given, or the project database
  std::size_t line = 0;                      // 1-based line; narrative id for a project
  std::optional<core::Narrative> narrative;  // nullopt for a bad line (see error)
  std::string error;
  bool from_project = false;
  std::optional<std::filesystem::path> image_file;  // the project's image file, if it has one
  bool excluded = false;                            // a project narrative that is a draft or rejected
};

class RecordSource {
 public:
  // Throws std::runtime_error naming an input that does not exist; a folder
  // must be a project (see ProjectStore::open).
  explicit RecordSource(std::vector<std::filesystem::path> inputs);
  ~RecordSource();

  // The next record, or nullopt after the last input. Throws
  // std::runtime_error naming the file if an input cannot be read.
  std::optional<InputRecord> next();

 private:
  bool open_next_input();

  std::vector<std::filesystem::path> m_inputs;
  std::size_t m_next_input = 0;
  std::uint64_t m_record = 0;
  std::deque<InputRecord> m_pending;  // bad lines reported by the reader
  std::unique_ptr<core::LnReader> m_reader;
  std::optional<core::ProjectStore> m_project;
  std::vector<core::NarrativeEntry> m_entries;
  std::size_t m_next_entry = 0;
};

// Records to expect, for progress: non-blank lines of JSONL inputs (a fast
// byte scan) plus the narratives of project inputs.
std::uint64_t count_records(const std::vector<std::filesystem::path>& inputs);

}  // namespace loctex::pipeline
