// test_idx.cpp — the IDX reader and writer: round trips, and a clear error for every kind of
// damaged file (missing, truncated, not IDX, wrong element type, bytes left over).
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_util.h"

#include "core/idx.h"

namespace bnlab {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// One gzip member holding `raw`, made with zlib directly so tests can compress arbitrary bytes.
std::string gzip_member(const std::string& raw) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, raw.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A small 3-D array, (3, 2, 4), with distinct values so misplaced bytes show.
IdxArray sample() {
  IdxArray a;
  a.dims = {3, 2, 4};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<uint8_t>(i * 11 % 256));
  return a;
}

// Plain IDX bytes of sample(): header 00 00 08 03, sizes 3, 2, 4, then 24 data bytes.
std::string sample_bytes() {
  std::string b = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4};
  for (uint8_t v : sample().data) b.push_back(static_cast<char>(v));
  return b;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bnlab-idx-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(IdxTest, RoundTripPlain) {
  write_idx_file(path("a.idx"), sample(), false);
  EXPECT_EQ(read_bytes(path("a.idx")), sample_bytes());
  const IdxArray b = read_idx_file(path("a.idx"));
  EXPECT_EQ(b.dims, sample().dims);
  EXPECT_EQ(b.data, sample().data);
}

TEST_F(IdxTest, RoundTripGzip) {
  write_idx_file(path("a.gz"), sample(), true);
  const std::string bytes = read_bytes(path("a.gz"));
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x1f);  // really compressed
  EXPECT_EQ(static_cast<uint8_t>(bytes[1]), 0x8b);
  const IdxArray b = read_idx_file(path("a.gz"));
  EXPECT_EQ(b.dims, sample().dims);
  EXPECT_EQ(b.data, sample().data);
  const IdxArray c = read_idx_bytes(bytes, "in memory");
  EXPECT_EQ(c.data, sample().data);
}

TEST_F(IdxTest, GzipOutputIsDeterministic) {
  write_idx_file(path("a.gz"), sample(), true);
  write_idx_file(path("other-name.gz"), sample(), true);
  const std::string a = read_bytes(path("a.gz"));
  EXPECT_EQ(a, read_bytes(path("other-name.gz")));
  ASSERT_GE(a.size(), 8u);
  EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));  // gzip MTIME field: no time stamp
}

TEST_F(IdxTest, ReadsPlainBytesFromMemory) {
  const IdxArray a = read_idx_bytes(sample_bytes(), "in memory");
  EXPECT_EQ(a.dims, sample().dims);
  EXPECT_EQ(a.data, sample().data);
}

TEST_F(IdxTest, ReadsConcatenatedGzipMembers) {
  const std::string raw = sample_bytes();
  write_bytes(path("two.gz"), gzip_member(raw.substr(0, 10)) + gzip_member(raw.substr(10)));
  EXPECT_EQ(read_idx_file(path("two.gz")).data, sample().data);
}

TEST_F(IdxTest, RejectsMissingFile) {
  const std::string msg = error_of([&] { read_idx_file(path("nope.gz")); });
  EXPECT_TRUE(Contains(msg, path("nope.gz")));
  EXPECT_TRUE(Contains(msg, "cannot open"));
}

TEST_F(IdxTest, RejectsTruncatedFile) {
  write_bytes(path("short.idx"), sample_bytes().substr(0, 16 + 19));
  const std::string msg = error_of([&] { read_idx_file(path("short.idx")); });
  EXPECT_TRUE(Contains(msg, path("short.idx") + ": truncated IDX file"));
  EXPECT_TRUE(Contains(msg, "3×2×4 = 24 bytes, found 19"));

  write_bytes(path("short-header.idx"), sample_bytes().substr(0, 10));
  EXPECT_TRUE(Contains(error_of([&] { read_idx_file(path("short-header.idx")); }),
                       "truncated IDX header"));
}

