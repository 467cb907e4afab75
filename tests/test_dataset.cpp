// test_dataset.cpp — load_data for every source: the shipped MNIST subset, Debian's
// Fashion-MNIST, a user's IDX files, the synthetic sets; plus subsetting and binarizing.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

#include "tests/test_util.h"

#include "core/dataset.h"
#include "core/idx.h"

namespace bnlab {
namespace {

DataConfig config(DataKind kind) {
  DataConfig c;
  c.kind = kind;
  return c;
}

std::vector<int> class_counts(const Dataset& d, int first_n) {
  std::vector<int> counts(d.classes);
  for (int i = 0; i < first_n; ++i) ++counts.at(d.y[i]);
  return counts;
}

// Fraction of `test` that 1-nearest-neighbour over `train` labels correctly: high only when the
// classes really are the separate shapes they should be.
double nearest_neighbour_accuracy(const Dataset& train, const Dataset& test) {
  int correct = 0;
  for (int i = 0; i < test.size(); ++i) {
    double best = std::numeric_limits<double>::max();
    int label = -1;
    for (int j = 0; j < train.size(); ++j) {
      double d2 = 0;
      for (int k = 0; k < train.dim; ++k) {
        const double diff = test.example(i)[k] - train.example(j)[k];
        d2 += diff * diff;
      }
      if (d2 < best) {
        best = d2;
        label = train.y[j];
      }
    }
    correct += label == test.y[i];
  }
  return static_cast<double>(correct) / test.size();
}

// [SECTION] Shipped MNIST

TEST(DatasetMnist, ShippedSubsetHasExpectedShape) {
  const DataSplit s = load_data(config(DataKind::Mnist10k), 1);
  EXPECT_EQ(s.train.size(), 8000);
  EXPECT_EQ(s.test.size(), 2000);
  EXPECT_EQ(s.train.dim, 784);
  EXPECT_EQ(s.test.dim, 784);
  EXPECT_EQ(s.train.classes, 10);
  EXPECT_EQ(s.test.classes, 10);
  EXPECT_EQ(s.train.x.size(), size_t{8000} * 784);
  EXPECT_EQ(s.description, "mnist-10k (the shipped subset): 8000 train / 2000 test, 784 features, 10 classes");
}

TEST(DatasetMnist, PixelsAreBytesScaledToUnitRange) {
  const DataSplit s = load_data(config(DataKind::Mnist10k), 1);
  double sum = 0;
  for (float v : s.train.x) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
    ASSERT_NEAR(v * 255.0f, std::round(v * 255.0f), 1e-3);  // k / 255 exactly
    sum += v;
  }
  EXPECT_EQ(*std::max_element(s.train.x.begin(), s.train.x.end()), 1.0f);
  // MNIST's mean pixel is about 0.13: mostly black background, white strokes.
  EXPECT_NEAR(sum / s.train.x.size(), 0.13, 0.03);
}

TEST(DatasetMnist, ClassesAreMixedAndStratified) {
  const DataSplit s = load_data(config(DataKind::Mnist10k), 1);
  for (int c : class_counts(s.test, 500)) EXPECT_GT(c, 0) << "the probe set misses a digit";
  const std::vector<int> train = class_counts(s.train, 8000), test = class_counts(s.test, 2000);
  for (int c = 0; c < 10; ++c)
    EXPECT_NEAR(train[c] / 8000.0, test[c] / 2000.0, 0.01) << "digit " << c;
}

TEST(DatasetMnist, TrainSizeTakesTheFirstExamples) {
  const DataSplit all = load_data(config(DataKind::Mnist10k), 1);
  DataConfig c = config(DataKind::Mnist10k);
  c.train_size = 100;
  c.test_size = 50;
  const DataSplit s = load_data(c, 1);
  ASSERT_EQ(s.train.size(), 100);
  ASSERT_EQ(s.test.size(), 50);
  EXPECT_EQ(s.train.classes, 10);
  EXPECT_EQ(s.train.x, std::vector<float>(all.train.x.begin(), all.train.x.begin() + 100 * 784));
  EXPECT_EQ(s.train.y, std::vector<int32_t>(all.train.y.begin(), all.train.y.begin() + 100));
  EXPECT_EQ(s.test.y, std::vector<int32_t>(all.test.y.begin(), all.test.y.begin() + 50));
  EXPECT_TRUE(Contains(s.description, ": 100 train / 50 test"));
}

TEST(DatasetMnist, TooLargeSizesAreErrors) {
  DataConfig c = config(DataKind::Mnist10k);
  c.train_size = 9000;
  EXPECT_EQ(error_of([&] { load_data(c, 1); }),
            "data.train_size=9000 but mnist-10k has 8000 training examples");
  c.train_size = 0;
  c.test_size = 2001;
  EXPECT_EQ(error_of([&] { load_data(c, 1); }),
            "data.test_size=2001 but mnist-10k has 2000 test examples");
  c.test_size = -1;
  EXPECT_TRUE(Contains(error_of([&] { load_data(c, 1); }), "data.test_size=-1 must be ≥ 0"));
}

TEST(DatasetMnist, BinarizeThresholdsAtHalf) {
  DataConfig c = config(DataKind::Mnist10k);
  c.train_size = 200;
  c.test_size = 100;
  const DataSplit grey = load_data(c, 1);
  c.binarize = true;
  const DataSplit bin = load_data(c, 1);
  ASSERT_EQ(bin.train.x.size(), grey.train.x.size());
  for (size_t i = 0; i < grey.train.x.size(); ++i)
    ASSERT_EQ(bin.train.x[i], grey.train.x[i] > 0.5f ? 1.0f : 0.0f) << "pixel " << i;
  for (size_t i = 0; i < grey.test.x.size(); ++i)
    ASSERT_EQ(bin.test.x[i], grey.test.x[i] > 0.5f ? 1.0f : 0.0f) << "test pixel " << i;
  EXPECT_TRUE(Contains(bin.description, "binarized"));
}

// [SECTION] Fashion-MNIST (Debian's dataset-fashion-mnist)

TEST(DatasetFashionMnist, LoadsWhenInstalled) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  const DataSplit s = load_data(config(DataKind::FashionMnist), 1);
  EXPECT_EQ(s.train.size(), 60000);
  EXPECT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.dim, 784);
  EXPECT_EQ(s.train.classes, 10);
  // Fashion-MNIST is exactly balanced: 6,000 of each class for training, 1,000 for test.
  for (int c : class_counts(s.train, 60000)) EXPECT_EQ(c, 6000);
  for (int c : class_counts(s.test, 10000)) EXPECT_EQ(c, 1000);
  EXPECT_TRUE(Contains(s.description, "fashion-mnist"));
}

