#pragma once
// Outputs appear whole or not at all: AtomicFile writes to a temporary file
// beside the target and renames it over the target only on commit(). A crash,
// an exception or a destructor without commit() leaves the target untouched.

#include <filesystem>
#include <fstream>
#include <string_view>

namespace loctex::core {

class AtomicFile {
 public:
  // Opens a temporary file (binary) in the target's folder, creating the
  // folder if missing. Throws std::runtime_error naming the path if it
  // cannot be created.
  explicit AtomicFile(std::filesystem::path target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless committed

  std::ostream& stream() { return m_out; }
  const std::filesystem::path& target() const { return m_target; }

  // Flushes, syncs to disk, renames onto the target and syncs the folder so
  // that the new name survives a crash too. Throws std::runtime_error naming
  // the path if any step fails.
  void commit();

 private:
  std::filesystem::path m_target;
  std::filesystem::path m_temp;
  std::ofstream m_out;
  bool m_committed = false;
};

// Writes `bytes` to `target` atomically.
void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);

// fsyncs a file or a folder through a fresh descriptor; syncing the folder
// is what makes a rename in it durable. Throws std::runtime_error "cannot
// sync PATH: REASON".
void sync_path(const std::filesystem::path& path);

}  // namespace loctex::core
