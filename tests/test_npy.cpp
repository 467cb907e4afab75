// test_npy.cpp — the .npy reader and writer: round trips, numpy's exact header bytes, and the
// files bnlab must refuse with a message naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/npy.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test under the system temp dir, removed afterwards.
class NpyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bnlab_npy_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_raw(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary) << bytes;
  }
  // The message read_npy throws for this file; fails the test if it reads fine.
  std::string read_error(const std::string& name) const {
    try {
      read_npy(path(name));
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    ADD_FAILURE() << name << " was read without complaint";
    return "";
  }
  fs::path dir_;
};

// A header as numpy writes it for `dict` (with numpy's spaces already in it), version `major`.
std::string raw_header(const std::string& dict, int major) {
  const size_t len_bytes = major == 1 ? 2 : 4;
  std::string h = "{" + dict + "}";
  while ((8 + len_bytes + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xFF);
  return out + h;
}

std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

TEST(NpyHeader, ShapeStringsAsPython) {
  EXPECT_EQ(shape_string({}), "()");
  EXPECT_EQ(shape_string({100}), "(100,)");
  EXPECT_EQ(shape_string({100, 784}), "(100, 784)");
}

// numpy.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)) writes, by the format spec
// (numpy/lib/format.py): magic, version 1.0, uint16 header length 118, the dict with 20 spaces
// of room for the first axis to grow to 21 digits, more spaces up to byte 127, '\n' — 128 bytes
// before the data. (numpy is not installed here, so this is checked against the spec.)
TEST(NpyHeader, ByteExactForTwoByThree) {
  const std::vector<float> data = {0, 1, 2, 3, 4, 5};
  const std::string bytes = encode_npy({2, 3}, data);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict;
  expected.append(127 - expected.size(), ' ');
  expected += '\n';
  ASSERT_EQ(expected.size(), 128u);
  EXPECT_EQ(bytes.substr(0, 128), expected);
  EXPECT_EQ(bytes.substr(128), float_bytes(data));
}

TEST(NpyHeader, DataAlwaysStartsOn64ByteBoundary) {
  for (const std::vector<int64_t>& shape :
       std::vector<std::vector<int64_t>>{{}, {0}, {7}, {12345}, {1, 1}, {100, 784}, {2, 3, 4}}) {
    int64_t n = 1;
    for (const int64_t d : shape) n *= d;
    const std::string bytes = encode_npy(shape, std::vector<float>(n, 1.0f));
    const size_t header_len =
        static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
    EXPECT_EQ((10 + header_len) % 64, 0u) << shape_string(shape);
    EXPECT_EQ(bytes[10 + header_len - 1], '\n') << shape_string(shape);
    EXPECT_EQ(bytes.size(), 10 + header_len + n * sizeof(float)) << shape_string(shape);
  }
}

// numpy pads with 1 to 64 spaces, never 0: a dict (with growth room) of 117 bytes would end the
// header exactly on byte 128 with its newline, so numpy adds a whole 64 more.
TEST(NpyHeader, FullPadWhenAlreadyAligned) {
  std::vector<int64_t> shape(13, 1);  // (1, 1, ..., 1, 100): 14 axes, dict of 117 bytes
  shape.push_back(100);
  const std::string bytes = encode_npy(shape, std::vector<float>(100, 0.0f));
  const size_t header_len =
      static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
  EXPECT_EQ(header_len, 117u + 64u + 1u);
}

TEST_F(NpyFiles, RoundTripOneAndTwoDimensions) {
  const std::vector<float> v = {1.5f, -2.25f, 3e-8f, 1e30f, 0.0f};
  write_npy(path("v.npy"), {5}, v);
  NpyArray a = read_npy(path("v.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(a.data, v);

  std::vector<float> m(100 * 784);  // (100, 784)
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) * 0.001f - 7.0f;
  write_npy(path("m.npy"), {100, 784}, m);
  a = read_npy(path("m.npy"));
  EXPECT_EQ(a.shape, (std::vector<int64_t>{100, 784}));
  EXPECT_EQ(a.data, m);
}

// Zero-element arrays are valid .npy files (numpy.save(np.zeros((0, 5), np.float32))); their
// empty data must be read without touching a buffer (UBSan checks this in CI).
TEST(NpyDecode, ZeroElementArrays) {
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{0}, {0, 5}, {3, 0}}) {
    const NpyArray a = decode_npy(encode_npy(shape, {}), "z.npy");
    EXPECT_EQ(a.shape, shape);
    EXPECT_TRUE(a.data.empty());
  }
}

