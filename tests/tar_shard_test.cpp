#include <gtest/gtest.h>
#include <sys/resource.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/content_hash.h"
#include "pipeline/npy.h"
#include "pipeline/shard_reader.h"
#include "pipeline/tar_writer.h"
#include "test_support.h"

namespace {

using loctex::pipeline::ShardReader;
using loctex::pipeline::ShardSample;
using loctex::pipeline::split_webdataset_name;
using loctex::pipeline::tar_member_size;
using loctex::pipeline::TarWriter;
using loctex::testing::error_of;
using loctex::testing::read_text;
using loctex::testing::TempDir;
using loctex::testing::write_text;
namespace fs = std::filesystem;

using Member = std::pair<std::string, std::string>;

fs::path partial_of(const fs::path& path) { return fs::path(path.string() + ".partial"); }

loctex::pipeline::TarSummary write_tar(const fs::path& path, const std::vector<Member>& members) {
  TarWriter writer(path);
  for (const auto& [name, bytes] : members) writer.add(name, bytes);
  return writer.finish();
}

std::vector<ShardSample> read_all(const fs::path& path) {
  ShardReader reader(path);
  std::vector<ShardSample> samples;
  while (auto sample = reader.next()) samples.push_back(std::move(*sample));
  return samples;
}

// A field of a 512-byte ustar header, as stored.
std::string field(const std::string& tar, std::size_t header, std::size_t offset, std::size_t size) {
  return tar.substr(header + offset, size);
}

const std::string kLongName = std::string(150, 'k') + ".heatmaps.npy";  // > 100, no '/': needs pax

// ---------------------------------------------------------------- TarWriter

TEST(tar_shard_test, an_empty_tar_is_two_zero_blocks) {
  TempDir dir;
  const auto summary = write_tar(dir / "empty.tar", {});
  EXPECT_EQ(read_text(dir / "empty.tar"), std::string(1024, '\0'));
  EXPECT_EQ(summary.path, dir / "empty.tar");
  EXPECT_EQ(summary.bytes, 1024u);
  EXPECT_EQ(summary.members, 0u);
  EXPECT_EQ(summary.sha256, loctex::core::sha256_hex(std::string(1024, '\0')));
}

TEST(tar_shard_test, writes_plain_ustar_headers_with_fixed_metadata) {
  TempDir dir;
  write_tar(dir / "a.tar", {{"key.json", "{}\n"}});
  const std::string tar = read_text(dir / "a.tar");
  // One header, 3 bytes of data padded to a block, two zero blocks; no
  // padding to libarchive's default 10240-byte records.
  ASSERT_EQ(tar.size(), 512u + 512u + 1024u);
  EXPECT_EQ(field(tar, 0, 0, 100), "key.json" + std::string(92, '\0'));  // name
  EXPECT_EQ(field(tar, 0, 100, 8), std::string("000644 \0", 8));         // mode
  EXPECT_EQ(field(tar, 0, 108, 8), std::string("000000 \0", 8));         // uid
  EXPECT_EQ(field(tar, 0, 116, 8), std::string("000000 \0", 8));         // gid
  EXPECT_EQ(field(tar, 0, 124, 12), "00000000003 ");                     // size, octal
  EXPECT_EQ(field(tar, 0, 136, 12), "00000000000 ");                     // mtime
  EXPECT_EQ(field(tar, 0, 156, 1), "0");                                 // regular file
  EXPECT_EQ(field(tar, 0, 257, 8), std::string("ustar\0"
                                               "00",
                                               8));            // POSIX ustar
  EXPECT_EQ(field(tar, 0, 265, 64), std::string(64, '\0'));    // no user or group name
  EXPECT_EQ(field(tar, 0, 345, 155), std::string(155, '\0'));  // no prefix
  EXPECT_EQ(tar.substr(512, 512), "{}\n" + std::string(509, '\0'));
  EXPECT_EQ(tar.substr(1024), std::string(1024, '\0'));
}

TEST(tar_shard_test, stores_a_long_name_in_a_pax_header) {
  TempDir dir;
  write_tar(dir / "long.tar", {{kLongName, "x"}});
  const std::string tar = read_text(dir / "long.tar");
  ASSERT_EQ(tar.size(), 4u * 512 + 1024);
  EXPECT_EQ(field(tar, 0, 156, 1), "x");  // pax extended header for the next member
  EXPECT_EQ(field(tar, 0, 0, 10), "PaxHeader/");
  const std::string record = "173 path=" + kLongName + "\n";  // the length counts itself
  ASSERT_EQ(record.size(), 173u);
  EXPECT_EQ(field(tar, 0, 124, 12), "00000000255 ");  // 173 in octal
  EXPECT_EQ(tar.substr(512, 512), record + std::string(512 - 173, '\0'));
  EXPECT_EQ(field(tar, 1024, 156, 1), "0");
  // The ustar name field holds a truncated copy, for readers without pax.
  const std::string stored = field(tar, 1024, 0, 100);
  const std::size_t stored_size = stored.find('\0');
  EXPECT_GT(stored_size, 90u);
  EXPECT_EQ(stored.substr(0, stored_size), kLongName.substr(0, stored_size));
}

TEST(tar_shard_test, same_members_give_identical_bytes) {
  TempDir dir;
  const std::vector<Member> members = {{"a.jpg", std::string(1000, '\xFF')},
                                       {"a.json", "{\"w\": 1}"},
                                       {"a.heatmaps.npy", ""},
                                       {kLongName, "z"}};
  const auto first = write_tar(dir / "1.tar", members);
  const auto second = write_tar(dir / "2.tar", members);
  EXPECT_EQ(read_text(dir / "1.tar"), read_text(dir / "2.tar"));
  EXPECT_EQ(first.sha256, second.sha256);
  EXPECT_EQ(first.bytes, second.bytes);
  EXPECT_EQ(first.sha256, loctex::core::sha256_hex(read_text(dir / "1.tar")));
  EXPECT_EQ(first.bytes, fs::file_size(dir / "1.tar"));
  EXPECT_EQ(first.members, 4u);
}

TEST(tar_shard_test, the_final_name_appears_only_on_finish) {
  TempDir dir;
  const fs::path path = dir / "shard-000000.tar";
  TarWriter writer(path);
  EXPECT_EQ(writer.path(), path);
  EXPECT_TRUE(fs::exists(partial_of(path)));
  EXPECT_FALSE(fs::exists(path));
  writer.add("a.txt", "hello");
  EXPECT_FALSE(fs::exists(path));
  const auto summary = writer.finish();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(partial_of(path)));
  EXPECT_EQ(summary.bytes, 512u + 512u + 1024u);
  EXPECT_EQ(summary.members, 1u);
}

