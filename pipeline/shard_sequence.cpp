#include "pipeline/shard_sequence.h"

#include <cstdio>

namespace loctex::pipeline {

std::string shard_name(Split split, const Part& part, std::size_t index) {
  char buffer[48];
  if (part.whole())
    std::snprintf(buffer, sizeof buffer, "-%06zu.tar", index);
  else
    std::snprintf(buffer, sizeof buffer, "-p%04zu-%06zu.tar", part.index, index);
  std::string name(to_string(split));
  name.append(buffer);
  return name;
}

ShardSequence::ShardSequence(std::filesystem::path folder, Split split, Part part, std::size_t first_index,
                             std::size_t max_samples, std::uint64_t max_bytes)
    : m_folder(std::move(folder)),
      m_split(split),
      m_part(part),
      m_index(first_index),
      m_max_samples(max_samples),
      m_max_bytes(max_bytes) {}

void ShardSequence::open() {
  m_open = ShardRecord{};
  m_open.name = shard_name(m_split, m_part, m_index++);
  m_open.split = m_split;
  m_writer = std::make_unique<TarWriter>(m_folder / m_open.name);
}

void ShardSequence::add(const SampleFiles& sample, std::uint64_t record,
                        const std::function<void(const ShardRecord&)>& finished) {
  if (m_writer && m_max_bytes > 0 && m_writer->bytes_written() + sample.tar_bytes() > m_max_bytes)
    finished(*finish());
  if (!m_writer) {
    open();
    m_open.first_record = record;
  }
  for (std::size_t i = 0; i < std::size(SampleFiles::kExtensions); ++i)
    m_writer->add(sample.member_name(i), sample.file(i));
  m_open.samples += 1;
  m_open.words += sample.words.size();
  m_open.words_with_trace += sample.words_with_trace;
  m_open.last_record = record;
  // A full shard is finished at once, so the checkpoint does not wait for
  // the next sample of its split.
  if (m_open.samples >= m_max_samples) finished(*finish());
}

std::optional<ShardRecord> ShardSequence::finish() {
  if (!m_writer) return std::nullopt;
  const TarSummary summary = m_writer->finish();
  m_writer.reset();
  m_open.bytes = summary.bytes;
  m_open.sha256 = summary.sha256;
  return m_open;
}

}  // namespace loctex::pipeline
