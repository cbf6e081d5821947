#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace loctex::core {
namespace {

// Unique within the process and, through the pid, across processes that
// write beside the same target at once.
std::filesystem::path temp_name_for(const std::filesystem::path& target) {
  static std::atomic<unsigned long> counter{0};
  auto name = target.filename().string();
  name = "." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return target.parent_path() / name;
}

}  // namespace

void sync_path(const std::filesystem::path& path) {
  const auto fail = [&](int error) {
    throw std::system_error(error, std::generic_category(), "cannot sync " + path.string());
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) fail(error);
}

AtomicFile::AtomicFile(std::filesystem::path target) : m_target(std::move(target)) {
  if (m_target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(m_target.parent_path(), ec);
    if (ec)
      throw std::runtime_error("cannot create folder " + m_target.parent_path().string() + ": " +
                               ec.message());
  }
  m_temp = temp_name_for(m_target);
  m_out.open(m_temp, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!m_out)
    throw std::runtime_error("cannot write " + m_target.string() + ": cannot create a temporary file");
}

AtomicFile::~AtomicFile() {
  if (m_committed) return;
  m_out.close();
  std::error_code ec;
  std::filesystem::remove(m_temp, ec);  // best effort: a destructor must not throw
}

void AtomicFile::commit() {
  if (m_committed) return;
  m_out.flush();
  const bool ok = static_cast<bool>(m_out);
  m_out.close();
  if (!ok || m_out.fail()) throw std::runtime_error("cannot write " + m_target.string() + ": write failed");
  sync_path(m_temp);
  std::error_code ec;
  std::filesystem::rename(m_temp, m_target, ec);
  if (ec) throw std::runtime_error("cannot write " + m_target.string() + ": " + ec.message());
  m_committed = true;
  sync_path(m_target.has_parent_path() ? m_target.parent_path() : std::filesystem::path("."));
}

void write_file_atomically(const std::filesystem::path& target, std::string_view bytes) {
  AtomicFile file(target);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

}  // namespace loctex::core
