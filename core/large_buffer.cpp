// large_buffer.cpp — see large_buffer.h.
#include "core/large_buffer.h"

#include <sys/mman.h>

#include <cstdint>

namespace bnlab {

void advise_huge_pages(void* p, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t first = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  // A hint only: without transparent huge pages the call fails and the pages stay 4 KB.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace bnlab
