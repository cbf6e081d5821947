#include "pipeline/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "core/atomic_file.h"
#include "core/content_hash.h"

namespace loctex::pipeline {
namespace {

constexpr std::uint64_t kBlock = 512;
// ustar stores the size in 11 octal digits; from 8 GiB on, pax adds "size".
constexpr std::uint64_t kUstarMaxSize = std::uint64_t{1} << 33;

std::uint64_t padded(std::uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// The name with bytes outside printable ASCII written as \xNN, for messages.
std::string escaped(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7E) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

// Member names are printable ASCII. Beyond keeping shards simple to use,
// this keeps libarchive (3.6) away from its locale-dependent charset
// conversion: a UTF-8 name crashes archive_write_header in the C locale and
// gets a pax header in a UTF-8 one.
void check_name(std::string_view name) {
  if (name.empty()) throw std::invalid_argument("tar member name is empty");
  for (const char c : name)
    if (c < 0x20 || c > 0x7E)
      throw std::invalid_argument("tar member name \"" + escaped(name) +
                                  "\" holds a character outside printable ASCII");
}

// Whether libarchive's pax writer can store an ASCII name in the ustar header
// alone: up to 100 characters, or split at a '/' into a prefix of at most 155
// and a non-empty name of at most 100 (archive_write_set_format_pax.c).
bool fits_ustar(std::string_view name) {
  if (name.size() <= 100) return true;
  auto slash = name.find('/', name.size() - 101);
  if (slash == 0) slash = name.find('/', 1);  // no empty prefix
  return slash != std::string_view::npos && slash + 1 < name.size() && slash <= 155;
}

// One pax record, "LEN key=value\n", where LEN counts its own digits.
std::uint64_t pax_record_size(std::string_view key, std::uint64_t value_size) {
  const std::uint64_t body = 1 + key.size() + 1 + value_size + 1;
  std::uint64_t digits = std::to_string(body).size();
  if (std::to_string(body + digits).size() > digits) ++digits;
  return body + digits;
}

}  // namespace

class TarWriter::Impl {
 public:
  explicit Impl(std::filesystem::path final_path) : m_path(std::move(final_path)) {
    m_partial = m_path;
    m_partial += ".partial";
    m_fd = ::open(m_partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (m_fd < 0)
      throw std::system_error(errno, std::generic_category(), "cannot create " + m_partial.string());
    m_archive = archive_write_new();
    // pax restricted: plain ustar headers, plus a pax 'x' header only for a
    // member that needs one (a long name). Blocks of 10240 bytes are handed
    // to write_to_fd, but the last one is not padded, so the file ends right
    // after the two zero blocks that close the archive.
    if (m_archive == nullptr || archive_write_set_format_pax_restricted(m_archive) != ARCHIVE_OK ||
        archive_write_add_filter_none(m_archive) != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(m_archive, 10240) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(m_archive, 1) != ARCHIVE_OK ||
        archive_write_open2(m_archive, this, nullptr, &Impl::write_to_fd, nullptr, nullptr) != ARCHIVE_OK) {
      const std::string reason = m_archive ? archive_text() : "out of memory";
      discard();
      throw std::runtime_error("cannot create " + m_partial.string() + ": " + reason);
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { discard(); }

  void add(std::string_view name, std::string_view bytes) {
    check_name(name);
    check_open("add a member to");
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    if (!entry) fail_member(name, "out of memory");
    const std::string name_z(name);
    archive_entry_copy_pathname(entry.get(), name_z.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (archive_write_header(m_archive, entry.get()) != ARCHIVE_OK) fail_member(name, archive_text());
    if (!bytes.empty()) {
      const la_ssize_t n = archive_write_data(m_archive, bytes.data(), bytes.size());
      if (n < 0 || static_cast<std::size_t>(n) != bytes.size()) fail_member(name, archive_text());
    }
    // Writes the padding now rather than with the next header, so that
    // bytes_written() includes it.
    if (archive_write_finish_entry(m_archive) != ARCHIVE_OK) fail_member(name, archive_text());
    m_bytes = static_cast<std::uint64_t>(archive_filter_bytes(m_archive, -1));
    ++m_members;
  }

  std::uint64_t bytes_written() const { return m_bytes; }

  TarSummary finish() {
    check_open("finish");
    // Closed once only, even on failure: libarchive 3.6 frees its buffers in
    // close, and free() skips close on an archive in the fatal state.
    const bool closed = archive_write_close(m_archive) == ARCHIVE_OK;
    const std::string reason = closed ? std::string() : archive_text();
    archive_write_free(m_archive);
    m_archive = nullptr;
    if (!closed) fail("cannot finish " + m_path.string(), reason);
    if (::fsync(m_fd) != 0) fail("cannot sync " + m_partial.string(), std::generic_category().message(errno));
    const int rc = ::close(m_fd);
    m_fd = -1;
    if (rc != 0) fail("cannot write " + m_partial.string(), std::generic_category().message(errno));
    std::error_code ec;
    std::filesystem::rename(m_partial, m_path, ec);
    if (ec) fail("cannot rename " + m_partial.string() + " to " + m_path.filename().string(), ec.message());
    m_finished = true;
    core::sync_path(m_path.has_parent_path() ? m_path.parent_path() : std::filesystem::path("."));

    TarSummary summary;
    summary.path = m_path;
    summary.bytes = std::filesystem::file_size(m_path);
    summary.sha256 = core::sha256_file(m_path);
    summary.members = m_members;
    return summary;
  }

  const std::filesystem::path& path() const { return m_path; }

 private:
  static la_ssize_t write_to_fd(struct archive* a, void* client, const void* buffer, size_t length) {
    auto* self = static_cast<Impl*>(client);
    if (self->m_discarding) return static_cast<la_ssize_t>(length);
    const auto* p = static_cast<const char*>(buffer);
    std::size_t left = length;
    while (left > 0) {
      const ssize_t n = ::write(self->m_fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int error = errno;
        archive_set_error(a, error, "%s", std::generic_category().message(error).c_str());
        return -1;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    return static_cast<la_ssize_t>(length);
  }

  std::string archive_text() const {
    const char* text = m_archive ? archive_error_string(m_archive) : nullptr;
    return text ? text : "unknown libarchive error";
  }

  void check_open(const char* what) const {
    if (m_finished)
      throw std::logic_error(std::string("cannot ") + what + " " + m_path.string() + ": finished");
    if (m_failed)
      throw std::runtime_error(std::string("cannot ") + what + " " + m_path.string() +
                               ": an earlier write failed");
  }

  [[noreturn]] void fail_member(std::string_view name, const std::string& reason) {
    fail("cannot write " + m_path.string() + ": member " + std::string(name), reason);
  }

  // Stops writing for good: later calls throw, and the destructor removes
  // the partial file.
  [[noreturn]] void fail(const std::string& what, const std::string& reason) {
    m_failed = true;
    throw std::runtime_error(what + ": " + reason);
  }

  // Closes everything and removes the partial file; never throws.
  void discard() noexcept {
    if (m_archive) {
      // Closed rather than just freed: libarchive 3.6 frees its 10 KiB block
      // buffer only in close, which free() skips after a write error. What
      // close still writes (the end-of-archive blocks) is dropped.
      m_discarding = true;
      archive_write_close(m_archive);
      archive_write_free(m_archive);
      m_archive = nullptr;
    }
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
    if (!m_finished) {
      std::error_code ec;
      std::filesystem::remove(m_partial, ec);
    }
  }

  std::filesystem::path m_path;
  std::filesystem::path m_partial;
  int m_fd = -1;
  struct archive* m_archive = nullptr;
  std::uint64_t m_bytes = 0;
  std::size_t m_members = 0;
  bool m_finished = false;
  bool m_failed = false;
  bool m_discarding = false;  // closing an unfinished tar: write nothing more
};

TarWriter::TarWriter(std::filesystem::path path) : m_impl(std::make_unique<Impl>(std::move(path))) {}
TarWriter::~TarWriter() = default;

void TarWriter::add(std::string_view name, std::string_view bytes) { m_impl->add(name, bytes); }
std::uint64_t TarWriter::bytes_written() const { return m_impl->bytes_written(); }
TarSummary TarWriter::finish() { return m_impl->finish(); }
const std::filesystem::path& TarWriter::path() const { return m_impl->path(); }

std::uint64_t tar_member_size(std::string_view name, std::uint64_t data_bytes) {
  std::uint64_t pax = 0;
  if (!fits_ustar(name)) pax += pax_record_size("path", name.size());
  if (data_bytes >= kUstarMaxSize) pax += pax_record_size("size", std::to_string(data_bytes).size());
  return (pax > 0 ? kBlock + padded(pax) : 0) + kBlock + padded(data_bytes);
}

}  // namespace loctex::pipeline
