#pragma once
// A whole file into memory, for inputs that are read whole anyway (images).

#include <filesystem>
#include <string>
#include <string_view>

namespace loctex::core {

// Throws std::runtime_error "cannot read WHAT PATH: REASON" (e.g. "cannot read
// image a/1.jpg: No such file or directory"); `what` may be empty.
std::string read_file_bytes(const std::filesystem::path& path, std::string_view what = {});

}  // namespace loctex::core
