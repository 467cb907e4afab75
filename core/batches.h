// batches.h — the order in which every backend visits the training set.
//
// One seeded permutation per epoch (Fisher–Yates on the kStreamDataOrder stream); batches are
// consecutive slices of it; a remainder smaller than a batch is skipped and the next epoch starts.
// With shuffle off the order is 0, 1, 2, ... every epoch.
//
// skip(k) puts the order where k calls of next() would leave it without building the epochs that
// are passed over whole, so a trainer can start at step N in the data order it would have had
// there (Trainer::seek) in milliseconds whatever N, rather than the time of N steps.
#pragma once

#include <algorithm>
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

  // As `count` calls of next() whose batches are not looked at.
  void skip(int64_t count) {
    const int64_t per_epoch = n_ / batch_;
    while (count > 0) {
      if (pos_ + batch_ > n_) {
        if (count > per_epoch) {
          // Epochs drawn whole and never read: only the generator must move, by the n − 1 draws
          // of Rng::shuffle's Fisher–Yates per epoch (order_ is rebuilt from 0, 1, 2, ... by the
          // epoch that is read), all at once. What remains is 1 … per_epoch batches.
          const int64_t epochs = (count - 1) / per_epoch;
          if (shuffle_) rng_.discard(static_cast<__uint128_t>(epochs) * static_cast<unsigned>(n_ - 1));
          count -= epochs * per_epoch;
          continue;
        }
        new_epoch();
      }
      const int64_t take = std::min<int64_t>(count, (n_ - pos_) / batch_);
      pos_ += static_cast<int>(take) * batch_;
      count -= take;
    }
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