// [SECTION] Synthetic sets

void expect_synthetic_shape(DataKind kind, int dim, int classes) {
  DataConfig c = config(kind);
  c.dim = dim;
  c.classes = classes;
  const DataSplit s = load_data(c, 7);
  EXPECT_EQ(s.train.size(), 2000);
  EXPECT_EQ(s.test.size(), 1000);
  EXPECT_EQ(s.train.dim, dim);
  EXPECT_EQ(s.test.dim, dim);
  EXPECT_EQ(s.train.classes, classes);
  EXPECT_EQ(s.test.classes, classes);
  EXPECT_EQ(s.train.x.size(), size_t{2000} * dim);
  for (int n : class_counts(s.train, 2000)) EXPECT_EQ(n, 2000 / classes);  // balanced
  const std::set<int> first(s.train.y.begin(), s.train.y.begin() + 20);
  EXPECT_GT(first.size(), 1u) << "classes are not shuffled";
  for (float v : s.train.x) ASSERT_LT(std::fabs(v), 1.6f);  // radius ≤ 1 plus a few noise stds
}

TEST(DatasetSynthetic, SpiralHasRequestedShape) { expect_synthetic_shape(DataKind::Spiral, 5, 4); }
TEST(DatasetSynthetic, BlobsHaveRequestedShape) { expect_synthetic_shape(DataKind::Blobs, 3, 5); }
TEST(DatasetSynthetic, BlobsInOneDimension) { expect_synthetic_shape(DataKind::Blobs, 1, 4); }

