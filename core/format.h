// format.h — numbers as people read them in messages and captions, for core and ui alike.
#pragma once

#include <cstdint>
#include <string>

namespace bnlab {

// 12345678 → "12,345,678": step numbers in messages ("paused at step 12,000") read at a glance.
inline std::string with_thousands(int64_t n) {
  std::string s = std::to_string(n);
  const int first = n < 0 ? 1 : 0;  // after a minus sign
  for (int i = static_cast<int>(s.size()) - 3; i > first; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

}  // namespace bnlab
