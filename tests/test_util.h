// test_util.h — small assertions shared by the test files.
#pragma once

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace bnlab {

inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

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