TEST(DatasetSynthetic, DeterministicPerSeedAndDifferentAcrossSeeds) {
  for (DataKind kind : {DataKind::Spiral, DataKind::Blobs}) {
    const DataSplit a = load_data(config(kind), 7);
    const DataSplit b = load_data(config(kind), 7);
    const DataSplit other = load_data(config(kind), 8);
    EXPECT_EQ(a.train.x, b.train.x);
    EXPECT_EQ(a.train.y, b.train.y);
    EXPECT_EQ(a.test.x, b.test.x);
    EXPECT_NE(a.train.x, other.train.x);
    EXPECT_NE(a.test.x, other.test.x);
    EXPECT_NE(std::vector<float>(a.train.x.begin(), a.train.x.begin() + a.test.x.size()), a.test.x)
        << "test set repeats the training set";
  }
}

TEST(DatasetSynthetic, ClassesAreSeparableAndNoiseHasRequestedStd) {
  DataConfig c = config(DataKind::Spiral);
  c.dim = 3;
  c.noise = 0.02;
  const DataSplit spiral = load_data(c, 3);
  EXPECT_GT(nearest_neighbour_accuracy(spiral.train, spiral.test), 0.9);
  // The third dimension is pure noise of std 0.02.
  double sq = 0;
  for (int i = 0; i < spiral.train.size(); ++i) sq += std::pow(spiral.train.example(i)[2], 2);
  EXPECT_NEAR(std::sqrt(sq / spiral.train.size()), 0.02, 0.002);

  c.kind = DataKind::Blobs;
  c.dim = 2;
  c.classes = 6;
  c.noise = 0.1;
  const DataSplit blobs = load_data(c, 3);
  EXPECT_GT(nearest_neighbour_accuracy(blobs.train, blobs.test), 0.9);
}

TEST(DatasetSynthetic, SizesAndErrors) {
  DataConfig c = config(DataKind::Spiral);
  c.train_size = 300;
  c.test_size = 60;
  const DataSplit s = load_data(c, 1);
  EXPECT_EQ(s.train.size(), 300);
  EXPECT_EQ(s.test.size(), 60);
  EXPECT_EQ(s.description, "spiral (synthetic, noise 0.1): 300 train / 60 test, 2 features, 3 classes");
  c.dim = 1;
  EXPECT_TRUE(Contains(error_of([&] { load_data(c, 1); }), "data.dim=1 but spiral needs at least 2"));
  c.dim = 2;
  c.classes = 1;
  EXPECT_TRUE(Contains(error_of([&] { load_data(c, 1); }), "data.classes=1"));
}

// [SECTION] The user's IDX files

class DatasetIdx : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bnlab-dataset-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes an IDX file of the given shape filled with `fill(i)`; returns its path.
  template <class Fill>
  std::string write(const std::string& name, std::vector<uint32_t> dims, Fill fill) {
    IdxArray a;
    a.dims = std::move(dims);
    size_t n = 1;
    for (uint32_t d : a.dims) n *= d;
    for (size_t i = 0; i < n; ++i) a.data.push_back(static_cast<uint8_t>(fill(i)));
    const std::string path = (dir_ / name).string();
    write_idx_file(path, a, name.size() > 3 && name.substr(name.size() - 3) == ".gz");
    return path;
  }
  std::string images(const std::string& name, std::vector<uint32_t> dims) {
    return write(name, std::move(dims), [](size_t i) { return i * 7 % 256; });
  }
  std::string labels(const std::string& name, uint32_t n) {
    return write(name, {n}, [](size_t i) { return i % 3; });
  }
  DataConfig idx(std::string train_images, std::string train_labels, std::string test_images,
                 std::string test_labels) {
    DataConfig c = config(DataKind::Idx);
    c.train_images = std::move(train_images);
    c.train_labels = std::move(train_labels);
    c.test_images = std::move(test_images);
    c.test_labels = std::move(test_labels);
    return c;
  }
  std::filesystem::path dir_;
};

