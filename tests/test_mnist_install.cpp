// test_mnist_install.cpp — the full MNIST (data.kind = mnist) as the setup script installs it:
// LeCun's files found beside the build, and a missing, partial or damaged install refused with
// one message that names the install command and mnist-10k.
//
// [SECTION] Helpers
// [SECTION] The installed set
// [SECTION] Missing, partial and damaged installs

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/dataset.h"
#include "core/mnist_install.h"
#include "tests/test_util.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

// [SECTION] Helpers

DataConfig full() {
  DataConfig c;
  c.kind = DataKind::Mnist;
  return c;
}

// BNLAB_MNIST_DIR pointing at a fresh folder for one test; the real install (found with the
// variable unset) can be copied into it first.
class MnistDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("BNLAB_MNIST_DIR");
    ASSERT_TRUE(old == nullptr) << "BNLAB_MNIST_DIR is set in the test's environment";
    installed_ = mnist_dir();
    dir_ = fs::temp_directory_path() / ("bnlab_mnist_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    setenv("BNLAB_MNIST_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("BNLAB_MNIST_DIR");
    fs::remove_all(dir_);
  }
  bool have_install() const { return fs::exists(installed_ + "/" + kMnistFiles[0] + ".gz"); }
  void copy_install() {
    for (const char* f : kMnistFiles) fs::copy_file(installed_ + "/" + f + ".gz", dir_ / (std::string(f) + ".gz"));
  }
  std::string file(int i) const { return (dir_ / (std::string(kMnistFiles[i]) + ".gz")).string(); }

  std::string installed_;
  fs::path dir_;
};

// The one-line message every refusal gives.
void expect_refused(const std::string& message, const std::string& what) {
  EXPECT_TRUE(Contains(message, what));
  EXPECT_TRUE(Contains(message, "third_party/setup-debian.sh"));
  EXPECT_TRUE(Contains(message, "--set data.kind=mnist-10k"));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

std::string missing_message(const DataConfig& c) {
  try {
    load_data(c, 1);
  } catch (const MnistMissing& e) {
    return e.what();
  }
  ADD_FAILURE() << "no MnistMissing thrown";
  return "";
}

// [SECTION] The installed set

// LeCun's 60,000 / 10,000, byte for byte: shape, first labels, class counts (DESIGN.md).
TEST(MnistFull, InstalledSetIsLeCunsSixtyThousandAndTenThousand) {
  if (!fs::exists(mnist_dir() + "/" + kMnistFiles[0] + ".gz"))
    GTEST_SKIP() << "the full MNIST is not installed (third_party/setup-debian.sh installs it)";
  const DataSplit s = load_data(full(), 1);
  ASSERT_EQ(s.train.size(), 60000);
  ASSERT_EQ(s.test.size(), 10000);
  EXPECT_EQ(s.train.dim, 784);
  EXPECT_EQ(s.train.classes, 10);
  EXPECT_EQ(std::vector<int32_t>(s.train.y.begin(), s.train.y.begin() + 5), (std::vector<int32_t>{5, 0, 4, 1, 9}));
  std::array<int, 10> counts{};
  for (int32_t y : s.train.y) ++counts.at(y);
  EXPECT_EQ(counts, (std::array<int, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(s.description, "mnist (LeCun's full set): 60000 train / 10000 test, 784 features, 10 classes");
  // The first test digit is a 7 (LeCun's t10k order).
  EXPECT_EQ(s.test.y[0], 7);
}

// [SECTION] Missing, partial and damaged installs

TEST_F(MnistDir, MissingFolderNamesTheInstallCommand) {
  fs::remove_all(dir_);
  expect_refused(missing_message(full()), "not installed (no folder " + dir_.string() + ")");
}

TEST_F(MnistDir, PartialInstallIsRefusedNamingTheMissingFile) {
  if (!have_install()) GTEST_SKIP() << "the full MNIST is not installed";
  copy_install();
  fs::remove(file(3));
  expect_refused(missing_message(full()), "incomplete install, " + file(3) + " is missing");
}

TEST_F(MnistDir, TruncatedFileIsRefused) {
  if (!have_install()) GTEST_SKIP() << "the full MNIST is not installed";
  copy_install();
  fs::resize_file(file(0), fs::file_size(file(0)) / 2);  // an interrupted copy
  expect_refused(missing_message(full()), file(0) + " is damaged or not LeCun's file");
}

TEST_F(MnistDir, AnotherFileInItsPlaceIsRefused) {
  if (!have_install()) GTEST_SKIP() << "the full MNIST is not installed";
  copy_install();
  fs::copy_file(std::string(BNLAB_SOURCE_DIR) + "/assets/mnist/train-labels-idx1-ubyte.gz", file(1),
                fs::copy_options::overwrite_existing);  // the 10k subset's labels
  expect_refused(missing_message(full()), file(1) + " is damaged or not LeCun's file (CRC-32");
}

TEST_F(MnistDir, NotGzipIsRefused) {
  if (!have_install()) GTEST_SKIP() << "the full MNIST is not installed";
  copy_install();
  std::ofstream(file(2), std::ios::binary | std::ios::trunc) << "plain text, not the test images";
  expect_refused(missing_message(full()), file(2) + " is not a gzip file");
}

// A flipped byte inside the compressed data, the trailer untouched: zlib's check refuses it.
TEST_F(MnistDir, DamagedDataBehindAGoodTrailerIsRefused) {
  if (!have_install()) GTEST_SKIP() << "the full MNIST is not installed";
  copy_install();
  std::fstream f(file(0), std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(100000);
  const char c = static_cast<char>(f.get());
  f.seekp(100000);
  f.put(static_cast<char>(c ^ 0x5a));
  f.close();
  expect_refused(missing_message(full()), file(0) + ": corrupt gzip data");
}

TEST_F(MnistDir, TheShippedSubsetNeedsNoInstall) {
  fs::remove_all(dir_);
  DataConfig c = full();
  c.kind = DataKind::Mnist10k;
  EXPECT_EQ(load_data(c, 1).train.size(), 8000);
}

}  // namespace
}  // namespace bnlab
