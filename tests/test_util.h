// test_util.h — small assertions shared by the test files.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bnlab {

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Bit-exact equality, so -0.0 vs 0.0 or a changed NaN payload would show. Empty vectors may hold
// no buffer at all (data() == nullptr), which memcmp must not be given.
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The message of the std::runtime_error `f` throws; a test failure if it throws none.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no std::runtime_error thrown";
  return "";
}

}  // namespace bnlab
