// test_stats.cpp — percentiles (numpy's "linear" method), histograms and their edges, saturation
// per activation, mean/std and the typical unit, as measure_layer computes them.
//
// [SECTION] Percentiles
// [SECTION] Histograms
// [SECTION] Saturation
// [SECTION] Mean, std and the typical unit

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/stats.h"

namespace bnlab {
namespace {

// [SECTION] Percentiles

// numpy.percentile(v, q) with the default method="linear", written the obvious way.
double numpy_linear(std::vector<float> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - static_cast<double>(i)) * (static_cast<double>(v[i + 1]) - v[i]);
}

TEST(StatsPercentiles, ZeroToNinetyNineMatchesNumpy) {
  // np.percentile(np.arange(100), [2, 15, 50, 85, 98]) = [1.98, 14.85, 49.5, 84.15, 97.02]
  std::vector<float> v(100);
  std::iota(v.begin(), v.end(), 0.0f);
  const auto p = percentiles(v);
  EXPECT_FLOAT_EQ(p[0], 1.98f);
  EXPECT_FLOAT_EQ(p[1], 14.85f);
  EXPECT_FLOAT_EQ(p[2], 49.5f);
  EXPECT_FLOAT_EQ(p[3], 84.15f);
  EXPECT_FLOAT_EQ(p[4], 97.02f);
}

TEST(StatsPercentiles, ShuffledGivesTheSameAsSorted) {
  std::vector<float> v(100);
  std::iota(v.begin(), v.end(), 0.0f);
  Rng rng(5);
  rng.shuffle(v);
  std::reverse(v.begin(), v.begin() + 37);
  const auto p = percentiles(v);
  EXPECT_FLOAT_EQ(p[0], 1.98f);
  EXPECT_FLOAT_EQ(p[1], 14.85f);
  EXPECT_FLOAT_EQ(p[2], 49.5f);
  EXPECT_FLOAT_EQ(p[3], 84.15f);
  EXPECT_FLOAT_EQ(p[4], 97.02f);
  // Descending input too.
  std::vector<float> d(100);
  for (int i = 0; i < 100; ++i) d[i] = static_cast<float>(99 - i);
  const auto q = percentiles(d);
  for (int k = 0; k < 5; ++k) EXPECT_FLOAT_EQ(q[k], p[k]) << k;
}

TEST(StatsPercentiles, SmallArraysMatchNumpy) {
  {
    // A single value is every percentile.
    std::vector<float> v = {3.5f};
    for (float x : percentiles(v)) EXPECT_EQ(x, 3.5f);
  }
  {
    // np.percentile([10, 20], [2, 15, 50, 85, 98]) = [10.2, 11.5, 15, 18.5, 19.8]
    std::vector<float> v = {20.f, 10.f};
    const auto p = percentiles(v);
    EXPECT_FLOAT_EQ(p[0], 10.2f);
    EXPECT_FLOAT_EQ(p[1], 11.5f);
    EXPECT_FLOAT_EQ(p[2], 15.0f);
    EXPECT_FLOAT_EQ(p[3], 18.5f);
    EXPECT_FLOAT_EQ(p[4], 19.8f);
  }
  {
    // np.percentile([4, 1, 3, 2, 5], [2, 15, 50, 85, 98]) = [1.08, 1.6, 3, 4.4, 4.92]
    std::vector<float> v = {4.f, 1.f, 3.f, 2.f, 5.f};
    const auto p = percentiles(v);
    EXPECT_FLOAT_EQ(p[0], 1.08f);
    EXPECT_FLOAT_EQ(p[1], 1.6f);
    EXPECT_FLOAT_EQ(p[2], 3.0f);
    EXPECT_FLOAT_EQ(p[3], 4.4f);
    EXPECT_FLOAT_EQ(p[4], 4.92f);
  }
  {
    // Ties: np.percentile([1, 1, 1, 7, 7, 7], [2, 15, 50, 85, 98]) = [1, 1, 4, 7, 7]
    std::vector<float> v = {7.f, 1.f, 7.f, 1.f, 7.f, 1.f};
    const auto p = percentiles(v);
    EXPECT_FLOAT_EQ(p[0], 1.f);
    EXPECT_FLOAT_EQ(p[1], 1.f);
    EXPECT_FLOAT_EQ(p[2], 4.f);
    EXPECT_FLOAT_EQ(p[3], 7.f);
    EXPECT_FLOAT_EQ(p[4], 7.f);
  }
  {
    std::vector<float> v;
    for (float x : percentiles(v)) EXPECT_TRUE(std::isnan(x));
  }
}

TEST(StatsPercentiles, RandomArraysMatchSortAndInterpolate) {
  // Many sizes (the selection algorithm partitions in several ways), ties, negative values.
  Rng rng(17);
  for (int n = 1; n <= 300; n += (n < 40 ? 1 : 37)) {
    for (int rep = 0; rep < 3; ++rep) {
      std::vector<float> v(n);
      for (float& x : v) x = rep == 2 ? static_cast<float>(rng.below(5)) - 2.f : static_cast<float>(rng.normal());
      const std::vector<float> copy = v;
      const auto p = percentiles(v);
      for (size_t k = 0; k < kPercentiles.size(); ++k) {
        const double want = numpy_linear(copy, kPercentiles[k]);
        EXPECT_NEAR(p[k], want, 1e-5 * (1 + std::abs(want))) << "n " << n << " rep " << rep << " p" << kPercentiles[k];
      }
      // It may reorder, but keeps the same multiset.
      std::vector<float> a = copy, b = v;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      EXPECT_EQ(a, b);
    }
  }
}

// [SECTION] Histograms

// One layer of `width` units on n probe examples, every tap the same values.
LayerStats measure(const std::vector<float>& v, int n, int width, Activation act, int bins = 20, int unit = 0) {
  LayerStats s;
  measure_layer(v.data(), v.data(), v.data(), n, width, act, bins, unit, &s);
  return s;
}

TEST(StatsHistogram, RangesAreDocumented) {
  float lo, hi;
  for (Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Linear}) {
    tap_range(kTapPreNorm, a, &lo, &hi);
    EXPECT_EQ(lo, -10.f);
    EXPECT_EQ(hi, 10.f);
    tap_range(kTapNonlinIn, a, &lo, &hi);
    EXPECT_EQ(lo, -10.f);
    EXPECT_EQ(hi, 10.f);
  }
  tap_range(kTapOutput, Activation::Sigmoid, &lo, &hi);
  EXPECT_EQ(lo, 0.f);
  EXPECT_EQ(hi, 1.f);
  tap_range(kTapOutput, Activation::Tanh, &lo, &hi);
  EXPECT_EQ(lo, -1.f);
  EXPECT_EQ(hi, 1.f);
  tap_range(kTapOutput, Activation::Relu, &lo, &hi);
  EXPECT_EQ(lo, 0.f);
  EXPECT_EQ(hi, 10.f);
  tap_range(kTapOutput, Activation::Linear, &lo, &hi);
  EXPECT_EQ(lo, -10.f);
  EXPECT_EQ(hi, 10.f);
}

