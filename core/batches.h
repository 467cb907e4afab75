// batches.h — the order in which every backend visits the training set.
//
// One seeded permutation per epoch (Fisher–Yates on the kStreamDataOrder stream); batches are
// consecutive slices of it; a remainder smaller than a batch is skipped and the next epoch starts.
// With shuffle off the order is 0, 1, 2, ... every epoch.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace bnlab {

class BatchOrder {
 public:
  BatchOrder(int dataset_size, int batch, bool shuffle, uint64_t seed)
      : n_(dataset_size), batch_(batch), shuffle_(shuffle), rng_(seed, kStreamDataOrder) {
    order_.resize(n_);
    new_epoch();
  }
  // Indices of the next mini-batch: (batch).
  const int32_t* next() {
    if (pos_ + batch_ > n_) new_epoch();
    const int32_t* b = order_.data() + pos_;
    pos_ += batch_;
    return b;
  }

 private:
  void new_epoch() {
    for (int i = 0; i < n_; ++i) order_[i] = i;
    if (shuffle_) rng_.shuffle(order_);
    pos_ = 0;
  }
  int n_, batch_;
  bool shuffle_;
  Rng rng_;
  std::vector<int32_t> order_;  // (dataset_size) the current epoch's permutation
  int pos_ = 0;
};

}  // namespace bnlab