TEST(tar_shard_test, the_destructor_removes_an_unfinished_tar) {
  TempDir dir;
  const fs::path path = dir / "shard.tar";
  {
    TarWriter writer(path);
    writer.add("a.txt", std::string(50000, 'a'));
  }
  EXPECT_FALSE(fs::exists(partial_of(path)));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(tar_shard_test, replaces_a_stale_partial_file) {
  TempDir dir;
  const fs::path path = dir / "shard.tar";
  write_text(partial_of(path), std::string(100000, 'x'));
  write_tar(path, {{"a.txt", "a"}});
  EXPECT_EQ(fs::file_size(path), 2048u);
  EXPECT_FALSE(fs::exists(partial_of(path)));
}

TEST(tar_shard_test, says_which_tar_cannot_be_created) {
  TempDir dir;
  const fs::path path = dir / "missing" / "shard.tar";
  EXPECT_EQ(error_of<std::runtime_error>([&] { TarWriter writer(path); }),
            "cannot create " + path.string() + ".partial: No such file or directory");
}

TEST(tar_shard_test, refuses_names_outside_printable_ascii) {
  TempDir dir;
  TarWriter writer(dir / "a.tar");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { writer.add("", "x"); }), "tar member name is empty");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { writer.add("caf\xC3\xA9.json", "x"); }),
            "tar member name \"caf\\xC3\\xA9.json\" holds a character outside printable ASCII");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { writer.add(std::string("a\0b", 3), "x"); }),
            "tar member name \"a\\x00b\" holds a character outside printable ASCII");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { writer.add("a\nb", "x"); }),
            "tar member name \"a\\x0Ab\" holds a character outside printable ASCII");
  writer.add("ok.txt", "x");  // the writer is still usable
  EXPECT_EQ(writer.finish().members, 1u);
}

