#include "pipeline/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using loctex::pipeline::decode_npy;
using loctex::pipeline::encode_npy_f16;
using loctex::pipeline::NpyArray;
using loctex::testing::error_of;
using Shape = std::vector<std::size_t>;

// Magic, version 1.0 and the little-endian header length.
std::string prefix_v1(std::size_t header_len) {
  std::string p = "\x93NUMPY\x01";
  p.push_back('\0');
  p.push_back(static_cast<char>(header_len & 0xFF));
  p.push_back(static_cast<char>(header_len >> 8));
  return p;
}

// What np.save writes before the data (numpy 1.24): the dict, spaces, '\n'.
std::string numpy_header(const std::string& dict, std::size_t header_len) {
  return prefix_v1(header_len) + dict + std::string(header_len - dict.size() - 1, ' ') + "\n";
}

// A .npy file around any header dict, padded the way numpy pads (version 1.0
// or 2.0), for testing the reader on files our writer would not produce.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  for (std::size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  return out + header + data;
}

std::uint16_t half_bits(double value) {
  const std::vector<double> values{value};
  const Shape shape{1};
  const std::string npy = encode_npy_f16(values, shape);
  return static_cast<std::uint16_t>(static_cast<unsigned char>(npy[npy.size() - 2]) |
                                    static_cast<unsigned char>(npy[npy.size() - 1]) << 8);
}

std::string header_of(const std::string& npy) {
  return npy.substr(0, 10 + (static_cast<unsigned char>(npy[8]) | static_cast<unsigned char>(npy[9]) << 8));
}

TEST(npy_test, writes_the_header_numpy_writes_for_known_shapes) {
  // Each expected header_len is what numpy 1.24's np.save gives for the shape.
  struct Case {
    Shape shape;
    std::string dict;
    std::size_t header_len;
  };
  const std::vector<Case> cases = {
      {{3, 16, 16}, "{'descr': '<f2', 'fortran_order': False, 'shape': (3, 16, 16), }", 118},
      {{5}, "{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }", 118},
      {{}, "{'descr': '<f2', 'fortran_order': False, 'shape': (), }", 118},
      {{0}, "{'descr': '<f2', 'fortran_order': False, 'shape': (0,), }", 118},
      {{1, 2}, "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2), }", 118},
      {{100000, 0}, "{'descr': '<f2', 'fortran_order': False, 'shape': (100000, 0), }", 118},
      {Shape(20, 1),
       "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
       "1, "
       "1, 1, 1), }",
       182},
  };
  for (const auto& c : cases) {
    std::size_t count = 1;
    for (const auto d : c.shape) count *= d;
    const std::vector<double> values(count, 0.0);
    const std::string npy = encode_npy_f16(values, c.shape);
    EXPECT_EQ(header_of(npy), numpy_header(c.dict, c.header_len)) << c.dict;
    EXPECT_EQ(npy.size(), 10 + c.header_len + 2 * count) << c.dict;
    EXPECT_EQ(header_of(npy).size() % 64, 0u) << c.dict;
  }
}

TEST(npy_test, leaves_numpys_growth_room_after_the_dict) {
  // numpy pads 21 - len(repr(shape[0])) spaces after the dict so the first
  // axis can grow in place; the 0-d shape has no such axis.
  const std::vector<double> none;
  const Shape wide{123456789012345, 0};
  const std::string npy = encode_npy_f16(none, wide);
  const std::string dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (123456789012345, 0), }";
  EXPECT_EQ(header_of(npy), numpy_header(dict, 118));
  EXPECT_EQ(npy.substr(10 + dict.size(), 6), std::string(6, ' '));
}

