// idx.h — LeCun's IDX format (MNIST, Fashion-MNIST), gzip-compressed or plain.
//
// The format: bytes 00 00 <type> <ndims>, then ndims big-endian uint32 sizes, then the elements
// row-major. Only unsigned bytes (type 0x08) are needed for images and labels, so only those are
// read. Reading checks every size against the header, because a truncated download otherwise
// shows up much later as a network that will not learn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bnlab {

struct IdxArray {
  std::vector<uint32_t> dims;  // e.g. (60000, 28, 28) for images, (60000) for labels
  std::vector<uint8_t> data;   // (dims[0], dims[1], ...) row-major
};

// The most data one IDX file may hold: the header is checked against it before anything is
// inflated, so a small gzip file claiming gigabytes is refused at once.
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 30;

// Reads a .gz or plain IDX file (told apart by the gzip magic). Throws std::runtime_error naming
// `path` and what is wrong: missing, not IDX, unsupported type, too large, truncated, trailing
// bytes, or — when `items` is not 0 (the number of labels, for images) — another number of items.
IdxArray read_idx_file(const std::string& path, uint32_t items = 0);

// The same for bytes already in memory (the embedded MNIST); `name` stands for the file in errors.
IdxArray read_idx_bytes(std::string_view bytes, const std::string& name, uint32_t items = 0);

// Writes `a` as IDX, gzip-compressed when `gzip` is set (header without time stamp, so equal
// arrays give equal files). Throws std::runtime_error if the file cannot be written.
void write_idx_file(const std::string& path, const IdxArray& a, bool gzip);

}  // namespace bnlab
