#include "pipeline/shard_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <array>
#include <stdexcept>
#include <tuple>
#include <unordered_set>

namespace loctex::pipeline {

std::pair<std::string, std::string> split_webdataset_name(std::string_view member_name) {
  const auto slash = member_name.rfind('/');
  const auto file_start = slash == std::string_view::npos ? 0 : slash + 1;
  const auto dot = member_name.find('.', file_start);
  if (dot == std::string_view::npos) return {std::string(member_name), std::string()};
  return {std::string(member_name.substr(0, dot)), std::string(member_name.substr(dot + 1))};
}

class ShardReader::Impl {
 public:
  explicit Impl(std::filesystem::path path) : m_path(std::move(path)) {
    m_archive = archive_read_new();
    if (m_archive == nullptr) throw std::runtime_error("cannot open " + m_path.string() + ": out of memory");
    if (archive_read_support_format_tar(m_archive) != ARCHIVE_OK ||
        archive_read_support_filter_all(m_archive) < ARCHIVE_WARN ||  // WARN: an external program stands in
        archive_read_open_filename(m_archive, m_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
      const std::string reason = archive_text();
      archive_read_free(m_archive);
      throw std::runtime_error("cannot open " + m_path.string() + ": " + reason);
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { archive_read_free(m_archive); }

  // Reads members until one with another key; that member's header is kept
  // and its data read by the next call. Errors past the sample being read
  // (a truncated member, a key seen before) thus come from the call after
  // the one that returns it: every sample returned is whole.
  std::optional<ShardSample> next() {
    if (m_error) throw std::runtime_error(*m_error);
    std::optional<ShardSample> sample;
    if (m_pending) {
      auto pending = std::move(*m_pending);
      m_pending.reset();
      sample = start_sample(pending);
    }
    while (!m_at_end) {
      archive_entry* entry = nullptr;
      const int rc = archive_read_next_header(m_archive, &entry);
      if (rc == ARCHIVE_EOF) {
        m_at_end = true;
        break;
      }
      // RETRY is a header that fails its checksum: libarchive would skip ahead
      // to the next good one, silently losing a member that may belong to the
      // open sample, so that sample is not returned either. Other errors end
      // the file (truncation) after every member so far was read whole.
      // WARN: e.g. a name not in the locale's charset, which is fine.
      if (rc == ARCHIVE_RETRY || rc < ARCHIVE_WARN) {
        m_error = message(m_last_member.empty() ? "at the first member" : "after member " + m_last_member,
                          archive_text());
        if (!sample || rc == ARCHIVE_RETRY) throw std::runtime_error(*m_error);
        break;  // thrown by the next call
      }
      Member member;
      member.name = pathname(entry);
      if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0)
        member.size = static_cast<std::size_t>(archive_entry_size(entry));
      m_last_member = member.name;
      if (archive_entry_filetype(entry) != AE_IFREG) continue;  // folders, links: skipped
      std::tie(member.key, member.extension) = split_webdataset_name(member.name);
      if (!sample) {
        sample = start_sample(member);
      } else if (member.key == sample->key) {
        add_file(*sample, member);
      } else {
        m_pending = std::move(member);
        break;
      }
    }
    return sample;
  }

  const std::filesystem::path& path() const { return m_path; }

 private:
  // A regular member whose header has been read.
  struct Member {
    std::string name, key, extension;
    std::size_t size = 0;  // a hint: the bytes the header announces
  };

  ShardSample start_sample(const Member& member) {
    if (!m_keys.insert(member.key).second)
      fail("member " + member.name,
           "key \"" + member.key + "\" appears again after other keys (a sample split in two)");
    ShardSample sample{member.key, {}};
    add_file(sample, member);
    return sample;
  }

  // Reads the current member's data into the sample.
  void add_file(ShardSample& sample, const Member& member) {
    const auto [it, added] = sample.files.try_emplace(member.extension);
    if (!added)
      fail("member " + member.name, "sample \"" + sample.key + "\" already has a file of that extension");
    std::string& bytes = it->second;
    bytes.reserve(member.size);
    std::array<char, 64 * 1024> buffer;
    for (;;) {
      const la_ssize_t n = archive_read_data(m_archive, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) fail("member " + member.name, archive_text());
      bytes.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }

  // Names come as stored (ustar) or, from pax headers, as UTF-8, which the C
  // locale cannot show as multibyte text.
  static std::string pathname(archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) name = archive_entry_pathname_utf8(entry);
    return name ? name : "";
  }

  std::string archive_text() const {
    const char* text = archive_error_string(m_archive);
    return text ? text : "corrupt or truncated tar archive";
  }

  std::string message(const std::string& where, const std::string& reason) const {
    return "cannot read " + m_path.string() + ": " + where + ": " + reason;
  }
  [[noreturn]] void fail(const std::string& where, const std::string& reason) const {
    throw std::runtime_error(message(where, reason));
  }

  std::filesystem::path m_path;
  struct archive* m_archive = nullptr;
  std::optional<Member> m_pending;
  std::unordered_set<std::string> m_keys;
  std::string m_last_member;
  std::optional<std::string> m_error;  // a header that could not be read
  bool m_at_end = false;
};

ShardReader::ShardReader(const std::filesystem::path& path) : m_impl(std::make_unique<Impl>(path)) {}
ShardReader::~ShardReader() = default;

std::optional<ShardSample> ShardReader::next() { return m_impl->next(); }
const std::filesystem::path& ShardReader::path() const { return m_impl->path(); }

}  // namespace loctex::pipeline