TEST(npy_test, rounds_doubles_to_the_nearest_half) {
  EXPECT_EQ(half_bits(0.0), 0x0000);
  EXPECT_EQ(half_bits(-0.0), 0x8000);
  EXPECT_EQ(half_bits(0.1), 0x2E66);
  EXPECT_EQ(half_bits(0.5), 0x3800);
  EXPECT_EQ(half_bits(1.0), 0x3C00);
  EXPECT_EQ(half_bits(-2.0), 0xC000);
  EXPECT_EQ(half_bits(1.0 / 3.0), 0x3555);
  EXPECT_EQ(half_bits(65504.0), 0x7BFF);  // the largest half
  EXPECT_EQ(half_bits(65519.99), 0x7BFF);
  EXPECT_EQ(half_bits(std::ldexp(1.0, -14)), 0x0400);                         // smallest normal
  EXPECT_EQ(half_bits(std::ldexp(1.0, -14) - std::ldexp(1.0, -24)), 0x03FF);  // largest subnormal
}

TEST(npy_test, values_beyond_the_half_range_become_infinite) {
  EXPECT_EQ(half_bits(65520.0), 0x7C00);  // the midpoint to 2^16 rounds up, to inf
  EXPECT_EQ(half_bits(-65520.0), 0xFC00);
  EXPECT_EQ(half_bits(1e300), 0x7C00);
  EXPECT_EQ(half_bits(std::numeric_limits<double>::infinity()), 0x7C00);
  EXPECT_EQ(half_bits(-std::numeric_limits<double>::infinity()), 0xFC00);
  EXPECT_EQ(half_bits(std::numeric_limits<double>::quiet_NaN()), 0x7E00);
}

TEST(npy_test, tiny_values_become_subnormals_or_zero) {
  EXPECT_EQ(half_bits(std::ldexp(1.0, -24)), 0x0001);         // smallest subnormal
  EXPECT_EQ(half_bits(std::ldexp(1.0, -25)), 0x0000);         // half of it: a tie, to even zero
  EXPECT_EQ(half_bits(std::ldexp(1.0 + 1e-9, -25)), 0x0001);  // just past the tie
  EXPECT_EQ(half_bits(std::ldexp(3.0, -25)), 0x0002);         // 1.5 subnormal steps: tie, to even 2
  EXPECT_EQ(half_bits(std::ldexp(5.0, -25)), 0x0002);         // 2.5 steps: tie, to even 2
  EXPECT_EQ(half_bits(1e-50), 0x0000);
  EXPECT_EQ(half_bits(-1e-50), 0x8000);
  EXPECT_EQ(half_bits(std::numeric_limits<double>::denorm_min()), 0x0000);
}

TEST(npy_test, ties_round_to_even) {
  EXPECT_EQ(half_bits(1.0 + std::ldexp(1.0, -11)), 0x3C00);  // between 0x3C00 and 0x3C01
  EXPECT_EQ(half_bits(1.0 + std::ldexp(3.0, -11)), 0x3C02);  // between 0x3C01 and 0x3C02
  EXPECT_EQ(half_bits(2048.0 + 1.0), 0x6800);                // halves step by 2 there
  EXPECT_EQ(half_bits(2048.0 + 3.0), 0x6802);
  EXPECT_EQ(half_bits(-(1.0 + std::ldexp(3.0, -11))), 0xBC02);
}

// Converting through float first would round twice: the float nearest
// 0.5 + 2^-12 + 2^-40 is the midpoint 0.5 + 2^-12 itself, which ties to the
// even 0x3800. numpy's direct float64 -> float16 gives 0x3801, and so do we.
TEST(npy_test, rounds_once_as_numpy_does_not_through_float) {
  EXPECT_EQ(half_bits(0.5 + std::ldexp(1.0, -12) + std::ldexp(1.0, -40)), 0x3801);
  EXPECT_EQ(half_bits(0.5 + std::ldexp(1.0, -12) - std::ldexp(1.0, -40)), 0x3800);
  EXPECT_EQ(half_bits(0.5 + std::ldexp(3.0, -12) - std::ldexp(1.0, -40)), 0x3801);
  EXPECT_EQ(half_bits(std::ldexp(1.0, -25) + std::ldexp(1.0, -60)), 0x0001);
  EXPECT_EQ(half_bits(65520.0 - std::ldexp(1.0, -30)), 0x7BFF);
}

