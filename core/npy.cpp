// npy.cpp — reading and writing NumPy .npy files (float32, little-endian, C order).
//
// The format (numpy/lib/format.py, NEP 1): the magic "\x93NUMPY", a major and minor version byte,
// the header length (uint16 in 1.0, uint32 in 2.0 and 3.0), then the header — a Python dict
// literal padded with spaces and a newline so the data start on a 64-byte boundary — then the
// raw array data.
#include "core/npy.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace bnlab {

// Data are copied to and from memory as they are, which is right only on little-endian hosts
// (every machine bnlab targets).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npy.cpp assumes a little-endian host");

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kAlign = 64;  // numpy aligns the data so they can be memory-mapped
// numpy leaves room for the first axis to grow to this many digits, so an array can be appended
// to in place; writing the same spaces keeps our files byte-identical to numpy.save's.
constexpr size_t kGrowthAxisMaxDigits = 21;

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": " + what);
}

// What a NumPy type string means, for error messages: "<f8" → "float64". Empty if unknown.
std::string dtype_name(const std::string& descr) {
  if (descr.size() < 3 || descr.size() > 5) return "";
  const std::string size = descr.substr(2);
  if (size.find_first_not_of("0123456789") != std::string::npos) return "";
  std::string kind;
  switch (descr[1]) {
    case 'f': kind = "float"; break;
    case 'i': kind = "int"; break;
    case 'u': kind = "uint"; break;
    case 'c': kind = "complex"; break;
    case 'b': return "bool";
    case 'U': return "unicode string";
    case 'S': return "byte string";
    default: return "";
  }
  std::string name = kind + std::to_string(std::stoi(size) * 8);
  if (descr[0] == '>') name += ", big-endian";
  return name;
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Parses the header dict — what numpy writes, e.g. {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } — without evaluating Python: strings, True/False and tuples of integers.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& name) : s_(text), name_(name) {}

  Header parse() {
    Header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!eat('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == '[')
          fail(name_, "holds a structured dtype (record array); bnlab needs '<f4' float32");
        h.descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        seen_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        seen_shape = true;
      } else {
        bad("unknown key '" + key + "'");
      }
      if (!eat(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != s_.size()) bad("text after the closing '}'");
    if (!seen_descr) bad("no 'descr'");
    if (!seen_order) bad("no 'fortran_order'");
    if (!seen_shape) bad("no 'shape'");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& why) const {
    const size_t end = s_.find_last_not_of(" \n");  // numpy's padding says nothing
    fail(name_,
         "malformed .npy header (" + why + "): " + s_.substr(0, std::min<size_t>(end + 1, 200)));
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) bad(std::string("expected '") + c + "' at offset " + std::to_string(pos_));
  }
  std::string string_literal() {
    skip_space();
    const char quote = pos_ < s_.size() ? s_[pos_] : '\0';
    if (quote != '\'' && quote != '"') bad("expected a string at offset " + std::to_string(pos_));
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_space();
    for (const bool value : {true, false}) {
      const std::string word = value ? "True" : "False";
      if (s_.compare(pos_, word.size(), word) == 0) {
        pos_ += word.size();
        return value;
      }
    }
    bad("expected True or False at offset " + std::to_string(pos_));
  }
  int64_t integer() {
    skip_space();
    const size_t start = pos_;
    int64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      const int digit = s_[pos_++] - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) bad("dimension too large");
      v = v * 10 + digit;
    }
    if (pos_ == start) bad("expected a dimension at offset " + std::to_string(pos_));
    return v;
  }
  // "()", "(5,)", "(2, 3)"
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!eat(')')) {
      dims.push_back(integer());
      if (!eat(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }

  const std::string& s_;
  const std::string& name_;
  size_t pos_ = 0;
};

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string encode_npy(const std::vector<int64_t>& shape, const std::vector<float>& data) {
  int64_t count = 1;
  for (const int64_t d : shape) count *= d;
  if (count != static_cast<int64_t>(data.size()))
    throw std::invalid_argument("encode_npy: shape " + shape_string(shape) + " holds " +
                                std::to_string(count) + " values, data has " +
                                std::to_string(data.size()));

  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  if (!shape.empty()) dict.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  // numpy pads with 1 to 64 spaces (never 0) before the newline that ends the header.
  const size_t preamble = kMagicLen + 2 + 2;  // magic, version 1.0, uint16 header length
  const size_t pad = kAlign - (preamble + dict.size() + 1) % kAlign;
  const size_t header_len = dict.size() + pad + 1;
  if (header_len > 0xFFFF)
    throw std::invalid_argument("encode_npy: shape " + shape_string(shape) +
                                " too long for a header");

  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header_len & 0xFF);
  out += static_cast<char>(header_len >> 8);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

NpyArray decode_npy(const std::string& bytes, const std::string& name) {
  if (bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    fail(name, "not a .npy file (it does not start with \\x93NUMPY)");
  if (bytes.size() < kMagicLen + 2) fail(name, "truncated .npy header");
  const int major = static_cast<unsigned char>(bytes[kMagicLen]);
  const int minor = static_cast<unsigned char>(bytes[kMagicLen + 1]);
  if (major < 1 || major > 3 || minor != 0)
    fail(name, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (bnlab reads 1.0, 2.0 and 3.0)");

  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4 (little-endian).
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t preamble = kMagicLen + 2 + len_bytes;
  if (bytes.size() < preamble) fail(name, "truncated .npy header");
  size_t header_len = 0;
  for (size_t i = 0; i < len_bytes; ++i)
    header_len |= size_t{static_cast<unsigned char>(bytes[kMagicLen + 2 + i])} << (8 * i);
  if (bytes.size() - preamble < header_len)
    fail(name, "truncated .npy header (declares " + std::to_string(header_len) +
                   " bytes, the file has " + std::to_string(bytes.size() - preamble) +
                   " after the preamble)");

  const Header h = HeaderParser(bytes.substr(preamble, header_len), name).parse();
  if (h.descr != "<f4") {
    const std::string what = dtype_name(h.descr);
    fail(name, "dtype '" + h.descr + "'" + (what.empty() ? "" : " (" + what + ")") +
                   "; bnlab needs '<f4' float32 — in NumPy: a.astype(np.float32)");
  }
  if (h.fortran_order)
    fail(name,
         "fortran_order True (column-major); bnlab needs C order — in NumPy: "
         "np.ascontiguousarray(a)");

  const size_t available = bytes.size() - preamble - header_len;
  // A shape with a 0 holds nothing, whatever its other sizes.
  size_t count = std::find(h.shape.begin(), h.shape.end(), 0) == h.shape.end() ? 1 : 0;
  for (const int64_t d : h.shape) {
    // A shape whose data could not fit in the file is truncated, whatever its exact size.
    if (count != 0 && count > available / sizeof(float) / static_cast<size_t>(d)) {
      fail(name, "truncated: shape " + shape_string(h.shape) +
                     " float32 needs more data than the " + std::to_string(available) +
                     " bytes the file has");
    }
    count *= static_cast<size_t>(d);
  }
  const size_t needed = count * sizeof(float);
  if (available != needed)
    fail(name, "shape " + shape_string(h.shape) + " float32 needs " + std::to_string(needed) +
                   " data bytes, the file has " + std::to_string(available) +
                   (available < needed ? " (truncated)" : ""));

  NpyArray a;
  a.shape = h.shape;
  a.data.resize(count);
  if (count > 0)  // an empty vector may have no buffer, and memcpy must not get a null pointer
    std::memcpy(a.data.data(), bytes.data() + preamble + header_len, needed);
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, std::string("cannot open (") + std::strerror(errno) + ")");
  std::ostringstream bytes;
  bytes << f.rdbuf();
  if (f.bad()) fail(path, "read error");
  return decode_npy(bytes.str(), path);
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<float>& data) {
  write_file_atomic(path, encode_npy(shape, data));
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  // Unique per process and call, so concurrent writers never share a temporary file.
  static std::atomic<unsigned> counter{0};
  const std::string tmp =
      path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  std::error_code ignored;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail(path, std::string("cannot write (") + std::strerror(errno) + ")");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) {
      std::filesystem::remove(tmp, ignored);
      fail(path, "write failed (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ignored);
    fail(path, "cannot move the written file into place (" + ec.message() + ")");
  }
}

}  // namespace bnlab
