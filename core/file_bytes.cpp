#include "core/file_bytes.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace loctex::core {

std::string read_file_bytes(const std::filesystem::path& path, std::string_view what) {
  const auto fail = [&](int error) {
    std::string message = "cannot read ";
    if (!what.empty()) message.append(what).push_back(' ');
    message.append(path.string());
    throw std::system_error(error, std::generic_category(), message);
  };
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, Close> file(std::fopen(path.c_str(), "rb"));
  if (!file) fail(errno);
  std::string bytes;
  std::array<char, 1 << 16> buffer;
  for (;;) {
    errno = 0;
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    bytes.append(buffer.data(), got);
    if (got < buffer.size()) {
      if (std::ferror(file.get())) fail(errno);
      return bytes;
    }
  }
}

}  // namespace loctex::core