TEST(tar_shard_test, refuses_to_add_after_finish) {
  TempDir dir;
  TarWriter writer(dir / "a.tar");
  writer.finish();
  EXPECT_EQ(error_of<std::logic_error>([&] { writer.add("a.txt", "x"); }),
            "cannot add a member to " + (dir / "a.tar").string() + ": finished");
  EXPECT_EQ(error_of<std::logic_error>([&] { writer.finish(); }),
            "cannot finish " + (dir / "a.tar").string() + ": finished");
}

// Runs in a death test's child process: writes past a file size limit,
// which makes write() fail as on a full disk, and exits 3 after printing the
// error and whether the partial file is left. Blocks of 10240 bytes reach the
// file as they fill, the rest on finish().
[[noreturn]] void write_past_a_file_size_limit(const fs::path& path, rlim_t limit, std::size_t size) {
  std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing us
  const rlimit limits{limit, limit};
  setrlimit(RLIMIT_FSIZE, &limits);
  try {
    TarWriter writer(path);
    writer.add("small.txt", "x");
    writer.add("big.bin", std::string(size, 'b'));
    writer.finish();
  } catch (const std::runtime_error& e) {
    std::fprintf(stderr, "%s; partial left: %d\n", e.what(), fs::exists(partial_of(path)) ? 1 : 0);
    std::exit(3);
  }
  std::fprintf(stderr, "no error\n");
  std::exit(0);
}

TEST(tar_shard_test, a_failed_write_names_the_tar_and_the_member) {
  TempDir dir;
  EXPECT_EXIT(write_past_a_file_size_limit(dir / "big.tar", 64 * 1024, 200 * 1024),
              ::testing::ExitedWithCode(3),
              "cannot write .*/big\\.tar: member big\\.bin: File too large; partial left: 0");
}

TEST(tar_shard_test, a_failed_finish_names_the_tar) {
  TempDir dir;
  // 1024 + 512 + 15360 bytes of members: 10240 written by add(), the rest
  // and the end-of-archive blocks by finish(), past the 16 KiB limit.
  EXPECT_EXIT(write_past_a_file_size_limit(dir / "big.tar", 16 * 1024, 15000), ::testing::ExitedWithCode(3),
              "cannot finish .*/big\\.tar: File too large; partial left: 0");
}

// ---------------------------------------------------------- tar_member_size

// What add() actually appended, for names that do and do not fit ustar.
TEST(tar_shard_test, member_size_matches_what_the_writer_adds) {
  TempDir dir;
  std::vector<std::string> names = {
      "a.jpg",
      std::string(100, 'n'),                                    // fills the ustar name field exactly
      std::string(101, 'n'),                                    // too long, no '/': pax
      std::string(60, 'd') + "/" + std::string(60, 'f'),        // 121, splits into prefix and name: ustar
      std::string(155, 'd') + "/" + std::string(100, 'f'),      // the longest split ustar takes
      std::string(156, 'd') + "/" + std::string(100, 'f'),      // prefix 156: pax
      std::string(100, 'd') + "/" + std::string(101, 'f'),      // name part 101: pax
      "/" + std::string(120, 'f'),                              // only split would leave an empty prefix: pax
      "/" + std::string(50, 'a') + "/" + std::string(60, 'f'),  // splits at the second '/': ustar
      std::string(120, 'd') + "/",                              // only split leaves an empty name: pax
  };
  // Pax records whose length field gains a digit (990 -> "1000 path=...")
  // and pax data crossing a 512-byte block.
  for (const std::size_t n : {989, 990, 991, 992, 500, 501, 502, 503, 504, 505, 506, 507, 1100})
    names.push_back(std::string(n, 'p'));

  TarWriter writer(dir / "sizes.tar");
  std::uint64_t before = writer.bytes_written();
  EXPECT_EQ(before, 0u);
  for (const auto& name : names) {
    for (const std::size_t size : {0, 1, 511, 512, 513, 5000}) {
      writer.add(name, std::string(size, 'x'));
      const std::uint64_t after = writer.bytes_written();
      EXPECT_EQ(after - before, tar_member_size(name, size)) << name.size() << " chars, " << size << " bytes";
      before = after;
    }
  }
  EXPECT_EQ(writer.finish().bytes, before + 1024);
  EXPECT_EQ(writer.bytes_written(), before);
}