TEST(StatsHistogram, CountsUnderflowOverflowAndEdges) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Range [−10, 10), 20 bins of width 1.
  const std::vector<float> v = {
      -10.f,                      // exactly lo → bin 0
      -9.5f,                      // bin 0
      -10.5f,                     // underflow
      -inf,                       // underflow
      0.f,                        // bin 10
      0.5f,                       // bin 10
      -0.25f,                     // bin 9
      3.f,                        // bin 13 (a left edge belongs to its bin)
      9.999f,                     // bin 19
      std::nextafter(10.f, 0.f),  // just below hi → the last bin, not past it
      10.f,                       // exactly hi → overflow
      12.f,                       // overflow
      inf,                        // overflow
      nan,                        // NaN → overflow
  };
  const LayerStats s = measure(v, static_cast<int>(v.size()), 1, Activation::Linear);
  const Histogram& h = s.hist[kTapPreNorm];
  EXPECT_EQ(h.lo, -10.f);
  EXPECT_EQ(h.hi, 10.f);
  ASSERT_EQ(h.counts.size(), 20u);
  EXPECT_EQ(h.underflow, 2u);
  EXPECT_EQ(h.overflow, 4u);
  std::vector<uint32_t> want(20, 0);
  want[0] = 2, want[9] = 1, want[10] = 2, want[13] = 1, want[19] = 2;
  EXPECT_EQ(h.counts, want);
  uint32_t total = h.underflow + h.overflow;
  for (uint32_t c : h.counts) total += c;
  EXPECT_EQ(total, v.size());
}

