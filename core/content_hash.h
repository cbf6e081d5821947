#pragma once
// SHA-256 content hashes, as lowercase hex. The project store records one per
// image so that a moved, replaced or corrupted file can be told apart from the
// one that was annotated.

#include <filesystem>
#include <string>
#include <string_view>

namespace loctex::core {

// sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
std::string sha256_hex(std::string_view bytes);

// Hashes a file in fixed-size chunks, so any size fits in constant memory.
// Throws std::runtime_error naming the file if it cannot be opened or read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace loctex::core