TEST(tar_shard_test, member_size_counts_headers_and_padding) {
  EXPECT_EQ(tar_member_size("a.jpg", 0), 512u);
  EXPECT_EQ(tar_member_size("a.jpg", 1), 1024u);
  EXPECT_EQ(tar_member_size("a.jpg", 512), 1024u);
  EXPECT_EQ(tar_member_size("a.jpg", 513), 1536u);
  EXPECT_EQ(tar_member_size(std::string(100, 'n'), 0), 512u);
  EXPECT_EQ(tar_member_size(std::string(101, 'n'), 0), 1536u);  // 'x' header, its record, the header
  EXPECT_EQ(tar_member_size(std::string(600, 'n'), 0), 2048u);  // a 610-byte record takes two blocks
  // From 8 GiB on the size no longer fits 11 octal digits: pax adds "size".
  const std::uint64_t big = std::uint64_t{1} << 33;
  EXPECT_EQ(tar_member_size("a.bin", big - 1), 512u + big);
  EXPECT_EQ(tar_member_size("a.bin", big), 512u + 512u + 512u + big);
}

// ------------------------------------------------------------- ShardReader

TEST(tar_shard_test, splits_names_by_the_webdataset_rule) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(split_webdataset_name("key.jpg"), (P{"key", "jpg"}));
  EXPECT_EQ(split_webdataset_name("a/b/key.heatmaps.npy"), (P{"a/b/key", "heatmaps.npy"}));
  EXPECT_EQ(split_webdataset_name("v1.2/key.json"), (P{"v1.2/key", "json"}));  // dots in folders don't count
  EXPECT_EQ(split_webdataset_name("v1.2/README"), (P{"v1.2/README", ""}));
  EXPECT_EQ(split_webdataset_name("README"), (P{"README", ""}));
  EXPECT_EQ(split_webdataset_name("key."), (P{"key", ""}));
  EXPECT_EQ(split_webdataset_name("a/.json"), (P{"a/", "json"}));
}

TEST(tar_shard_test, reads_consecutive_members_as_samples) {
  TempDir dir;
  write_tar(dir / "s.tar", {{"k1.jpg", "J1"},
                            {"k1.json", "{}"},
                            {"k1.heatmaps.npy", "N1"},
                            {"k2.jpg", ""},
                            {"v1.2/k3.json", "3"},
                            {"v1.2/k3.jpg", "33"},
                            {"notes", "n"},
                            {kLongName, "L"}});
  const auto samples = read_all(dir / "s.tar");
  ASSERT_EQ(samples.size(), 5u);
  EXPECT_EQ(samples[0].key, "k1");
  EXPECT_EQ(samples[0].files,
            (std::map<std::string, std::string>{{"jpg", "J1"}, {"json", "{}"}, {"heatmaps.npy", "N1"}}));
  EXPECT_EQ(samples[1].key, "k2");
  EXPECT_EQ(samples[1].files, (std::map<std::string, std::string>{{"jpg", ""}}));
  EXPECT_EQ(samples[2].key, "v1.2/k3");
  EXPECT_EQ(samples[2].files, (std::map<std::string, std::string>{{"json", "3"}, {"jpg", "33"}}));
  EXPECT_EQ(samples[3].key, "notes");
  EXPECT_EQ(samples[3].files, (std::map<std::string, std::string>{{"", "n"}}));
  EXPECT_EQ(samples[4].key, std::string(150, 'k'));
  EXPECT_EQ(samples[4].files, (std::map<std::string, std::string>{{"heatmaps.npy", "L"}}));
}

TEST(tar_shard_test, reads_an_empty_tar_as_no_samples) {
  TempDir dir;
  write_tar(dir / "empty.tar", {});
  ShardReader reader(dir / "empty.tar");
  EXPECT_EQ(reader.path(), dir / "empty.tar");
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_FALSE(reader.next().has_value());
}

TEST(tar_shard_test, reads_gzip_compressed_tars) {
  TempDir dir;
  write_tar(dir / "s.tar", {{"a.jpg", std::string(3000, 'a')}, {"a.json", "{}"}, {"b.jpg", "b"}});
  ASSERT_EQ(std::system(("gzip -n -k " + (dir / "s.tar").string()).c_str()), 0);
  const auto samples = read_all(dir / "s.tar.gz");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].files.at("jpg"), std::string(3000, 'a'));
  EXPECT_EQ(samples[1].key, "b");
}

