// fuzz_session.cpp — libFuzzer target: any text as a session file (.bnlab.json). Decoding must
// return a session or throw std::runtime_error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/session_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    bnlab::decode_session(std::string(reinterpret_cast<const char*>(data), size), "fuzz.bnlab.json");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
