#pragma once
// NumPy .npy files, format version 1.0, written exactly to the spec
// (numpy.lib.format): the magic "\x93NUMPY", version bytes 1 0, a little-endian
// uint16 header length, then an ASCII dict literal
// "{'descr': '<f2', 'fortran_order': False, 'shape': (3, 16, 16), }" padded
// with spaces and ended by '\n' so that the data starts at a multiple of 64
// bytes, then the raw C-order data. The bytes are those np.save writes
// (checked against numpy 1.24 in tests/check_tar_npy.py), including the
// 21 - len(str(shape[0])) spaces numpy leaves after the dict so the first axis
// can grow in place: a (3, 16, 16) header is 128 bytes, not 64. Only what the
// shards need is supported: writing little-endian float16, reading back any
// little-endian float16 or float32 array in C order.

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace loctex::pipeline {

// Encodes `values` (C order, product(shape) of them) as a '<f2' array.
// Doubles are rounded once to the nearest half (ties to even), never through
// float first; values beyond the half range become ±inf and NaN becomes
// 0x7E00, bit for bit as numpy's astype(np.float16) does. Throws
// std::invalid_argument if the element count does not match the shape.
std::string encode_npy_f16(std::span<const double> values, std::span<const std::size_t> shape);

struct NpyArray {
  std::string descr;  // e.g. "<f2"
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  std::string data;  // raw little-endian bytes, C order

  std::size_t element_count() const;
  // The elements widened to float; supports "<f2" and "<f4". Throws
  // std::invalid_argument for another descr or data of the wrong length.
  std::vector<float> to_floats() const;
};

// Parses a .npy file (version 1.0 or 2.0) holding '<f2' or '<f4' data. The
// header may be laid out any way Python would read it (key order, quotes,
// spaces, trailing comma). Throws std::invalid_argument, starting "npy: ",
// saying what is wrong: a bad magic, an unsupported version, a header that is
// not the dict numpy writes, a Fortran-order array, another dtype, or data of
// the wrong length.
NpyArray decode_npy(std::string_view bytes);

}  // namespace loctex::pipeline