TEST(tar_shard_test, skips_folders_and_links) {
  TempDir dir;
  const std::string script =
      "import io, sys, tarfile\n"
      "with tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT) as t:\n"
      "    d = tarfile.TarInfo('d'); d.type = tarfile.DIRTYPE; t.addfile(d)\n"
      "    f = tarfile.TarInfo('d/a.txt'); f.size = 2; t.addfile(f, io.BytesIO(b'hi'))\n"
      "    l = tarfile.TarInfo('d/a.lnk'); l.type = tarfile.SYMTYPE; l.linkname = 'a.txt'; t.addfile(l)\n"
      "    f = tarfile.TarInfo('d/a.json'); f.size = 2; t.addfile(f, io.BytesIO(b'{}'))\n";
  write_text(dir / "make.py", script);
  ASSERT_EQ(std::system(
                ("/usr/bin/python3 " + (dir / "make.py").string() + " " + (dir / "s.tar").string()).c_str()),
            0);
  const auto samples = read_all(dir / "s.tar");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].key, "d/a");
  EXPECT_EQ(samples[0].files, (std::map<std::string, std::string>{{"txt", "hi"}, {"json", "{}"}}));
}

TEST(tar_shard_test, a_key_that_reappears_later_is_an_error) {
  TempDir dir;
  const fs::path path = dir / "split.tar";
  write_tar(path, {{"a.jpg", "1"}, {"b.jpg", "2"}, {"a.json", "3"}});
  ShardReader reader(path);
  EXPECT_EQ(reader.next()->key, "a");
  EXPECT_EQ(reader.next()->key, "b");  // whole; the error comes with the sample that repeats a key
  EXPECT_EQ(error_of<std::runtime_error>([&] { reader.next(); }),
            "cannot read " + path.string() +
                ": member a.json: key \"a\" appears again after other keys (a sample split in two)");
}

TEST(tar_shard_test, a_repeated_file_in_a_sample_is_an_error) {
  TempDir dir;
  const fs::path path = dir / "twice.tar";
  write_tar(path, {{"a.jpg", "1"}, {"a.jpg", "2"}});
  ShardReader reader(path);
  EXPECT_EQ(
      error_of<std::runtime_error>([&] { reader.next(); }),
      "cannot read " + path.string() + ": member a.jpg: sample \"a\" already has a file of that extension");
}

TEST(tar_shard_test, a_truncated_tar_is_an_error) {
  TempDir dir;
  const fs::path whole = dir / "whole.tar";
  write_tar(whole, {{"a.jpg", std::string(3000, 'a')}, {"b.jpg", std::string(3000, 'b')}});
  const std::string bytes = read_text(whole);

  const fs::path in_data = dir / "in_data.tar";  // inside b.jpg's data
  write_text(in_data, bytes.substr(0, 512 * 8 + 100));
  ShardReader reader(in_data);
  EXPECT_EQ(reader.next()->key, "a");
  EXPECT_EQ(error_of<std::runtime_error>([&] { reader.next(); }),
            "cannot read " + in_data.string() + ": member b.jpg: Truncated tar archive");

  const fs::path in_header = dir / "in_header.tar";  // inside b.jpg's header
  write_text(in_header, bytes.substr(0, 512 * 7 + 100));
  ShardReader header_reader(in_header);
  EXPECT_EQ(header_reader.next()->files.at("jpg"), std::string(3000, 'a'));
  const std::string error =
      "cannot read " + in_header.string() + ": after member a.jpg: Truncated tar archive";
  EXPECT_EQ(error_of<std::runtime_error>([&] { header_reader.next(); }), error);
  EXPECT_EQ(error_of<std::runtime_error>([&] { header_reader.next(); }), error);  // and stays so

  const fs::path first_header = dir / "first_header.tar";
  write_text(first_header, bytes.substr(0, 100));
  EXPECT_EQ(error_of<std::runtime_error>([&] {
              ShardReader r(first_header);
              r.next();
            }),
            "cannot open " + first_header.string() + ": Unrecognized archive format");

  // A pax header cut short: libarchive gives no message of its own.
  const fs::path in_pax = dir / "in_pax.tar";
  write_tar(whole, {{"a.jpg", "a"}, {kLongName, "b"}});
  write_text(in_pax, read_text(whole).substr(0, 1024 + 700));
  ShardReader pax_reader(in_pax);
  EXPECT_EQ(pax_reader.next()->key, "a");
  EXPECT_EQ(error_of<std::runtime_error>([&] { pax_reader.next(); }),
            "cannot read " + in_pax.string() + ": after member a.jpg: corrupt or truncated tar archive");

  // A tar cut right after a member reads as complete, as with GNU tar and
  // Python's tarfile; the manifest's byte count and SHA-256 catch it.
  const fs::path at_boundary = dir / "at_boundary.tar";
  write_text(at_boundary, bytes.substr(0, 512 * 7));
  EXPECT_EQ(read_all(at_boundary).size(), 1u);
}

