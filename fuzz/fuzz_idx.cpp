// fuzz_idx.cpp — libFuzzer target: any bytes as an IDX file (gzip or plain). The reader must
// return an array or throw std::runtime_error; any other exception, a crash, a sanitizer report,
// a hang or an allocation past libFuzzer's limit is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "core/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    bnlab::read_idx_bytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.idx");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
