// speedup.h — "BN reached the baseline's final test accuracy at step N: k× fewer steps", the
// comparison of the paper's Figure 2 and its "14 times fewer steps" (Ioffe & Szegedy 2015, §4.2.2).
//
// Defined so that no single noisy evaluation decides it:
//   smoothed accuracy at an evaluation = the mean of the test accuracies (eval mode) of the last
//     kSpeedupWindow evaluations up to and including it (fewer at the start of the run);
//   target = the reference network's smoothed accuracy at its last evaluation;
//   reference step = the first evaluation step at which the reference's smoothed accuracy ≥ target;
//   step = the first evaluation step at which the other network's smoothed accuracy ≥ target;
//   factor = reference step / step ("k× fewer steps"; below 1 when the other network is slower).
// Evaluations at step 0 are left out (before training nothing has been reached). A network whose
// accuracy is NaN (diverged) reaches nothing; a reference with no finite last value gives no target.
//
// A reference that never beat chance gives no target either: "reaching" the accuracy of a network
// that learned nothing measures no speed (lesson 13's ten sigmoid layers without BN answer one
// class for every digit — the 1s, 11.35%, or another, 9.8–10.3%; any network that learns
// anything gets there at its first evaluation).
// Chance is the most a network that ignores its input can expect on the test set: answering its
// most frequent class every time (the share p of that class). Such a guesser's hits over n test
// examples have a variance of at most its mean, ≤ p·n, so it scores above
//   p + kChanceMargin·√(p / n)
// with a probability of about 0.1% (3 standard errors): 0.1135 + 0.0101 on MNIST's 10,000 test
// digits. The reference has learned when its final smoothed accuracy exceeds that threshold.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "core/stats.h"

namespace bnlab {

class RunHistory;

constexpr int kSpeedupWindow = 5;
constexpr double kChanceMargin = 3;  // standard errors above chance (see above)

struct Chance {
  double accuracy = 0;   // the share of the test set's most frequent class
  int64_t examples = 0;  // (test examples)
  // The accuracy a reference must exceed to count as having learned; 0 for no test set.
  double threshold() const;
};
Chance chance_of(const std::vector<int32_t>& test_labels);

struct AccuracyCurve {
  std::vector<int64_t> steps;  // (evaluations) increasing
  std::vector<double> acc;     // (evaluations) test accuracy at each
};

struct Speedup {
  double target = std::numeric_limits<double>::quiet_NaN();  // the reference's final smoothed accuracy
  // The target is not above Chance::threshold: the reference never learned, and there is nothing
  // to reach (reference_step, step and factor stay unset).
  bool at_chance = false;
  int64_t reference_step = -1;  // −1: no target
  int64_t step = -1;            // −1: the other network has not reached the target
  double factor = std::numeric_limits<double>::quiet_NaN();
  bool reached() const { return step > 0; }
};

// The running mean over the last kSpeedupWindow values (NaN when any of them is NaN).
std::vector<double> smoothed_accuracy(const std::vector<double>& acc);

// How much sooner `other` reached `reference`'s final smoothed accuracy (definitions above).
Speedup speedup(const AccuracyCurve& reference, const AccuracyCurve& other, const Chance& chance);

// Network `net`'s test accuracy at every snapshot with an evaluation.
AccuracyCurve test_accuracy_curve(const std::vector<StepStats>& snapshots, int net);

// Every ordered pair of a run's networks (reference ≠ other), reference by reference.
struct PairSpeedup {
  int reference = 0, other = 0;
  Speedup s;
};
std::vector<PairSpeedup> all_speedups(const std::vector<StepStats>& snapshots, int networks, const Chance& chance);
// The same from the lab's history (its test-accuracy series; while training, "final" is the
// latest evaluation, so the answer updates live).
std::vector<PairSpeedup> all_speedups(const RunHistory& history, const Chance& chance);

}  // namespace bnlab
