// dataset.cpp — load_data: every data source turned into the same train/test pair.
//
// [SECTION] IDX sources (full and shipped MNIST, Debian's Fashion-MNIST, the user's files)
// [SECTION] Synthetic sources (spiral, blobs)
// [SECTION] load_data: pick the source, take the first N, binarize
#include "core/dataset.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "core/embedded.h"
#include "core/format.h"
#include "core/idx.h"
#include "core/large_buffer.h"
#include "core/mnist_install.h"
#include "core/rng.h"

namespace bnlab {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// [SECTION] IDX sources (shipped MNIST, Debian's Fashion-MNIST, the user's files)

const char* const kFashionDir = "/usr/share/datasets/fashion-mnist";

// Images (n, rows, cols) or (n, dim) plus labels (n) → examples with pixels scaled to [0, 1].
Dataset to_dataset(const IdxArray& images, const std::string& images_name, const IdxArray& labels,
                   const std::string& labels_name) {
  if (images.dims.size() != 2 && images.dims.size() != 3)
    fail(images_name + ": images must be 3-D (n, rows, cols) or 2-D (n, dim), this IDX file is " +
         std::to_string(images.dims.size()) + "-D");
  if (labels.dims.size() != 1)
    fail(labels_name + ": labels must be 1-D (n), this IDX file is " +
         std::to_string(labels.dims.size()) + "-D");
  const uint32_t n = images.dims[0];
  if (labels.dims[0] != n)
    fail(images_name + " has " + std::to_string(n) + " images but " + labels_name + " has " +
         std::to_string(labels.dims[0]) + " labels; they must be equal");
  if (n > static_cast<uint32_t>(INT_MAX) || images.data.size() / n > static_cast<size_t>(INT_MAX))
    fail(images_name + ": too large");

  Dataset d;
  d.dim = static_cast<int>(images.data.size() / n);
  reserve_large(d.x, images.data.size());
  d.x.assign(images.data.begin(), images.data.end());  // (n, dim) row-major
  for (float& p : d.x) p /= 255.0f;
  d.y.assign(labels.data.begin(), labels.data.end());  // (n)
  const auto top = std::max_element(d.y.begin(), d.y.end());
  if (*top >= kMaxClasses)
    fail(labels_name + ": label " + std::to_string(*top) + " at item " + std::to_string(top - d.y.begin()) +
         "; labels must be in 0 … " + std::to_string(kMaxClasses - 1) + " (the classes are 0 … the largest label)");
  d.classes = 1 + *top;
  return d;
}

// The four files of a split, in the order train images, train labels, test images, test labels.
using IdxNames = std::array<std::string, 4>;

// `read(name, items)` reads one file; labels come first, so that the images' header is checked
// against their number before the images are inflated.
template <class Read>
DataSplit idx_split(const IdxNames& names, Read read) {
  DataSplit s;
  const IdxArray train_labels = read(names[1], 0), test_labels = read(names[3], 0);
  s.train = to_dataset(read(names[0], train_labels.dims[0]), names[0], train_labels, names[1]);
  s.test = to_dataset(read(names[2], test_labels.dims[0]), names[2], test_labels, names[3]);
  if (s.train.dim != s.test.dim)
    fail(names[0] + " has " + std::to_string(s.train.dim) + " features per example but " +
         names[2] + " has " + std::to_string(s.test.dim) + "; they must be equal");
  const int classes = std::max(s.train.classes, s.test.classes);
  if (classes < 2)
    fail(names[1] + " and " + names[3] + " hold only label 0; a classifier needs at least 2 classes");
  s.train.classes = s.test.classes = classes;
  return s;
}

// The full set installed by the setup script; anything wrong with it is MnistMissing, which tells
// how to install it (and the lab opens on the shipped subset instead).
DataSplit load_full_mnist() {
  const std::string dir = mnist_dir();
  IdxNames names;
  for (int i = 0; i < 4; ++i) names[i] = dir + "/" + kMnistFiles[i] + ".gz";
  try {
    return idx_split(names, [&](const std::string& path, uint32_t items) {
      const int i = static_cast<int>(std::find(names.begin(), names.end(), path) - names.begin());
      return read_idx_bytes(read_mnist_file(i), path, items);
    });
  } catch (const MnistMissing&) {
    throw;
  } catch (const std::exception& e) {
    throw MnistMissing(std::string("data.kind=mnist (the full MNIST): ") + e.what() +
                       "; reinstall it with third_party/setup-debian.sh, or go on with the shipped subset: "
                       "--set data.kind=mnist-10k");
  }
}

DataSplit load_mnist_10k() {
  const IdxNames names = {"mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz",
                          "mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"};
  return idx_split(names, [](const std::string& name, uint32_t items) {
    const std::string_view bytes = embedded_file(name);
    if (bytes.empty())
      fail(name + ": not embedded in this binary (assets/mnist was missing when it was built)");
    return read_idx_bytes(bytes, "embedded " + name, items);
  });
}

DataSplit load_fashion_mnist() {
  const std::string dir = kFashionDir;
  const IdxNames names = {dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz",
                          dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz"};
  for (const std::string& path : names)
    if (!std::filesystem::exists(path))
      fail("data.kind=fashion-mnist needs Debian's package dataset-fashion-mnist "
           "(apt-get install dataset-fashion-mnist); not found: " + path);
  return idx_split(names, read_idx_file);
}

DataSplit load_user_idx(const DataConfig& cfg) {
  const IdxNames names = {cfg.train_images, cfg.train_labels, cfg.test_images, cfg.test_labels};
  const char* keys[4] = {"train_images", "train_labels", "test_images", "test_labels"};
  for (int i = 0; i < 4; ++i)
    if (names[i].empty())
      fail(std::string("data.kind=idx needs data.") + keys[i] + " (the path of an IDX file)");
  return idx_split(names, read_idx_file);
}

// [SECTION] Synthetic sources (spiral, blobs)

constexpr int kSyntheticTrain = 2000;
constexpr int kSyntheticTest = 1000;
// A synthetic set is made in memory from its size alone, so its size bounds what it allocates:
// 100 million values (400 MB) is far beyond any lesson and still fits every machine we run on.
constexpr int64_t kSyntheticMaxValues = 100'000'000;

void check_synthetic_size(int n, int dim, const char* key) {
  if (static_cast<int64_t>(n) * dim > kSyntheticMaxValues)
    fail(std::string("data.") + key + "=" + std::to_string(n) + " with data.dim=" + std::to_string(dim) +
         " is " + std::to_string(static_cast<int64_t>(n) * dim) + " values; a synthetic set holds at most " +
         std::to_string(kSyntheticMaxValues) + " (train_size or test_size × dim)");
}

// n examples with balanced labels in random order; `point(label, x)` writes one example's dim
// features. Labels come first so that every class has the same count whatever the shuffle.
template <class Point>
Dataset synthesize(const DataConfig& cfg, int n, Rng& rng, Point point) {
  Dataset d;
  d.dim = cfg.dim;
  d.classes = cfg.classes;
  d.y.resize(n);  // (n)
  for (int i = 0; i < n; ++i) d.y[i] = i % cfg.classes;
  rng.shuffle(d.y);
  d.x.resize(static_cast<size_t>(n) * cfg.dim);  // (n, dim) row-major
  for (int i = 0; i < n; ++i) point(d.y[i], d.x.data() + static_cast<size_t>(i) * cfg.dim);
  return d;
}

// One arm per class winding out from the origin in the first two dimensions (radius ≤ 1);
// Gaussian noise of std `noise` on every coordinate, and the extra dimensions are noise only.
DataSplit make_spiral(const DataConfig& cfg, int n_train, int n_test, Rng& rng) {
  if (cfg.dim < 2)
    fail("data.dim=" + std::to_string(cfg.dim) + " but spiral needs at least 2 (its arms are 2-D)");
  const auto point = [&](int label, float* x) {
    const double t = rng.uniform();  // position along the arm: 0 at the centre, 1 at the tip
    const double angle = 6.283185307179586 * label / cfg.classes + 4.0 * t;
    x[0] = static_cast<float>(t * std::cos(angle) + cfg.noise * rng.normal());
    x[1] = static_cast<float>(t * std::sin(angle) + cfg.noise * rng.normal());
    for (int j = 2; j < cfg.dim; ++j) x[j] = static_cast<float>(cfg.noise * rng.normal());
  };
  DataSplit s;
  s.train = synthesize(cfg, n_train, rng, point);
  s.test = synthesize(cfg, n_test, rng, point);
  return s;
}

// One Gaussian blob (std `noise`) per class. Centres lie evenly on a circle of radius 0.6 in the
// first two dimensions (turned by a random angle) so that no two blobs land on top of each other,
// and uniformly in [−0.6, 0.6] in any further dimensions; with dim = 1 they are evenly spaced.
DataSplit make_blobs(const DataConfig& cfg, int n_train, int n_test, Rng& rng) {
  if (cfg.dim < 1) fail("data.dim=" + std::to_string(cfg.dim) + " but blobs need at least 1");
  std::vector<double> centres(static_cast<size_t>(cfg.classes) * cfg.dim);  // (classes, dim)
  const double turn = 6.283185307179586 * rng.uniform();
  for (int k = 0; k < cfg.classes; ++k) {
    double* c = centres.data() + static_cast<size_t>(k) * cfg.dim;
    if (cfg.dim == 1) {
      c[0] = -0.6 + 1.2 * k / (cfg.classes - 1);
      continue;
    }
    const double angle = turn + 6.283185307179586 * k / cfg.classes;
    c[0] = 0.6 * std::cos(angle);
    c[1] = 0.6 * std::sin(angle);
    for (int j = 2; j < cfg.dim; ++j) c[j] = 1.2 * rng.uniform() - 0.6;
  }
  const auto point = [&](int label, float* x) {
    const double* c = centres.data() + static_cast<size_t>(label) * cfg.dim;
    for (int j = 0; j < cfg.dim; ++j) x[j] = static_cast<float>(c[j] + cfg.noise * rng.normal());
  };
  DataSplit s;
  s.train = synthesize(cfg, n_train, rng, point);
  s.test = synthesize(cfg, n_test, rng, point);
  return s;
}

// [SECTION] load_data: pick the source, take the first N, binarize

void check_size(int n, const char* key) {
  if (n < 0) fail(std::string("data.") + key + "=" + std::to_string(n) + " must be ≥ 0 (0 = all)");
}

// Keeps the first n examples (n = 0: all). `source` names what ran short in the error.
void take_first(Dataset& d, int n, const char* key, const std::string& source, const char* set) {
  if (n > d.size())
    fail(std::string("data.") + key + "=" + std::to_string(n) + " but " + source + " has " +
         std::to_string(d.size()) + " " + set + " examples");
  if (n == 0) return;
  d.y.resize(n);
  d.x.resize(static_cast<size_t>(n) * d.dim);
}

}  // namespace

DataSplit load_data(const DataConfig& cfg, uint64_t seed) {
  check_size(cfg.train_size, "train_size");
  check_size(cfg.test_size, "test_size");

  DataSplit s;
  std::string label;  // what the description line calls the source
  if (cfg.kind == DataKind::Spiral || cfg.kind == DataKind::Blobs) {
    if (cfg.classes < 2)
      fail("data.classes=" + std::to_string(cfg.classes) + " but a classifier needs at least 2");
    const int n_train = cfg.train_size ? cfg.train_size : kSyntheticTrain;
    const int n_test = cfg.test_size ? cfg.test_size : kSyntheticTest;
    check_synthetic_size(n_train, cfg.dim, "train_size");
    check_synthetic_size(n_test, cfg.dim, "test_size");
    Rng rng(seed, kStreamSynthetic);
    const bool spiral = cfg.kind == DataKind::Spiral;
    s = spiral ? make_spiral(cfg, n_train, n_test, rng) : make_blobs(cfg, n_train, n_test, rng);
    label = std::string(spiral ? "spiral" : "blobs") + " (synthetic, noise " + short_number(cfg.noise) + ")";
  } else {
    std::string train_source, test_source;
    if (cfg.kind == DataKind::Mnist) {
      s = load_full_mnist();
      train_source = test_source = "mnist";
      label = "mnist (LeCun's full set)";
    } else if (cfg.kind == DataKind::Mnist10k) {
      s = load_mnist_10k();
      train_source = test_source = "mnist-10k";
      label = "mnist-10k (the shipped subset)";
    } else if (cfg.kind == DataKind::FashionMnist) {
      s = load_fashion_mnist();
      train_source = test_source = "fashion-mnist";
      label = std::string("fashion-mnist (") + kFashionDir + ")";
    } else {
      s = load_user_idx(cfg);
      train_source = cfg.train_images;
      test_source = cfg.test_images;
      label = "idx (" + cfg.train_images + ", " + cfg.test_images + ")";
    }
    take_first(s.train, cfg.train_size, "train_size", train_source, "training");
    take_first(s.test, cfg.test_size, "test_size", test_source, "test");
  }

  if (cfg.binarize) {
    for (Dataset* d : {&s.train, &s.test})
      for (float& v : d->x) v = v > 0.5f ? 1.0f : 0.0f;
    label += ", binarized";
  }
  s.description = label + ": " + std::to_string(s.train.size()) + " train / " +
                  std::to_string(s.test.size()) + " test, " + std::to_string(s.train.dim) +
                  " features, " + std::to_string(s.train.classes) + " classes";
  return s;
}

}  // namespace bnlab
