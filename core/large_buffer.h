// large_buffer.h — room for the big arrays (a data set's pixels, its non-zero lists, an inflated
// file) taken without touching it, on 2 MB pages where the kernel gives them.
//
// Why: on the virtual machines we measure on, a page fault costs microseconds, and the full
// MNIST's buffers (47 MB inflated, 188 MB of float pixels, 72 MB of non-zero lists) took ~80,000
// of them on 4 KB pages, a quarter of `bnlab run`'s start-up; value-initializing them (resize)
// wrote every byte once more before the real values. With transparent huge pages in "madvise"
// mode (Debian's default) a 2 MB page is one fault, and random reads of the pixels miss the TLB
// less. Where huge pages are off, madvise fails harmlessly and the buffer is an ordinary one.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace bnlab {

// Asks for huge pages on the 2 MB-aligned part of [p, p + bytes), which must not be touched yet
// for it to matter.
void advise_huge_pages(void* p, size_t bytes);

// v.reserve(n), with huge pages asked for the new room (v must be empty: its room is fresh).
template <class V>
void reserve_large(V& v, size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(typename V::value_type));
}

}  // namespace bnlab
