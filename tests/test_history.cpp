// test_history.cpp — bounded series: exact below capacity, min/max kept through decimation,
// flat memory however long the run, NaN gaps, divergence marks, histogram tracks, networks
// added and removed with their colours.

#include <gtest/gtest.h>

#include <cmath>

#include "core/run_history.h"

namespace bnlab {
namespace {

TEST(Series, ExactBelowCapacity) {
  Series s(8);
  for (int i = 0; i < 8; ++i) s.add(i, static_cast<float>(i * i));
  ASSERT_EQ(s.size(), 8);
  EXPECT_EQ(s.stride(), 1);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(s.x()[i], i);
    EXPECT_EQ(s.mean()[i], static_cast<float>(i * i));
    EXPECT_EQ(s.lo()[i], s.hi()[i]);
  }
}

TEST(Series, DecimationKeepsMinMaxAndMean) {
  Series s(8);
  for (int i = 0; i < 1000; ++i) s.add(i, i == 537 ? 100.f : (i == 123 ? -50.f : 1.f));
  EXPECT_LE(s.size(), 8);
  EXPECT_GT(s.stride(), 1);
  float lo = 1e9f, hi = -1e9f;
  for (int i = 0; i < s.size(); ++i) {
    lo = std::min(lo, s.lo()[i]);
    hi = std::max(hi, s.hi()[i]);
    if (i) {
      EXPECT_GT(s.x()[i], s.x()[i - 1]);
    }
  }
  EXPECT_EQ(lo, -50.f);  // the spikes survive
  EXPECT_EQ(hi, 100.f);
  // A full bucket's mean is the mean of what it covers: the buckets hold 1000 samples, whose sum is
  // 998 + 100 − 50 = 1048.
  double total = 0;
  const int64_t full = s.size() - 1;
  for (int i = 0; i < full; ++i) total += static_cast<double>(s.mean()[i]) * static_cast<double>(s.stride());
  total += static_cast<double>(s.mean()[full]) * static_cast<double>(1000 - full * s.stride());
  EXPECT_NEAR(total, 1048.0, 1e-3);
}

TEST(Series, NonFiniteSamplesLeaveGaps) {
  Series s(8);
  s.add(0, 1.f);
  s.add(1, kNaN);
  s.add(2, INFINITY);
  s.add(3, 2.f);
  ASSERT_EQ(s.size(), 4);
  EXPECT_TRUE(std::isnan(s.mean()[1]));
  EXPECT_TRUE(std::isnan(s.mean()[2]));
  for (int i = 4; i < 64; ++i) s.add(i, 3.f);  // merging a NaN bucket with a finite one keeps the value
  for (int i = 0; i < s.size(); ++i) EXPECT_TRUE(std::isfinite(s.mean()[i])) << i;
}

TEST(Series, MemoryIsFlat) {
  Series s(1024);
  const size_t start = s.bytes();
  for (int i = 0; i < 1'000'000; ++i) s.add(i, std::sin(i * 1e-3f));
  EXPECT_EQ(s.bytes(), start);
  EXPECT_LE(s.size(), 1024);
  EXPECT_GE(s.size(), 512);
  EXPECT_NEAR(s.x()[s.size() - 1], 1e6, 1e6 / 512);
}

Histogram hist(std::vector<uint32_t> counts, uint32_t under = 0, uint32_t over = 0) {
  Histogram h;
  h.lo = -1;
  h.hi = 1;
  h.counts = std::move(counts);
  h.underflow = under;
  h.overflow = over;
  return h;
}

TEST(HistogramTrack, FractionsAndMerging) {
  HistogramTrack t(4);
  t.add(0, hist({1, 1, 2}, 0, 4));  // fractions of all 8 values, overflow included
  ASSERT_EQ(t.columns(), 1);
  ASSERT_EQ(t.bins(), 3);
  EXPECT_FLOAT_EQ(t.values()[2], 0.25f);
  for (int i = 1; i < 4; ++i) t.add(i, hist({0, 4, 0}));
  t.add(4, hist({0, 0, 4}));  // full: pairs merge
  EXPECT_EQ(t.columns(), 3);
  EXPECT_FLOAT_EQ(t.x()[0], 0.5);
  EXPECT_FLOAT_EQ(t.values()[1], 0.5f * (0.125f + 1.f));
  const size_t b = t.bytes();
  for (int i = 5; i < 100000; ++i) t.add(i, hist({1, 2, 3}));
  EXPECT_EQ(t.bytes(), b);
  t.add(100000, [] { Histogram h = hist({1, 1}); h.hi = 5; return h; }());  // new range: starts over
  EXPECT_EQ(t.columns(), 1);
}

StepStats snapshot(int64_t step, int nets, int layers, int64_t diverged = -1) {
  StepStats s;
  s.step = step;
  s.networks.resize(nets);
  for (auto& n : s.networks) {
    n.diverged_at = diverged;
    n.has_eval = true;
    n.test_acc = 0.5f;
    n.layers.resize(layers);
    for (auto& l : n.layers)
      for (auto& h : l.hist) h = hist({1, 2, 3});
  }
  return s;
}

TEST(RunHistory, LossesSnapshotsAndDivergence) {
  RunHistory h;
  h.reset(2, 3);
  h.add_snapshot(snapshot(0, 2, 3));
  // (steps, networks): network 1 diverges at step 3.
  h.add_losses(1, {1.f, 1.f, 0.9f, 0.8f, 0.8f, kNaN, 0.7f, kNaN});
  EXPECT_EQ(h.last_step(), 4);
  const auto& n = h.networks();
  EXPECT_EQ(n[0].diverged_at, -1);
  EXPECT_EQ(n[1].diverged_at, 3);
  EXPECT_EQ(n[0].train_loss.size(), 4);
  EXPECT_EQ(n[1].train_loss.size(), 2);  // the curve stops where it diverged
  h.add_snapshot(snapshot(100, 2, 3));
  EXPECT_EQ(n[0].layers[2].pct[2].size(), 2);
  EXPECT_EQ(n[1].layers[2].pct[2].size(), 1);
  EXPECT_EQ(n[0].test_acc.size(), 2);
  EXPECT_EQ(n[1].latest_step, 0);  // the last healthy snapshot
  EXPECT_EQ(n[0].latest_step, 100);
  h.revive(1);
  EXPECT_EQ(n[1].diverged_at, -1);
}

TEST(RunHistory, RearrangeKeepsHistoriesAndColoursWithTheirNetworks) {
  RunHistory h;
  h.reset(3, 2);
  h.add_snapshot(snapshot(0, 3, 2));
  h.add_losses(1, {1.f, 2.f, 3.f, 1.f, 2.f, 3.f});  // (2 steps, 3 networks)
  EXPECT_EQ(h.networks()[2].color, 2);
  // Network 0 removed: the others keep their curves and colours.
  h.rearrange({1, 2}, 2);
  const auto& n = h.networks();
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].color, 1);
  EXPECT_EQ(n[1].color, 2);
  EXPECT_EQ(n[0].train_loss.size(), 2);
  EXPECT_EQ(n[0].train_loss.mean()[1], 2.f);
  EXPECT_EQ(n[1].train_loss.mean()[1], 3.f);
  EXPECT_EQ(n[1].layers[1].pct[2].size(), 1);
  // One added (−1) and a duplicate of network 1: empty histories, the lowest free colours.
  h.rearrange({0, 1, -1, 1}, 2);
  ASSERT_EQ(n.size(), 4u);
  EXPECT_EQ(n[1].train_loss.size(), 2);  // the original keeps the history
  EXPECT_EQ(n[2].color, 0);
  EXPECT_EQ(n[3].color, 3);
  EXPECT_TRUE(n[3].train_loss.empty());
  EXPECT_EQ(n[3].layers.size(), 2u);
  EXPECT_EQ(n[3].latest_step, -1);
  // Losses of the next steps reach every network; a repeated snapshot reaches only the new ones.
  h.add_losses(3, {1.f, 2.f, 3.f, 4.f});
  EXPECT_EQ(n[3].train_loss.size(), 1);
  EXPECT_EQ(n[3].train_loss.x()[0], 3);
  h.add_snapshot(snapshot(0, 4, 2));
  EXPECT_EQ(n[0].layers[1].pct[2].size(), 1);
  EXPECT_EQ(n[3].layers[1].pct[2].size(), 1);
  EXPECT_EQ(n[3].latest_step, 0);
  // A reset restarts the same networks in the same colours.
  h.reset(4, 2);
  EXPECT_EQ(n[0].color, 1);
  EXPECT_EQ(n[2].color, 0);
  EXPECT_TRUE(n[1].train_loss.empty());
}

TEST(RunHistory, MemoryAfter10kEqualsAfter1M) {
  RunHistory h;
  h.reset(2, 3);
  std::vector<float> losses(2 * 100, 0.5f);
  size_t at_10k = 0;
  for (int64_t step = 0; step < 1'000'000; step += 100) {
    h.add_losses(step + 1, losses);
    h.add_snapshot(snapshot(step + 100, 2, 3));
    if (step + 100 == 10'000) at_10k = h.bytes();
  }
  EXPECT_EQ(h.bytes(), at_10k);
  EXPECT_LT(h.bytes(), 8u << 20);
}

}  // namespace
}  // namespace bnlab