TEST(npy_test, writes_little_endian_halves_in_c_order) {
  const std::vector<double> values{1.0, 2.0, -2.0, 0.1};
  const Shape shape{2, 2};
  const std::string npy = encode_npy_f16(values, shape);
  EXPECT_EQ(npy.substr(128), std::string("\x00\x3C\x00\x40\x00\xC0\x66\x2E", 8));
}

TEST(npy_test, rejects_a_value_count_that_does_not_match_the_shape) {
  const std::vector<double> five(5, 0.0);
  const Shape two_by_three{2, 3};
  EXPECT_EQ(error_of<std::invalid_argument>([&] { encode_npy_f16(five, two_by_three); }),
            "npy: shape (2, 3) needs 6 values, got 5");
  const Shape scalar{};
  EXPECT_EQ(error_of<std::invalid_argument>([&] { encode_npy_f16(five, scalar); }),
            "npy: shape () needs 1 values, got 5");
  const Shape huge{std::size_t{1} << 40, std::size_t{1} << 40};
  EXPECT_EQ(error_of<std::invalid_argument>([&] { encode_npy_f16(five, huge); }),
            "npy: shape (1099511627776, 1099511627776) needs too many values, got 5");
}

TEST(npy_test, refuses_a_header_too_long_for_version_1) {
  const std::vector<double> one{1.0};
  const Shape many(22000, 1);  // numpy would switch to version 2.0 here
  EXPECT_EQ(error_of<std::invalid_argument>([&] { encode_npy_f16(one, many); }),
            "npy: a header of 66102 bytes does not fit format version 1.0");
}

TEST(npy_test, decodes_what_it_encodes) {
  std::vector<double> values;
  for (int i = 0; i < 24; ++i) values.push_back(i / 16.0 - 0.5);  // all exact in half
  const Shape shape{2, 3, 4};
  const NpyArray array = decode_npy(encode_npy_f16(values, shape));
  EXPECT_EQ(array.descr, "<f2");
  EXPECT_FALSE(array.fortran_order);
  EXPECT_EQ(array.shape, shape);
  EXPECT_EQ(array.element_count(), 24u);
  EXPECT_EQ(array.data.size(), 48u);
  const auto floats = array.to_floats();
  ASSERT_EQ(floats.size(), 24u);
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(floats[i], static_cast<float>(values[i])) << i;
}