TEST_F(NpyFiles, ReadsVersionTwoAndThreeHeaders) {
  const std::vector<float> data = {1, 2, 3, 4, 5, 6};
  const std::string dict = "'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), ";
  for (const int major : {2, 3}) {
    const std::string name = "v" + std::to_string(major) + ".npy";
    write_raw(name, raw_header(dict, major) + float_bytes(data));
    const NpyArray a = read_npy(path(name));
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(a.data, data);
  }
}

TEST_F(NpyFiles, ReadsKeysInAnyOrder) {
  const std::vector<float> data = {1, 2};
  write_raw("k.npy", raw_header("\"shape\": (2,), \"fortran_order\": False, \"descr\": '<f4'", 1) +
                         float_bytes(data));
  EXPECT_EQ(read_npy(path("k.npy")).data, data);
}

TEST_F(NpyFiles, RefusesFloat64WithConversionHint) {
  write_raw("layers.0.weight.npy",
            raw_header("'descr': '<f8', 'fortran_order': False, 'shape': (2,), ", 1) +
                std::string(16, '\0'));
  const std::string e = read_error("layers.0.weight.npy");
  EXPECT_NE(e.find("layers.0.weight.npy: dtype '<f8' (float64); bnlab needs '<f4' float32"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("a.astype(np.float32)"), std::string::npos) << e;
}

TEST_F(NpyFiles, RefusesFortranOrder) {
  write_raw("f.npy", raw_header("'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), ", 1) +
                         float_bytes({1, 2, 3, 4}));
  const std::string e = read_error("f.npy");
  EXPECT_NE(e.find(path("f.npy") + ": fortran_order True"), std::string::npos) << e;
}

TEST_F(NpyFiles, RefusesTruncatedData) {
  const std::string whole = encode_npy({2, 3}, {0, 1, 2, 3, 4, 5});
  write_raw("t.npy", whole.substr(0, whole.size() - 3));
  const std::string e = read_error("t.npy");
  EXPECT_NE(e.find(path("t.npy") + ":"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;

  write_raw("h.npy", whole.substr(0, 40));  // cut inside the header
  EXPECT_NE(read_error("h.npy").find("truncated"), std::string::npos);
}

TEST_F(NpyFiles, RefusesBadMagic) {
  std::string bytes = encode_npy({2}, {1, 2});
  bytes[1] = 'X';
  write_raw("m.npy", bytes);
  EXPECT_NE(read_error("m.npy").find(path("m.npy") + ": not a .npy file"), std::string::npos);
  write_raw("empty.npy", "");
  EXPECT_NE(read_error("empty.npy").find("not a .npy file"), std::string::npos);
}

TEST_F(NpyFiles, RefusesMalformedHeaders) {
  const std::string data = float_bytes({1, 2});
  for (const std::string& dict :
       {std::string("'descr': '<f4', 'shape': (2,), "),  // no fortran_order
        std::string("'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, "),
        std::string("'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), "),
        std::string("'descr': '<f4', 'fortran_order': False, 'shape': (-2,), "),
        std::string("'descr': '<f4', 'fortran_order': False, 'shape': (2,"),
        std::string("'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), ")}) {
    write_raw("bad.npy", raw_header(dict, 1) + data);
    const std::string e = read_error("bad.npy");
    EXPECT_EQ(e.rfind(path("bad.npy") + ": ", 0), 0u) << e;
  }
}

TEST_F(NpyFiles, MissingFileNamesIt) {
  EXPECT_NE(read_error("nope.npy").find(path("nope.npy") + ": cannot open"), std::string::npos);
}

}  // namespace
}  // namespace bnlab