TEST_F(DatasetIdx, LoadsImagesAndFlatVectors) {
  // Training images 3-D and gzipped, test images 2-D and plain: both give 6 features.
  const DataConfig c = idx(images("tr-img.gz", {5, 2, 3}), labels("tr-lab", 5),
                           images("te-img", {4, 6}),
                           write("te-lab.gz", {4}, [](size_t i) { return i == 2 ? 6 : 0; }));
  const DataSplit s = load_data(c, 1);
  ASSERT_EQ(s.train.size(), 5);
  ASSERT_EQ(s.test.size(), 4);
  EXPECT_EQ(s.train.dim, 6);
  EXPECT_EQ(s.test.dim, 6);
  EXPECT_EQ(s.train.classes, 7);  // largest label (6, only in the test set) + 1
  EXPECT_EQ(s.test.classes, 7);
  EXPECT_EQ(s.train.y, (std::vector<int32_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(s.test.y, (std::vector<int32_t>{0, 0, 6, 0}));
  for (size_t i = 0; i < s.train.x.size(); ++i) ASSERT_EQ(s.train.x[i], (i * 7 % 256) / 255.0f);
  EXPECT_TRUE(Contains(s.description, "idx ("));
}

TEST_F(DatasetIdx, RejectsCountMismatch) {
  const std::string img = images("img.gz", {6, 2, 2});
  const std::string lab = labels("lab.gz", 5);
  const std::string msg = error_of([&] { load_data(idx(img, lab, img, labels("ok", 6)), 1); });
  EXPECT_TRUE(Contains(msg, img + ": IDX header declares 6 items, but its labels file holds 5; they must be equal"));
}

// The images' header is checked against the labels before their data is inflated: a small gzip
// file claiming 1,369,000 images of 28×28 (1 GB) is refused at once, not after inflating it.
TEST_F(DatasetIdx, ImagesHeaderIsCheckedAgainstTheLabelsBeforeInflating) {
  const std::string img = (dir_ / "claims-1369000.gz").string();
  gzFile f = gzopen(img.c_str(), "wb9");
  const unsigned char header[16] = {0, 0, 8, 3, 0, 0x14, 0xe3, 0xa8, 0, 0, 0, 28, 0, 0, 0, 28};  // 1369000×28×28
  gzwrite(f, header, sizeof header);
  const std::string zeros(1 << 20, '\0');  // 1 MB of the claimed 1 GB: inflating would say "truncated"
  gzwrite(f, zeros.data(), static_cast<unsigned>(zeros.size()));
  gzclose(f);
  const std::string lab = labels("lab", 3);
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab, img, lab), 1); }),
                       img + ": IDX header declares 1369000 items, but its labels file holds 3"));
}

// A label past the largest class count is refused, not turned into a 201-class model.
TEST_F(DatasetIdx, RejectsLabelsPastTheLargestClass) {
  const std::string img = images("img", {4, 2, 2});
  const std::string lab = write("lab", {4}, [](size_t i) { return i == 2 ? 200 : i % 2; });
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab, img, lab), 1); }),
                       lab + ": label 200 at item 2; labels must be in 0 … 99"));
}

TEST_F(DatasetIdx, RejectsWrongShapes) {
  const std::string img = images("img", {4, 2, 2});
  const std::string lab = labels("lab", 4);
  const std::string lab2d = write("lab2d", {4, 1}, [](size_t i) { return i % 2; });
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab2d, img, lab), 1); }),
                       lab2d + ": labels must be 1-D"));
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(lab, lab, img, lab), 1); }),
                       lab + ": images must be 3-D (n, rows, cols) or 2-D (n, dim)"));
  const std::string wide = images("wide", {4, 5});
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab, wide, lab), 1); }),
                       img + " has 4 features per example but " + wide + " has 5"));
  const std::string one = write("one-class", {4}, [](size_t) { return 0; });
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, one, img, one), 1); }),
                       "at least 2 classes"));
}

TEST_F(DatasetIdx, RejectsMissingFilesAndKeys) {
  const std::string img = images("img", {4, 2, 2});
  const std::string lab = labels("lab", 4);
  const std::string missing = (dir_ / "missing.gz").string();
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab, missing, lab), 1); }),
                       missing + ": cannot open"));
  EXPECT_TRUE(Contains(error_of([&] { load_data(idx(img, lab, img, ""), 1); }),
                       "data.kind=idx needs data.test_labels"));
  DataConfig c = idx(img, lab, img, lab);
  c.train_size = 5;
  EXPECT_EQ(error_of([&] { load_data(c, 1); }),
            "data.train_size=5 but " + img + " has 4 training examples");
}

}  // namespace
}  // namespace bnlab
