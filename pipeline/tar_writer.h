#pragma once
// One tar file written with libarchive, byte-for-byte reproducible: every
// member has mtime 0, uid/gid 0, no user or group name, mode 0644, and members
// appear in the order added. The tar is written under a temporary name
// ("NAME.partial" in the same folder) and renamed to its final name only by
// finish(), after an fsync, so a killed build never leaves a truncated file
// under a final name.
//
// The format is libarchive's "pax restricted": a member whose name fits
// ustar (up to 100 characters, or split at a '/' into 155 + 100) gets a
// plain 512-byte ustar header; a longer name gets a pax 'x' header first
// (named "PaxHeader/" + NAME cut short, holding the record "LEN path=NAME\n").
// The file ends right after the two zero blocks that close a tar, without
// padding to 10240-byte records: an empty tar is 1024 zero bytes, and a
// finished tar is bytes_written() + 1024 bytes.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace loctex::pipeline {

struct TarSummary {
  std::filesystem::path path;  // the final path
  std::uint64_t bytes = 0;     // size of the finished file
  std::string sha256;          // lowercase hex of the whole file
  std::size_t members = 0;
};

class TarWriter {
 public:
  // Creates `path` + ".partial" (replacing a stale one). Throws
  // std::runtime_error naming the path if it cannot be created.
  explicit TarWriter(std::filesystem::path path);
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  // Without finish(): closes and removes the partial file.
  ~TarWriter();

  // Appends a regular file. Names longer than ustar allows are stored with a
  // pax extended header. Throws std::invalid_argument for a name that is
  // empty or holds a byte outside printable ASCII (libarchive's handling of
  // other names depends on the locale), std::logic_error after finish(), and
  // std::runtime_error naming the tar and member on a write error (disk
  // full, ...); after a write error the writer is unusable and the partial
  // file is removed by the destructor.
  void add(std::string_view name, std::string_view bytes);

  // Bytes the tar holds so far (headers and padding included), before the
  // end-of-archive blocks.
  std::uint64_t bytes_written() const;

  // Writes the end-of-archive blocks, syncs, renames to the final path,
  // syncs the folder and hashes the file. Throws std::runtime_error naming
  // the path on failure, std::logic_error if called twice.
  TarSummary finish();

  const std::filesystem::path& path() const;

 private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// The bytes one member adds to a tar: a 512-byte header (plus a pax header
// when the name does not fit ustar, or the data reaches 8 GiB) and the data
// padded to 512 bytes; exactly what TarWriter::add() adds to bytes_written().
// Used to start a new shard before one would grow past --shard-bytes.
std::uint64_t tar_member_size(std::string_view name, std::uint64_t data_bytes);

}  // namespace loctex::pipeline
