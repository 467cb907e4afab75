// speedup.cpp — the speed-up comparison; the definitions are in speedup.h.
#include "core/speedup.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/run_history.h"

namespace bnlab {

double Chance::threshold() const {
  if (examples <= 0) return 0;
  return accuracy + kChanceMargin * std::sqrt(accuracy / static_cast<double>(examples));
}

Chance chance_of(const std::vector<int32_t>& test_labels) {
  Chance c;
  c.examples = static_cast<int64_t>(test_labels.size());
  if (test_labels.empty()) return c;
  std::map<int32_t, int64_t> count;
  for (int32_t y : test_labels) ++count[y];
  int64_t most = 0;
  for (const auto& [label, n] : count) most = std::max(most, n);
  c.accuracy = static_cast<double>(most) / static_cast<double>(c.examples);
  return c;
}

std::vector<double> smoothed_accuracy(const std::vector<double>& acc) {
  std::vector<double> out(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t first = i + 1 >= kSpeedupWindow ? i + 1 - kSpeedupWindow : 0;
    double sum = 0;
    for (size_t k = first; k <= i; ++k) sum += acc[k];
    out[i] = sum / static_cast<double>(i + 1 - first);  // NaN in, NaN out
  }
  return out;
}

namespace {

// The curve without its step-0 evaluation: before training nothing has been reached.
AccuracyCurve trained(const AccuracyCurve& c) {
  AccuracyCurve t;
  for (size_t i = 0; i < c.steps.size() && i < c.acc.size(); ++i)
    if (c.steps[i] > 0) {
      t.steps.push_back(c.steps[i]);
      t.acc.push_back(c.acc[i]);
    }
  return t;
}

int64_t first_reaching(const AccuracyCurve& c, double target) {
  const std::vector<double> s = smoothed_accuracy(c.acc);
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] >= target) return c.steps[i];  // NaN compares false: a diverged network reaches nothing
  return -1;
}

}  // namespace

Speedup speedup(const AccuracyCurve& reference, const AccuracyCurve& other, const Chance& chance) {
  Speedup r;
  const AccuracyCurve ref = trained(reference), oth = trained(other);
  if (ref.acc.empty()) return r;
  const double target = smoothed_accuracy(ref.acc).back();
  if (!std::isfinite(target)) return r;
  r.target = target;
  r.at_chance = !(target > chance.threshold());
  if (r.at_chance) return r;
  r.reference_step = first_reaching(ref, target);
  r.step = first_reaching(oth, target);
  if (r.reached()) r.factor = static_cast<double>(r.reference_step) / static_cast<double>(r.step);
  return r;
}

AccuracyCurve test_accuracy_curve(const std::vector<StepStats>& snapshots, int net) {
  AccuracyCurve c;
  for (const StepStats& s : snapshots) {
    if (net >= static_cast<int>(s.networks.size()) || !s.networks[net].has_eval) continue;
    c.steps.push_back(s.step);
    c.acc.push_back(s.networks[net].test_acc);
  }
  return c;
}

namespace {

std::vector<PairSpeedup> pairs_of(const std::vector<AccuracyCurve>& curves, const Chance& chance) {
  const int networks = static_cast<int>(curves.size());
  std::vector<PairSpeedup> out;
  for (int r = 0; r < networks; ++r)
    for (int o = 0; o < networks; ++o)
      if (o != r) out.push_back({r, o, speedup(curves[r], curves[o], chance)});
  return out;
}

}  // namespace

std::vector<PairSpeedup> all_speedups(const std::vector<StepStats>& snapshots, int networks, const Chance& chance) {
  std::vector<AccuracyCurve> curves;
  for (int n = 0; n < networks; ++n) curves.push_back(test_accuracy_curve(snapshots, n));
  return pairs_of(curves, chance);
}

std::vector<PairSpeedup> all_speedups(const RunHistory& history, const Chance& chance) {
  std::vector<AccuracyCurve> curves;
  for (const NetworkHistory& n : history.networks()) {
    const Series& s = n.test_acc;
    AccuracyCurve c;
    for (int i = 0; i < s.size(); ++i) {
      c.steps.push_back(static_cast<int64_t>(s.x()[i]));
      c.acc.push_back(s.mean()[i]);
    }
    curves.push_back(std::move(c));
  }
  return pairs_of(curves, chance);
}

}  // namespace bnlab
