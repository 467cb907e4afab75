// test_speedup.cpp — the speed-up comparison (core/speedup.h) on hand-made accuracy curves.
#include <gtest/gtest.h>

#include <cmath>

#include "core/speedup.h"

namespace bnlab {
namespace {

TEST(Speedup, SmoothingIsTheMeanOfTheLastFiveEvaluations) {
  const std::vector<double> s = smoothed_accuracy({0.5, 0.7, 0.6, 0.8, 0.9, 1.0, 0.4});
  ASSERT_EQ(s.size(), 7u);
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[1], 0.6);
  EXPECT_DOUBLE_EQ(s[4], (0.5 + 0.7 + 0.6 + 0.8 + 0.9) / 5);
  EXPECT_DOUBLE_EQ(s[5], (0.7 + 0.6 + 0.8 + 0.9 + 1.0) / 5);
  EXPECT_DOUBLE_EQ(s[6], (0.6 + 0.8 + 0.9 + 1.0 + 0.4) / 5);
  EXPECT_TRUE(std::isnan(smoothed_accuracy({0.5, NAN, 0.5})[2]));
}

// The baseline climbs to 0.9 over 10 evaluations and stays; BN is at 0.9 from its 3rd: the
// target is 0.9, the baseline reaches it (smoothed) at step 1400, BN at 700: 2× fewer steps.
TEST(Speedup, FactorIsTheReferenceStepOverTheOthers) {
  AccuracyCurve base, bn;
  for (int i = 0; i <= 20; ++i) {
    base.steps.push_back(100 * i);
    bn.steps.push_back(100 * i);
    base.acc.push_back(i == 0 ? 0.1 : std::min(0.9, 0.09 * i));
    bn.acc.push_back(i == 0 ? 0.1 : i < 3 ? 0.5 : 0.9);
  }
  const Speedup s = speedup(base, bn);
  EXPECT_NEAR(s.target, 0.9, 1e-12);
  EXPECT_EQ(s.reference_step, 1400);  // evaluations 10..14 are all 0.9
  EXPECT_EQ(s.step, 700);             // evaluations 3..7
  EXPECT_DOUBLE_EQ(s.factor, 2.0);
  // The other way round: BN's final accuracy, reached by the baseline at step 1400, by BN at 700.
  const Speedup back = speedup(bn, base);
  EXPECT_EQ(back.reference_step, 700);
  EXPECT_EQ(back.step, 1400);
  EXPECT_DOUBLE_EQ(back.factor, 0.5);
}

// One lucky evaluation does not count: a single 0.95 among 0.5s stays below a 0.9 target.
TEST(Speedup, OneNoisyEvaluationCannotDecide) {
  AccuracyCurve base{{0, 500, 1000, 1500, 2000, 2500, 3000}, {0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}};
  AccuracyCurve spike{{0, 500, 1000, 1500, 2000, 2500, 3000}, {0.1, 0.5, 0.95, 0.5, 0.5, 0.5, 0.5}};
  EXPECT_FALSE(speedup(base, spike).reached());
  EXPECT_TRUE(std::isnan(speedup(base, spike).factor));
}

TEST(Speedup, DivergedNetworksReachNothingAndGiveNoTarget) {
  AccuracyCurve ok{{0, 500, 1000}, {0.1, 0.8, 0.9}};
  AccuracyCurve diverged{{0, 500, 1000}, {0.1, NAN, NAN}};
  EXPECT_FALSE(speedup(ok, diverged).reached());
  const Speedup none = speedup(diverged, ok);
  EXPECT_TRUE(std::isnan(none.target));
  EXPECT_EQ(none.reference_step, -1);
  EXPECT_FALSE(none.reached());
  EXPECT_FALSE(speedup(AccuracyCurve{}, ok).reached());
  // Step 0 is never a reaching step, even when the target is no better than chance.
  AccuracyCurve flat{{0, 500}, {0.1, 0.1}};
  EXPECT_EQ(speedup(flat, flat).step, 500);
}

}  // namespace
}  // namespace bnlab