TEST(StatsHistogram, OutputTapUsesTheActivationRange) {
  // Sigmoid outputs over [0, 1) in 64 bins: 0.5 lands in bin 32, 1.0 overflows.
  const std::vector<float> pre = {0.f, 0.f, 0.f, 0.f};
  const std::vector<float> out = {0.5f, 1.0f, 0.0f, 0.99f};
  LayerStats s;
  measure_layer(pre.data(), pre.data(), out.data(), 4, 1, Activation::Sigmoid, 64, 0, &s);
  const Histogram& h = s.hist[kTapOutput];
  EXPECT_EQ(h.lo, 0.f);
  EXPECT_EQ(h.hi, 1.f);
  ASSERT_EQ(h.counts.size(), 64u);
  EXPECT_EQ(h.counts[32], 1u);
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[63], 1u);
  EXPECT_EQ(h.overflow, 1u);
  EXPECT_EQ(h.underflow, 0u);
  // The pre-norm tap of the same layer: all four zeros in the middle bin of [−10, 10).
  EXPECT_EQ(s.hist[kTapPreNorm].counts[32], 4u);
}

TEST(StatsHistogram, BinsAcrossManyValues) {
  // A fine grid over [−12, 12], offset so that no value sits within float rounding of a bin edge:
  // every value lands exactly where floor((v − lo)/w) says.
  std::vector<float> v;
  for (int i = -1200; i <= 1200; ++i) v.push_back(static_cast<float>(i) / 100.f + 0.001f);
  const int bins = 64;
  const LayerStats s = measure(v, static_cast<int>(v.size()), 1, Activation::Tanh, bins);
  const Histogram& h = s.hist[kTapPreNorm];
  std::vector<uint32_t> want(bins, 0);
  uint32_t under = 0, over = 0;
  for (float x : v) {
    if (x < -10.f) {
      ++under;
    } else if (x >= 10.f) {
      ++over;
    } else {
      want[static_cast<int>(std::floor((static_cast<double>(x) + 10.0) / 20.0 * bins))]++;
    }
  }
  EXPECT_EQ(h.underflow, under);
  EXPECT_EQ(h.overflow, over);
  EXPECT_EQ(h.counts, want);
}

// [SECTION] Saturation

TEST(StatsSaturation, SigmoidWithin002OfZeroOrOne) {
  // Outputs, 2 examples × 3 units.
  const std::vector<float> out = {0.01f, 0.5f, 0.99f, 0.019f, 0.981f, 0.97f};
  const std::vector<float> pre(6, 0.f);
  LayerStats s;
  measure_layer(pre.data(), pre.data(), out.data(), 2, 3, Activation::Sigmoid, 16, 0, &s);
  EXPECT_FLOAT_EQ(s.saturation, 4.f / 6.f);
}

TEST(StatsSaturation, TanhAbsAbove097) {
  const std::vector<float> out = {0.98f, -0.99f, 0.5f, -0.96f, 0.0f, 0.969f, 1.0f, -1.0f};
  const std::vector<float> pre(8, 0.f);
  LayerStats s;
  measure_layer(pre.data(), pre.data(), out.data(), 4, 2, Activation::Tanh, 16, 0, &s);
  EXPECT_FLOAT_EQ(s.saturation, 4.f / 8.f);
}

TEST(StatsSaturation, ReluCountsUnitsDeadOnEveryExample) {
  // 4 examples × 3 units, row-major (n, width): unit 0 always 0 (dead), unit 1 alive on one
  // example, unit 2 always positive. One dead unit of three.
  const std::vector<float> out = {0.f, 0.f,  1.f,   //
                                  0.f, 0.f,  2.f,   //
                                  0.f, 0.3f, 0.5f,  //
                                  0.f, 0.f,  4.f};
  const std::vector<float> pre = {-1.f, -1.f, 1.f, -2.f, -1.f, 2.f, -3.f, 0.3f, 0.5f, -4.f, -1.f, 4.f};
  LayerStats s;
  measure_layer(pre.data(), pre.data(), out.data(), 4, 3, Activation::Relu, 16, 0, &s);
  EXPECT_FLOAT_EQ(s.saturation, 1.f / 3.f);  // per-element zeros (7 of 12) would differ
  const std::vector<float> all_dead(12, 0.f);
  measure_layer(pre.data(), pre.data(), all_dead.data(), 4, 3, Activation::Relu, 16, 0, &s);
  EXPECT_FLOAT_EQ(s.saturation, 1.f);
}