TEST_F(IdxTest, RejectsTruncatedGzip) {
  IdxArray big;
  big.dims = {1000};
  for (int i = 0; i < 1000; ++i) big.data.push_back(static_cast<uint8_t>(i * i % 251));
  write_idx_file(path("big.gz"), big, true);
  const std::string bytes = read_bytes(path("big.gz"));
  write_bytes(path("cut.gz"), bytes.substr(0, bytes.size() / 2));
  const std::string msg = error_of([&] { read_idx_file(path("cut.gz")); });
  EXPECT_TRUE(Contains(msg, path("cut.gz") + ": truncated gzip data"));
}

TEST_F(IdxTest, RejectsWrongMagic) {
  write_bytes(path("zip.idx"), "PK\x03\x04 not idx");
  const std::string msg = error_of([&] { read_idx_file(path("zip.idx")); });
  EXPECT_TRUE(Contains(msg, path("zip.idx") + ": not an IDX file"));
  EXPECT_TRUE(Contains(msg, "found 50 4b 03 04"));

  write_bytes(path("empty.idx"), "");
  EXPECT_TRUE(Contains(error_of([&] { read_idx_file(path("empty.idx")); }), "found nothing"));
}

// The header is checked against the size limit before anything is inflated: a 40-byte gzip file
// may claim any size.
TEST_F(IdxTest, RefusesAHeaderClaimingMoreThanTheLimit) {
  const std::string claim = {0, 0, 8, 2, 0x40, 0, 0, 0, 0, 0, 0, 1};  // 2^30 × 1 bytes: 1 GiB, allowed
  EXPECT_TRUE(Contains(error_of([&] { read_idx_bytes(gzip_member(claim), "ok.gz"); }), "truncated"));
  const std::string over = {0, 0, 8, 2, 0x40, 0, 0, 0, 0, 0, 0, 2};  // 2^31 bytes
  EXPECT_TRUE(Contains(error_of([&] { read_idx_bytes(gzip_member(over), "big.gz"); }),
                       "big.gz: IDX header declares 1073741824×2 bytes of data; bnlab reads at most 1073741824 bytes"));
}

TEST_F(IdxTest, RejectsUnsupportedElementType) {
  std::string floats = sample_bytes();
  floats[2] = 0x0d;  // IDX type code for float32
  EXPECT_TRUE(Contains(error_of([&] { read_idx_bytes(floats, "f.idx"); }),
                       "f.idx: IDX element type 0x0d is not supported"));
}

TEST_F(IdxTest, RejectsZeroDimension) {
  std::string zero = sample_bytes();
  zero[11] = 0;  // second dimension 2 → 0
  EXPECT_TRUE(Contains(error_of([&] { read_idx_bytes(zero, "z.idx"); }), "dimension 1 has size 0"));
}

TEST_F(IdxTest, RejectsTrailingBytes) {
  write_bytes(path("long.idx"), sample_bytes() + "abc");
  const std::string msg = error_of([&] { read_idx_file(path("long.idx")); });
  EXPECT_TRUE(Contains(msg, path("long.idx") + ": IDX file has 3 bytes beyond"));

  // The same inside gzip, and garbage after a complete gzip stream.
  write_bytes(path("long.gz"), gzip_member(sample_bytes() + "abc"));
  EXPECT_TRUE(Contains(error_of([&] { read_idx_file(path("long.gz")); }), "3 bytes beyond"));
  write_bytes(path("tail.gz"), gzip_member(sample_bytes()) + "junk");
  EXPECT_TRUE(Contains(error_of([&] { read_idx_file(path("tail.gz")); }),
                       "4 bytes of garbage after the gzip data"));
}

TEST_F(IdxTest, RejectsCorruptGzip) {
  std::string bytes = gzip_member(sample_bytes());
  bytes[10] = static_cast<char>(0xff);  // first byte of the deflate stream: invalid block type
  EXPECT_TRUE(Contains(error_of([&] { read_idx_bytes(bytes, "bad.gz"); }),
                       "bad.gz: corrupt gzip data"));
}

}  // namespace
}  // namespace bnlab
