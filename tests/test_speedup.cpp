// test_speedup.cpp — the speed-up comparison (core/speedup.h) on hand-made accuracy curves.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "core/speedup.h"

namespace bnlab {
namespace {

// Ten balanced classes over 10,000 test examples: chance 0.1, learned above 0.1 + 3·√(0.1/10,000).
const Chance kTenClasses{0.1, 10000};

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
  const Speedup s = speedup(base, bn, kTenClasses);
  EXPECT_NEAR(s.target, 0.9, 1e-12);
  EXPECT_EQ(s.reference_step, 1400);  // evaluations 10..14 are all 0.9
  EXPECT_EQ(s.step, 700);             // evaluations 3..7
  EXPECT_DOUBLE_EQ(s.factor, 2.0);
  // The other way round: BN's final accuracy, reached by the baseline at step 1400, by BN at 700.
  const Speedup back = speedup(bn, base, kTenClasses);
  EXPECT_EQ(back.reference_step, 700);
  EXPECT_EQ(back.step, 1400);
  EXPECT_DOUBLE_EQ(back.factor, 0.5);
}

// One lucky evaluation does not count: a single 0.95 among 0.5s stays below a 0.9 target.
TEST(Speedup, OneNoisyEvaluationCannotDecide) {
  AccuracyCurve base{{0, 500, 1000, 1500, 2000, 2500, 3000}, {0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}};
  AccuracyCurve spike{{0, 500, 1000, 1500, 2000, 2500, 3000}, {0.1, 0.5, 0.95, 0.5, 0.5, 0.5, 0.5}};
  EXPECT_FALSE(speedup(base, spike, kTenClasses).reached());
  EXPECT_TRUE(std::isnan(speedup(base, spike, kTenClasses).factor));
}

TEST(Speedup, DivergedNetworksReachNothingAndGiveNoTarget) {
  AccuracyCurve ok{{0, 500, 1000}, {0.1, 0.8, 0.9}};
  AccuracyCurve diverged{{0, 500, 1000}, {0.1, NAN, NAN}};
  EXPECT_FALSE(speedup(ok, diverged, kTenClasses).reached());
  const Speedup none = speedup(diverged, ok, kTenClasses);
  EXPECT_TRUE(std::isnan(none.target));
  EXPECT_EQ(none.reference_step, -1);
  EXPECT_FALSE(none.reached());
  EXPECT_FALSE(speedup(AccuracyCurve{}, ok, kTenClasses).reached());
  // Step 0 is never a reaching step.
  AccuracyCurve low{{0, 500}, {0.9, 0.3}};
  EXPECT_EQ(speedup(low, low, kTenClasses).step, 500);
}

TEST(Speedup, ChanceIsTheMostFrequentClassesShareAndThreeStandardErrorsAboveIt) {
  // MNIST's test set has 1,135 ones among 10,000 digits.
  std::vector<int32_t> labels(10000, 0);
  for (int i = 0; i < 1135; ++i) labels[i] = 1;
  for (int i = 1135; i < 10000; ++i) labels[i] = 2 + i % 8;  // 8,865 over the other eight: ≤ 1,109 each
  const Chance c = chance_of(labels);
  EXPECT_DOUBLE_EQ(c.accuracy, 0.1135);
  EXPECT_EQ(c.examples, 10000);
  EXPECT_NEAR(c.threshold(), 0.1135 + 3 * std::sqrt(0.1135 / 10000), 1e-12);
  EXPECT_NEAR(c.threshold(), 0.1236, 1e-4);
  // No test set: nothing to compare with, any accuracy counts.
  EXPECT_EQ(chance_of({}).threshold(), 0.0);
}

// Lesson 13's no-BN network answers one class for every digit, mostly the 1s: 11.35%. Every other
// network "reaches" that at its first evaluation, which would print a meaningless factor (it
// printed 6.0×); instead the reference is marked at chance and nothing is reached.
TEST(Speedup, AReferenceThatNeverBeatChanceGivesNoFactor) {
  const Chance mnist{0.1135, 10000};
  AccuracyCurve none, bn;
  for (int i = 0; i <= 10; ++i) {
    none.steps.push_back(500 * i);
    bn.steps.push_back(500 * i);
    none.acc.push_back(i == 0 ? 0.098 : 0.1135);
    bn.acc.push_back(i == 0 ? 0.098 : 0.90 + 0.005 * i);
  }
  const Speedup s = speedup(none, bn, mnist);
  EXPECT_TRUE(s.at_chance);
  EXPECT_DOUBLE_EQ(s.target, 0.1135);  // still reported: "never learned (11.35%)"
  EXPECT_EQ(s.reference_step, -1);
  EXPECT_FALSE(s.reached());
  EXPECT_TRUE(std::isnan(s.factor));
  // The other way round BN's accuracy is a real target, which the chance-level network never reaches.
  const Speedup back = speedup(bn, none, mnist);
  EXPECT_FALSE(back.at_chance);
  EXPECT_GT(back.reference_step, 0);
  EXPECT_FALSE(back.reached());
  // Just above chance but within three standard errors (a guess that was lucky) is still chance;
  // beyond them the network learned something, and the factor is measured.
  for (double& a : none.acc) a = 0.1230;
  EXPECT_TRUE(speedup(none, bn, mnist).at_chance);
  for (double& a : none.acc) a = 0.1240;
  const Speedup learned = speedup(none, bn, mnist);
  EXPECT_FALSE(learned.at_chance);
  EXPECT_EQ(learned.reference_step, 500);
  EXPECT_EQ(learned.step, 500);
  EXPECT_DOUBLE_EQ(learned.factor, 1.0);
  // A diverged reference is not "at chance": it has no accuracy at all.
  AccuracyCurve diverged{{0, 500}, {0.1, NAN}};
  EXPECT_FALSE(speedup(diverged, bn, mnist).at_chance);
}

}  // namespace
}  // namespace bnlab