TEST(StatsSaturation, LinearNeverSaturates) {
  const std::vector<float> v = {100.f, -100.f, 0.f, 1e6f};
  const LayerStats s = measure(v, 2, 2, Activation::Linear);
  EXPECT_EQ(s.saturation, 0.f);
  for (Activation a : {Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Linear})
    EXPECT_NE(std::string(saturation_definition(a)), "?");
}

// [SECTION] Mean, std and the typical unit

TEST(StatsLayer, MeanStdAndPercentilesOfTheNonlinearityInput) {
  // The three taps differ; mean, std and percentiles come from the nonlinearity input only.
  const int n = 4, width = 2;
  const std::vector<float> pre(8, 100.f);
  const std::vector<float> nl = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f};
  const std::vector<float> out(8, 0.5f);
  LayerStats s;
  measure_layer(pre.data(), nl.data(), out.data(), n, width, Activation::Sigmoid, 16, 0, &s);
  EXPECT_FLOAT_EQ(s.mean, 4.5f);
  EXPECT_FLOAT_EQ(s.std, std::sqrt(5.25f));  // population std of 1..8
  // np.percentile(1..8, [2, 15, 50, 85, 98]) = [1.14, 2.05, 4.5, 6.95, 7.86]
  EXPECT_FLOAT_EQ(s.pct[0], 1.14f);
  EXPECT_FLOAT_EQ(s.pct[1], 2.05f);
  EXPECT_FLOAT_EQ(s.pct[2], 4.5f);
  EXPECT_FLOAT_EQ(s.pct[3], 6.95f);
  EXPECT_FLOAT_EQ(s.pct[4], 7.86f);
  EXPECT_EQ(s.hist[kTapPreNorm].overflow, 8u);
  EXPECT_EQ(s.hist[kTapOutput].counts[8], 8u);
}

TEST(StatsLayer, TypicalUnitPicksItsColumn) {
  // 5 examples × 3 units, row-major; unit u on example i holds 100·u + i, so each column's
  // percentiles are distinct and identify the column read.
  const int n = 5, width = 3;
  std::vector<float> nl(n * width);
  for (int i = 0; i < n; ++i)
    for (int u = 0; u < width; ++u) nl[i * width + u] = 100.f * static_cast<float>(u) + static_cast<float>(i);
  for (int unit = 0; unit < width; ++unit) {
    LayerStats s;
    measure_layer(nl.data(), nl.data(), nl.data(), n, width, Activation::Linear, 16, unit, &s);
    const float base = 100.f * static_cast<float>(unit);
    // np.percentile([0, 1, 2, 3, 4], [2, 15, 50, 85, 98]) = [0.08, 0.6, 2, 3.4, 3.92]
    EXPECT_FLOAT_EQ(s.unit_pct[0], base + 0.08f) << "unit " << unit;
    EXPECT_FLOAT_EQ(s.unit_pct[1], base + 0.6f) << "unit " << unit;
    EXPECT_FLOAT_EQ(s.unit_pct[2], base + 2.f) << "unit " << unit;
    EXPECT_FLOAT_EQ(s.unit_pct[3], base + 3.4f) << "unit " << unit;
    EXPECT_FLOAT_EQ(s.unit_pct[4], base + 3.92f) << "unit " << unit;
  }
}

