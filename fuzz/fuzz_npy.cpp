// fuzz_npy.cpp — libFuzzer target: any bytes as a .npy file. The reader must return an array or
// throw std::runtime_error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    bnlab::decode_npy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
