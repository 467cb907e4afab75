// idx.cpp — IDX reading and writing; see idx.h for the format.
//
// A file is read whole into memory and then decoded like the embedded files, so both paths share
// one decoder and give the same errors. gzip is inflated with zlib directly rather than gzread
// because gzread silently ignores bytes after the compressed data.
#include "core/idx.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <zlib.h>

#include "core/large_buffer.h"

namespace bnlab {
namespace {

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

bool is_gzip(const char* p, size_t n) {
  return n >= 2 && static_cast<uint8_t>(p[0]) == 0x1f && static_cast<uint8_t>(p[1]) == 0x8b;
}

// Inflates `in`, stopping once `cap` bytes are out (the output may pass it by one chunk): a small
// file can claim any size, so what is inflated is bounded by what its header was allowed to claim.
std::string gunzip(std::string_view in, const std::string& name, size_t cap) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) fail(name, "zlib could not start inflating");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);

  // Room for all of it at once (plus the chunk that may pass `cap`), so that it is not copied as
  // it grows. Inflated data is at most ~1032× its deflated size (deflate's best ratio): that
  // bounds the room, however large a header claims the data to be.
  std::vector<char> chunk(1 << 16);
  std::string out;
  reserve_large(out, std::min(cap, in.size() * 1032 + 1024) + chunk.size());
  size_t handed = 0;  // bytes of `in` given to zlib so far (avail_in is 32-bit, so in slices)
  for (;;) {
    if (z.avail_in == 0) {
      const size_t n = std::min<size_t>(in.size() - handed, size_t{1} << 30);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + handed));
      z.avail_in = static_cast<uInt>(n);
      handed += n;
    }
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - z.avail_out);
    if (out.size() >= cap) return out;
    if (rc == Z_STREAM_END) {
      // gzip allows members back to back (cat a.gz b.gz > c.gz); anything else is damage.
      const char* next = z.avail_in ? reinterpret_cast<const char*>(z.next_in) : in.data() + handed;
      const size_t rest = z.avail_in + (in.size() - handed);
      if (rest == 0) return out;
      if (!is_gzip(next, rest))
        fail(name, std::to_string(rest) + " bytes of garbage after the gzip data");
      inflateReset(&z);
    } else if (rc == Z_BUF_ERROR) {  // output space is never short here, so input ran out
      fail(name, "truncated gzip data (the file ends in the middle of the compressed stream)");
    } else if (rc != Z_OK) {
      fail(name, std::string("corrupt gzip data: ") + (z.msg ? z.msg : "unknown zlib error"));
    }
  }
}

// What an IDX header says: the sizes, the header's length and the data's.
struct IdxHeader {
  std::vector<uint32_t> dims;
  size_t size = 0;      // bytes of the header
  uint64_t total = 0;   // bytes of data it declares
  std::string declared; // "60000×28×28 = 47040000 bytes" for messages
};