TEST(StatsLayer, PerUnitMeanAndUnbiasedVarianceOfThePreNormalizationInput) {
  // 4 examples × 3 units; only the pre-normalization tap feeds them (the others are decoys).
  // Unit 0: 1, 2, 3, 4 → mean 2.5, Σ(x−mean)² = 5, unbiased variance 5/3 (not the biased 5/4).
  // Unit 1: constant 7 → variance 0. Unit 2: −1, 1, −1, 1 → mean 0, variance 4/3.
  const int n = 4, width = 3;
  const std::vector<float> pre = {1, 7, -1, 2, 7, 1, 3, 7, -1, 4, 7, 1};
  const std::vector<float> decoy(pre.size(), 100.f);
  LayerStats s;
  measure_layer(pre.data(), decoy.data(), decoy.data(), n, width, Activation::Sigmoid, 16, 0, &s);
  ASSERT_EQ(s.unit_mean.size(), 3u);
  ASSERT_EQ(s.unit_var.size(), 3u);
  EXPECT_FLOAT_EQ(s.unit_mean[0], 2.5f);
  EXPECT_FLOAT_EQ(s.unit_var[0], 5.f / 3.f);
  EXPECT_FLOAT_EQ(s.unit_mean[1], 7.f);
  EXPECT_FLOAT_EQ(s.unit_var[1], 0.f);
  EXPECT_FLOAT_EQ(s.unit_mean[2], 0.f);
  EXPECT_FLOAT_EQ(s.unit_var[2], 4.f / 3.f);
}

TEST(StatsLayer, DefaultsMarkUnmeasuredValuesNaN) {
  const LayerStats s;
  EXPECT_TRUE(std::isnan(s.grad_norm));
  EXPECT_TRUE(std::isnan(s.update_ratio));
  EXPECT_TRUE(std::isnan(s.gamma_mean));
  EXPECT_EQ(std::string(tap_name(kTapPreNorm)), "pre_norm");
  EXPECT_EQ(std::string(tap_name(kTapNonlinIn)), "nonlin_in");
  EXPECT_EQ(std::string(tap_name(kTapOutput)), "output");
}

}  // namespace
}  // namespace bnlab

namespace bnlab {
namespace {

TEST(StatsLayer, NaNInputsAreCountedNotFatal) {
  // A diverged network is still measured: NaN values go to overflow and nothing crashes.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(200);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 3 == 0 ? nan : static_cast<float>(i % 17) - 8.f;
  const LayerStats s = measure(v, 40, 5, Activation::Tanh, 64, 4);
  uint32_t total = s.hist[kTapPreNorm].underflow + s.hist[kTapPreNorm].overflow;
  for (uint32_t c : s.hist[kTapPreNorm].counts) total += c;
  EXPECT_EQ(total, 200u);
  EXPECT_GE(s.hist[kTapPreNorm].overflow, 67u);
  EXPECT_TRUE(std::isnan(s.mean));
  const std::vector<float> all_nan(50, nan);
  const LayerStats t = measure(all_nan, 10, 5, Activation::Sigmoid, 64, 0);
  EXPECT_EQ(t.hist[kTapOutput].overflow, 50u);
}

}  // namespace
}  // namespace bnlab

namespace bnlab {
namespace {

// Runs in a child process (a crash must fail this test, not end the whole suite): the
// percentiles of `v` must come back and equal numpy's within float rounding.
void expect_percentiles_survive(const std::vector<float>& input, const char* what) {
  EXPECT_EXIT(
      {
        std::vector<float> v = input;
        const auto p = percentiles(v);
        bool ok = true;
        for (size_t k = 0; k < kPercentiles.size(); ++k) {
          const double want = numpy_linear(input, kPercentiles[k]);
          ok &= std::abs(p[k] - want) <= 1e-6 * std::abs(want) + 1e-45;
        }
        std::exit(ok ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "")
      << what << " (exit code 3: wrong values; a signal: crashed)";
}

TEST(StatsPercentilesDeathTest, TinyAndHugeSpreadsNeitherCrashNorMislead) {
  // A spread so small that (bins − 1)/(hi − lo) overflows to +inf (0 · inf = NaN as an index) ...
  expect_percentiles_survive({0.f, 1e-45f}, "denormal spread");
  expect_percentiles_survive({0.f, 1e-40f, 0.f, 1e-40f}, "tiny spread");
  // ... and one so large that hi − lo overflows (a layer blowing up just before NaN).
  expect_percentiles_survive({-3e38f, 3e38f, 0.f, 1.f}, "spread beyond FLT_MAX");
  expect_percentiles_survive({-std::numeric_limits<float>::max(), std::numeric_limits<float>::max()}, "±FLT_MAX");
  // Ordinary neighbours, for contrast.
  expect_percentiles_survive({1.f, std::nextafter(1.f, 2.f), 1.f}, "one ulp apart");
}

}  // namespace
}  // namespace bnlab