TEST(npy_test, decoding_gives_the_nearest_half_of_each_value) {
  const std::vector<double> values{0.1, 1.0 / 3.0, 65520.0, std::ldexp(1.0, -24), -1e-50, 0.7071067811865476};
  const Shape shape{6};
  const auto floats = decode_npy(encode_npy_f16(values, shape)).to_floats();
  ASSERT_EQ(floats.size(), 6u);
  EXPECT_EQ(floats[0], 0.0999755859375f);
  EXPECT_EQ(floats[1], 0.333251953125f);
  EXPECT_EQ(floats[2], std::numeric_limits<float>::infinity());
  EXPECT_EQ(floats[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(floats[4], 0.0f);
  EXPECT_TRUE(std::signbit(floats[4]));
  EXPECT_EQ(floats[5], 0.70703125f);
}

TEST(npy_test, decodes_zero_dimensional_and_empty_arrays) {
  const std::vector<double> one{0.25};
  const NpyArray scalar = decode_npy(encode_npy_f16(one, Shape{}));
  EXPECT_EQ(scalar.shape, Shape{});
  EXPECT_EQ(scalar.element_count(), 1u);
  EXPECT_EQ(scalar.to_floats(), std::vector<float>{0.25f});

  const std::vector<double> none;
  const NpyArray empty = decode_npy(encode_npy_f16(none, Shape{0, 7}));
  EXPECT_EQ(empty.shape, (Shape{0, 7}));
  EXPECT_EQ(empty.element_count(), 0u);
  EXPECT_TRUE(empty.to_floats().empty());
}

TEST(npy_test, decodes_float32_and_version_2_files) {
  // 1.0f, -0.5f and 0.1f as little-endian float32.
  const std::string data("\x00\x00\x80\x3F\x00\x00\x00\xBF\xCD\xCC\xCC\x3D", 12);
  for (const int major : {1, 2}) {
    const NpyArray array =
        decode_npy(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", data, major));
    EXPECT_EQ(array.descr, "<f4");
    EXPECT_EQ(array.shape, Shape{3});
    EXPECT_EQ(array.to_floats(), (std::vector<float>{1.0f, -0.5f, 0.1f})) << "version " << major;
  }
}

TEST(npy_test, accepts_any_dict_layout_python_would_read) {
  const std::string data("\x00\x3C\x00\x40", 4);
  for (const std::string dict : {
           "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
           "{'shape': (2,), 'fortran_order': False, 'descr': '<f2'}",
           "{\"descr\":\"<f2\",\"fortran_order\":False,\"shape\":( 2 , )}",
           "  {  'descr' : '<f2' ,\n 'fortran_order' : False , 'shape' : (2,) ,  }  ",
       }) {
    const NpyArray array = decode_npy(npy_file(dict, data));
    EXPECT_EQ(array.shape, Shape{2}) << dict;
    EXPECT_EQ(array.to_floats(), (std::vector<float>{1.0f, 2.0f})) << dict;
  }
  EXPECT_EQ(decode_npy(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (1, 2)}", data)).shape,
            (Shape{1, 2}));
}

TEST(npy_test, reports_what_is_wrong_with_a_file) {
  const auto error = [](const std::string& bytes) {
    return error_of<std::invalid_argument>([&] { decode_npy(bytes); });
  };
  const std::string ok_data("\x00\x3C\x00\x40", 4);
  EXPECT_EQ(error(""), "npy: not a .npy file (bad magic)");
  EXPECT_EQ(error("PK\x03\x04 a zip file"), "npy: not a .npy file (bad magic)");
  EXPECT_EQ(error("\x93NUMPY"), "npy: file ends inside the header");
  EXPECT_EQ(error(std::string("\x93NUMPY\x01\x00\x76", 9)), "npy: file ends inside the header");
  EXPECT_EQ(error(prefix_v1(118) + "{'descr': '<f2', "), "npy: file ends inside the header");
  EXPECT_EQ(error(std::string("\x93NUMPY\x03\x00\x00\x00\x00\x00", 12)),
            "npy: unsupported format version 3.0; only 1.0 and 2.0");
  EXPECT_EQ(error(std::string("\x93NUMPY\x01\x01\x00\x00", 10)),
            "npy: unsupported format version 1.1; only 1.0 and 2.0");
  EXPECT_EQ(error(npy_file("{'descr': '<f2', 'fortran_order': True, 'shape': (2,), }", ok_data)),
            "npy: Fortran-order arrays are not supported");
  EXPECT_EQ(error(npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", ok_data)),
            "npy: unsupported dtype '<i4'; only '<f2' and '<f4'");
  EXPECT_EQ(error(npy_file("{'descr': '>f2', 'fortran_order': False, 'shape': (2,), }", ok_data)),
            "npy: unsupported dtype '>f2'; only '<f2' and '<f4'");
  EXPECT_EQ(error(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", ok_data)),
            "npy: data holds 4 bytes, shape (3,) of '<f2' needs 6");
  EXPECT_EQ(error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", ok_data)),
            "npy: data holds 4 bytes, shape (2, 2) of '<f4' needs 16");
  EXPECT_EQ(error(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
                           ok_data)),
            "npy: data holds 4 bytes, shape (4294967296, 4294967296) of '<f2' needs more");
}

TEST(npy_test, reports_a_header_that_is_not_the_dict_numpy_writes) {
  const auto error = [](const std::string& dict) {
    return error_of<std::invalid_argument>([&] { decode_npy(npy_file(dict, std::string(2, '\0'))); });
  };
  const std::string why = "npy: header is not the dict numpy writes ";
  EXPECT_EQ(error("descr: <f2"), why + "(expected '{' at offset 0): descr: <f2");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': False}"),
            why + "(missing key 'shape'): {'descr': '<f2', 'fortran_order': False}");
  EXPECT_EQ(
      error("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), 'extra': 1}"),
      why + "(unknown key 'extra'): {'descr': '<f2', 'fortran_order': False, 'shape': (1,), 'extra': 1}");
  EXPECT_EQ(error("{'descr': '<f2', 'descr': '<f2'}"),
            why + "(duplicate key 'descr'): {'descr': '<f2', 'descr': '<f2'}");
  EXPECT_EQ(error("{'descr': [('x', '<f2')], 'fortran_order': False, 'shape': (1,)}"),
            why +
                "(expected a string for 'descr' at offset 10): "
                "{'descr': [('x', '<f2')], 'fortran_order': False, 'shape': (1,)}");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': 0, 'shape': (1,)}"),
            why +
                "(expected True or False for 'fortran_order' at offset 34): "
                "{'descr': '<f2', 'fortran_order': 0, 'shape': (1,)}");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': False, 'shape': (1)}"),
            why +
                "('shape' is a parenthesised int, not a tuple): "
                "{'descr': '<f2', 'fortran_order': False, 'shape': (1)}");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': False, 'shape': (-1,)}"),
            why +
                "(expected a tuple of non-negative integers for 'shape' at offset 51): "
                "{'descr': '<f2', 'fortran_order': False, 'shape': (-1,)}");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': False, 'shape': (1 2)}"),
            why +
                "(expected ',' or ')' in 'shape' at offset 53): "
                "{'descr': '<f2', 'fortran_order': False, 'shape': (1 2)}");
  EXPECT_EQ(error("{'descr': '<f2', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
            why +
                "(dimension too large in 'shape'): "
                "{'descr': '<f2', 'fortran_order': False, 'shape': (99999999999999999999,)}");
  EXPECT_EQ(error("{'descr': '<f2' 'fortran_order': False, 'shape': (1,)}"),
            why + "(expected ',' at offset 16): {'descr': '<f2' 'fortran_order': False, 'shape': (1,)}");
  EXPECT_EQ(error("{'descr': '<f2}"), why + "(unterminated string at offset 10): {'descr': '<f2}");
  EXPECT_EQ(
      error("{'descr': '<f2', 'fortran_order': False, 'shape': (1,)} x"),
      why + "(unexpected text after the dict): {'descr': '<f2', 'fortran_order': False, 'shape': (1,)} x");
  EXPECT_EQ(error("{'descr': '<\\x66', 'fortran_order': False, 'shape': (1,)}"),
            why +
                "(escapes in strings are not supported): "
                "{'descr': '<\\x66', 'fortran_order': False, 'shape': (1,)}");
}

TEST(npy_test, widens_only_float16_and_float32) {
  NpyArray array;
  array.descr = "<f8";
  array.shape = {1};
  array.data = std::string(8, '\0');
  EXPECT_EQ(error_of<std::invalid_argument>([&] { array.to_floats(); }),
            "npy: cannot widen dtype '<f8' to float; only '<f2' and '<f4'");
  array.descr = "<f2";
  EXPECT_EQ(error_of<std::invalid_argument>([&] { array.to_floats(); }),
            "npy: data holds 8 bytes, shape (1,) of '<f2' needs 2");
}

}  // namespace