TEST(tar_shard_test, a_damaged_header_is_an_error_not_a_lost_member) {
  // libarchive would skip a header that fails its checksum and read on: the
  // sample would lose a file without a word.
  TempDir dir;
  const fs::path tar = dir / "damaged.tar";
  write_tar(tar, {{"a.jpg", std::string(3000, 'a')}, {"a.json", "{}"}, {"b.jpg", "b"}});
  std::string bytes = read_text(tar);
  bytes[512 * 7] = 'X';  // a.json's name, its checksum unchanged
  write_text(tar, bytes);
  ShardReader reader(tar);
  // Sample "a" is not returned without its json: the error comes first.
  const std::string error = error_of<std::runtime_error>([&] { reader.next(); });
  EXPECT_EQ(error.rfind("cannot read " + tar.string() + ": after member a.jpg: ", 0), 0u) << error;
  EXPECT_EQ(error_of<std::runtime_error>([&] { reader.next(); }), error);  // and stays so
}

TEST(tar_shard_test, says_which_file_cannot_be_opened) {
  TempDir dir;
  EXPECT_EQ(error_of<std::runtime_error>([&] { ShardReader reader(dir / "missing.tar"); }),
            "cannot open " + (dir / "missing.tar").string() + ": Failed to open '" +
                (dir / "missing.tar").string() + "'");
  write_text(dir / "text.tar", "not a tar file\n");
  EXPECT_EQ(error_of<std::runtime_error>([&] { ShardReader reader(dir / "text.tar"); }),
            "cannot open " + (dir / "text.tar").string() + ": Unrecognized archive format");
}

// ------------------------------------------------ Python's tarfile and numpy

// An independent reader: Python's tarfile and numpy.load
// (tests/check_tar_npy.py) read back a tar of .npy members we wrote.
TEST(tar_shard_test, python_tarfile_and_numpy_read_what_we_write) {
  TempDir dir;
  using Shape = std::vector<std::size_t>;
  struct Array {
    std::string name;
    Shape shape;
    std::vector<double> values;
  };
  std::vector<double> grid;
  for (int i = 0; i < 3 * 4 * 5; ++i) grid.push_back(std::sin(i * 0.37) * std::sin(i * 0.37));  // in [0, 1]
  grid[1] = 0.5 + std::ldexp(1.0, -12) + std::ldexp(1.0, -40);  // double rounding through float would differ
  grid[2] = 65520.0;                                            // inf
  grid[3] = std::ldexp(3.0, -25);                               // subnormal tie
  grid[4] = -0.0;
  const std::vector<Array> arrays = {
      {"s1.heatmaps.npy", {3, 4, 5}, grid},
      {"s2.heatmaps.npy", {5}, {0.1, 0.2, 0.3, 1.0 / 3.0, 1.0}},
      {"s3.heatmaps.npy", {}, {0.7071067811865476}},
      {"s4.heatmaps.npy", {0, 16, 16}, {}},
      {"folder/" + std::string(120, 'k') + ".heatmaps.npy", {2, 1}, {1e-5, 1e-8}},
  };

  nlohmann::json expected;
  expected["members"] = nlohmann::json::array();
  TarWriter writer(dir / "shard.tar");
  const auto add = [&](const std::string& name, const std::string& bytes) {
    writer.add(name, bytes);
    expected["members"].push_back(
        {{"name", name}, {"size", bytes.size()}, {"sha256", loctex::core::sha256_hex(bytes)}});
  };
  add("s1.jpg", std::string("\xFF\xD8\xFF\xE0 not really a jpeg", 22));
  add("s1.json", "{\"caption\": \"a cat\"}");
  for (const auto& array : arrays) {
    add(array.name, loctex::pipeline::encode_npy_f16(array.values, array.shape));
    expected["members"].back()["npy"] = {{"shape", array.shape}, {"values", array.values}};
  }
  writer.finish();
  write_text(dir / "expected.json", expected.dump());

  const std::string command = "/usr/bin/python3 " + std::string(LOCTEX_SOURCE_DIR) +
                              "/tests/check_tar_npy.py " + (dir / "shard.tar").string() + " " +
                              (dir / "expected.json").string();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
