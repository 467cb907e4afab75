// format.h — numbers as people read them in messages and captions, for core and ui alike.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/config.h"

namespace bnlab {

// 12345678 → "12,345,678": step numbers in messages ("paused at step 12,000") read at a glance.
inline std::string with_thousands(int64_t n) {
  std::string s = std::to_string(n);
  const int first = n < 0 ? 1 : 0;  // after a minus sign
  for (int i = static_cast<int>(s.size()) - 3; i > first; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// 0.0265100 → "0.02651": a setting as a person would write it (printf's %g).
inline std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A layer's normalization in a word, for buttons, titles and event labels: "BN", "LN", "none".
inline const char* norm_short(Norm n) { return n == Norm::Batch ? "BN" : n == Norm::Layer ? "LN" : "none"; }

}  // namespace bnlab
