// npy.h — NumPy .npy files holding float32 arrays, so parameters move freely between bnlab,
// NumPy and PyTorch (np.load / np.save / torch.from_numpy) without any Python on our side.
//
// Only what parameters need: little-endian float32 in C order. Writing produces exactly the bytes
// numpy.save writes (format 1.0); reading accepts format 1.0, 2.0 and 3.0 headers. Everything else
// is refused with one message that names the file, says what it holds and how to convert it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace bnlab {

struct NpyArray {
  std::vector<int64_t> shape;  // () for a scalar
  std::vector<float> data;     // (product of shape) in C order
};

// A shape as Python prints the tuple: "()", "(100,)", "(100, 784)".
std::string shape_string(const std::vector<int64_t>& shape);

// The complete file numpy.save would write for this float32 array: header, then the data.
std::string encode_npy(const std::vector<int64_t>& shape, const std::vector<float>& data);

// Parses a whole .npy file held in memory; `name` (the file's path) starts every error message.
NpyArray decode_npy(const std::string& bytes, const std::string& name);

// Reads a .npy file; throws std::runtime_error naming `path` and what is wrong.
NpyArray read_npy(const std::string& path);

// Writes a .npy file atomically (write_file_atomic).
void write_npy(const std::string& path, const std::vector<int64_t>& shape,
               const std::vector<float>& data);

// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader sees
// the old file or the new one, never half of one, and a failed write leaves no temporary behind.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace bnlab
