// dataset.h — the examples a run trains and tests on, whatever their source.
//
// Every source (shipped MNIST, Debian's Fashion-MNIST, a user's IDX pair, synthetic spiral and
// blobs) ends up as the same two Datasets, so trainers never know where data came from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace bnlab {

struct Dataset {
  int dim = 0;      // features per example (784 for 28×28 images)
  int classes = 0;  // labels are 0 .. classes−1
  std::vector<float> x;    // (size, dim) row-major; pixels in [0, 1]
  std::vector<int32_t> y;  // (size)
  int size() const { return static_cast<int>(y.size()); }
  const float* example(int i) const { return x.data() + static_cast<size_t>(i) * dim; }
};

struct DataSplit {
  Dataset train;
  Dataset test;
  std::string description;  // one line for logs: source, sizes, dimension
};

// Loads or makes the data a run asks for. Throws std::runtime_error naming the file and what is
// wrong (missing, truncated, not IDX, image and label counts disagree, ...).
DataSplit load_data(const DataConfig& cfg, uint64_t seed);

}  // namespace bnlab
