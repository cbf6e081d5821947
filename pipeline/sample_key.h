#pragma once
// How a narrative becomes a sample: its key in the shards, and the
// hash-based decisions of which split and which part of a distributed build
// it belongs to. Both decisions depend on the image alone (dataset_id and
// image_id), so one image never lands in two splits or two parts, and they
// can be reproduced outside this tool (docs/dataset-builder.md shows the
// three lines of Python).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loctex::pipeline {

// "DATASET-IMAGE-ANNOTATOR" when every id is made of [A-Za-z0-9_] only, e.g.
// "mscoco_val2017-137576-94": such keys split back into their ids, so they are
// unique. Otherwise each character outside [A-Za-z0-9_] becomes '_' and
// "-" + 16 hex digits of SHA-256 of the three raw ids (joined by '\0') is
// appended: "open_images-0a_b-7-3f2a9c01d4e5b6a7". Keys never hold a dot,
// because WebDataset takes everything up to the first dot as the key.
std::string sample_key(std::string_view dataset_id, std::string_view image_id, std::string_view annotator_id);

// SHA-256 of "DATASET/IMAGE", read as two big-endian 64-bit numbers.
struct ImageHash {
  std::uint64_t split = 0;  // bytes 0-7
  std::uint64_t part = 0;   // bytes 8-15
};
ImageHash image_hash(std::string_view dataset_id, std::string_view image_id);

enum class Split { train, val };
std::string_view to_string(Split split);

// Validation when (hash.split >> 11) / 2^53 < val_fraction: a uniform number
// in [0, 1) with 53 bits, compared exactly as Python would.
Split split_of(const ImageHash& hash, double val_fraction);

// One slice of a build spread over machines: index in [0, count).
struct Part {
  std::size_t index = 0;
  std::size_t count = 1;
  bool whole() const { return count == 1; }
  friend bool operator==(const Part&, const Part&) = default;
};
// Parses "I/N" with 0 <= I < N <= 100000. Throws std::invalid_argument
// quoting the text and saying what is wrong.
Part parse_part(std::string_view text);
// Whether the image belongs to `part`: hash.part % count == index.
bool in_part(const ImageHash& hash, const Part& part);

}  // namespace loctex::pipeline