// Reads the header at the start of `b` and checks it: sizes not 0, data of at most kMaxIdxBytes,
// `items` items (the first size) when `items` is not 0.
IdxHeader parse_header(std::string_view b, const std::string& name, uint32_t items) {
  if (b.size() < 4 || b[0] != 0 || b[1] != 0) {
    std::string found;
    for (size_t i = 0; i < std::min<size_t>(b.size(), 4); ++i) {
      char hex[4];
      std::snprintf(hex, sizeof hex, " %02x", static_cast<uint8_t>(b[i]));
      found += hex;
    }
    fail(name, "not an IDX file: it should start with bytes 00 00 08 <dimensions>, found" +
                   (found.empty() ? std::string(" nothing") : found));
  }
  const auto type = static_cast<uint8_t>(b[2]);
  const auto ndims = static_cast<uint8_t>(b[3]);
  if (type != 0x08) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", type);
    fail(name, std::string("IDX element type ") + hex +
                   " is not supported (only 0x08, unsigned bytes, as used for images and labels)");
  }
  if (ndims == 0) fail(name, "IDX header declares 0 dimensions");
  const size_t header = 4 + 4 * size_t{ndims};
  if (b.size() < header)
    fail(name, "truncated IDX header: " + std::to_string(ndims) + " dimensions need " +
                   std::to_string(header) + " bytes, found " + std::to_string(b.size()));

  IdxHeader h;
  h.size = header;
  h.total = 1;
  std::string shape;  // "60000×28×28"
  bool too_large = false;
  for (size_t k = 0; k < ndims; ++k) {
    const auto* p = reinterpret_cast<const uint8_t*>(b.data() + 4 + 4 * k);
    const uint32_t d = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    if (d == 0) fail(name, "IDX dimension " + std::to_string(k) + " has size 0");
    too_large = too_large || d > kMaxIdxBytes / h.total;
    if (!too_large) h.total *= d;
    shape += (k ? "×" : "") + std::to_string(d);
    h.dims.push_back(d);
  }
  if (too_large)
    fail(name, "IDX header declares " + shape + " bytes of data; bnlab reads at most " +
                   std::to_string(kMaxIdxBytes) + " bytes (1 GiB) per file");
  h.declared = shape + " = " + std::to_string(h.total) + " bytes";
  if (items != 0 && h.dims[0] != items)
    fail(name, "IDX header declares " + std::to_string(h.dims[0]) + " items, but its labels file holds " +
                   std::to_string(items) + "; they must be equal");
  return h;
}

IdxArray parse_idx(std::string_view b, const std::string& name, uint32_t items) {
  const IdxHeader h = parse_header(b, name, items);
  const uint64_t found = b.size() - h.size;
  if (found < h.total)
    fail(name, "truncated IDX file: header says " + h.declared + ", found " + std::to_string(found));
  if (found > h.total)
    fail(name, "IDX file has " + std::to_string(found - h.total) +
                   " bytes beyond the data its header declares (" + h.declared + ")");
  IdxArray a{h.dims, {}};
  reserve_large(a.data, h.total);
  a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(h.size), b.end());
  return a;
}

std::string encode_idx(const IdxArray& a, const std::string& name) {
  uint64_t total = 1;
  for (uint32_t d : a.dims) total *= d;
  if (a.dims.empty() || a.dims.size() > 255 || total != a.data.size())
    fail(name, "cannot write IDX: dimensions do not match the data size");
  std::string out = {0, 0, 0x08, static_cast<char>(a.dims.size())};
  for (uint32_t d : a.dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
  out.append(a.data.begin(), a.data.end());
  return out;
}

}  // namespace

IdxArray read_idx_bytes(std::string_view bytes, const std::string& name, uint32_t items) {
  if (!is_gzip(bytes.data(), bytes.size())) return parse_idx(bytes, name, items);
  // The header first (at most 4 + 4·255 bytes), checked before any data is inflated; then the data
  // it declares and at most one chunk more, enough to tell trailing bytes.
  const IdxHeader h = parse_header(gunzip(bytes, name, 4 + 4 * 255), name, items);
  return parse_idx(gunzip(bytes, name, h.size + h.total + 1), name, items);
}

IdxArray read_idx_file(const std::string& path, uint32_t items) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> close(f, std::fclose);
  std::string bytes;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.append(chunk, n);
  if (std::ferror(f)) fail(path, "read error");
  return read_idx_bytes(bytes, path, items);
}

void write_idx_file(const std::string& path, const IdxArray& a, bool gzip) {
  const std::string bytes = encode_idx(a, path);
  if (gzip) {
    // gzopen's header carries no time stamp or file name, so the output depends on the data only.
    gzFile f = gzopen(path.c_str(), "wb9");
    if (!f) fail(path, std::string("cannot create: ") + std::strerror(errno));
    const size_t written = gzfwrite(bytes.data(), 1, bytes.size(), f);
    if (gzclose(f) != Z_OK || written != bytes.size()) fail(path, "write error");
    return;
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail(path, std::string("cannot create: ") + std::strerror(errno));
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), f);
  if (std::fclose(f) != 0 || written != bytes.size()) fail(path, "write error");
}

}  // namespace bnlab
