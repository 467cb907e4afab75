// stats.cpp — histograms, percentiles and saturation of one layer's taps on the probe set.

#include "core/stats.h"

#include <algorithm>
#include <cmath>

namespace bnlab {

std::vector<float> histogram_shares(const Histogram& h) {
  double total = static_cast<double>(h.underflow) + h.overflow;
  for (uint32_t c : h.counts) total += c;
  std::vector<float> s(h.counts.size(), 0.f);  // (bins)
  if (total > 0)
    for (size_t k = 0; k < s.size(); ++k) s[k] = static_cast<float>(h.counts[k] / total);
  return s;
}

const char* tap_name(int tap) {
  switch (tap) {
    case kTapPreNorm: return "pre_norm";
    case kTapNonlinIn: return "nonlin_in";
    case kTapOutput: return "output";
  }
  return "?";
}

void tap_range(int tap, Activation act, float* lo, float* hi) {
  *lo = -10.f;
  *hi = 10.f;
  if (tap != kTapOutput) return;
  switch (act) {
    case Activation::Sigmoid: *lo = 0.f, *hi = 1.f; break;
    case Activation::Tanh: *lo = -1.f, *hi = 1.f; break;
    case Activation::Relu: *lo = 0.f; break;
    case Activation::Linear: break;
  }
}

const char* saturation_definition(Activation act) {
  switch (act) {
    case Activation::Sigmoid: return "share of outputs within 0.02 of 0 or 1";
    case Activation::Tanh: return "share of outputs with |tanh| > 0.97";
    case Activation::Relu: return "share of units that output 0 on every probe example";
    case Activation::Linear: return "always 0 (a linear unit never saturates)";
  }
  return "?";
}

std::array<float, 5> percentiles(std::vector<float>& v) {
  std::array<float, 5> out;
  out.fill(kNaN);
  const size_t n = v.size();
  if (n == 0) return out;

  // numpy's "linear" method: position p/100·(n−1), interpolated between the order statistics of
  // ranks ⌊pos⌋ and ⌊pos⌋+1.
  size_t rank[5];
  double frac[5];
  for (size_t k = 0; k < 5; ++k) {
    const double pos = kPercentiles[k] / 100.0 * static_cast<double>(n - 1);
    rank[k] = static_cast<size_t>(pos);
    frac[k] = pos - static_cast<double>(rank[k]);
  }

  // Exact selection in three passes instead of a sort (snapshots run this on every layer):
  // range, a fine histogram, then only the values in the bins that hold the wanted ranks.
  float lo = v[0], hi = v[0];
  for (float x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  for (float x : v)
    if (!std::isfinite(x)) return out;  // a diverged layer has no meaningful percentiles
  constexpr int kBins = 4096;
  // In double: a float spread can be too small (scale overflows) or too large (hi − lo overflows).
  const double scale = hi > lo ? (kBins - 1) / (static_cast<double>(hi) - lo) : 0.0;
  auto bin_of = [&](float x) {  // 0 … kBins−1
    return std::min(kBins - 1, static_cast<int>((static_cast<double>(x) - lo) * scale));
  };
  std::vector<uint32_t> count(kBins, 0);
  for (float x : v) count[bin_of(x)]++;

  // For each wanted rank: its bin and its rank inside that bin.
  struct Want {
    size_t rank;
    int bin = 0;
    size_t below = 0;  // values in lower bins
  };
  std::vector<Want> want;
  for (size_t k = 0; k < 5; ++k) {
    want.push_back({rank[k]});
    want.push_back({std::min(rank[k] + 1, n - 1)});
  }
  for (Want& w : want) {
    size_t seen = 0;
    int b = 0;
    while (seen + count[b] <= w.rank) seen += count[b++];
    w.bin = b;
    w.below = seen;
  }
  std::vector<std::vector<float>> members(want.size());  // values of each wanted bin
  std::vector<int> slot(kBins, -1);  // bin → index into members
  for (size_t i = 0; i < want.size(); ++i)
    if (slot[want[i].bin] < 0) slot[want[i].bin] = static_cast<int>(i);
  for (float x : v) {
    const int sidx = slot[bin_of(x)];
    if (sidx >= 0) members[sidx].push_back(x);
  }
  for (auto& m : members) std::sort(m.begin(), m.end());
  auto value_at = [&](const Want& w) { return static_cast<double>(members[slot[w.bin]][w.rank - w.below]); };
  for (size_t k = 0; k < 5; ++k) {
    const double a = value_at(want[2 * k]), b = value_at(want[2 * k + 1]);
    out[k] = static_cast<float>(a + frac[k] * (b - a));
  }
  return out;
}

namespace {

void fill_histogram(const float* v, size_t count, float lo, float hi, int bins, Histogram* h) {
  h->lo = lo;
  h->hi = hi;
  h->counts.assign(bins, 0);
  h->underflow = h->overflow = 0;
  const float scale = static_cast<float>(bins) / (hi - lo);
  for (size_t i = 0; i < count; ++i) {
    const float x = v[i];
    if (x < lo) {
      ++h->underflow;
    } else if (!(x < hi)) {  // also NaN
      ++h->overflow;
    } else {
      // Rounding can put a value just below hi into bin `bins`; keep it in the last bin.
      h->counts[std::min(static_cast<int>((x - lo) * scale), bins - 1)]++;
    }
  }
}

}  // namespace

void measure_layer(const float* pre, const float* nonlin_in, const float* out, int n, int width,
                   Activation act, int bins, int typical_unit, LayerStats* s) {
  const size_t count = static_cast<size_t>(n) * width;
  const float* taps[kTapCount] = {pre, nonlin_in, out};
  for (int t = 0; t < kTapCount; ++t) {
    float lo, hi;
    tap_range(t, act, &lo, &hi);
    fill_histogram(taps[t], count, lo, hi, bins, &s->hist[t]);
  }

  double sum = 0, sum_sq = 0;
  for (size_t i = 0; i < count; ++i) sum += nonlin_in[i];
  const double mean = sum / static_cast<double>(count);
  for (size_t i = 0; i < count; ++i) sum_sq += (nonlin_in[i] - mean) * (nonlin_in[i] - mean);
  s->mean = static_cast<float>(mean);
  s->std = static_cast<float>(std::sqrt(sum_sq / static_cast<double>(count)));

  // Per unit over the rows, in double and in two passes as above; unbiased like running_var.
  s->unit_mean.assign(width, kNaN);
  s->unit_var.assign(width, kNaN);
  for (int u = 0; u < width; ++u) {
    auto x = [&](int i) { return static_cast<double>(pre[static_cast<size_t>(i) * width + u]); };
    double su = 0, sq = 0;
    for (int i = 0; i < n; ++i) su += x(i);
    const double m = su / n;
    for (int i = 0; i < n; ++i) sq += (x(i) - m) * (x(i) - m);
    s->unit_mean[u] = static_cast<float>(m);
    if (n > 1) s->unit_var[u] = static_cast<float>(sq / (n - 1));
  }

  std::vector<float> values(nonlin_in, nonlin_in + count);
  s->pct = percentiles(values);
  values.resize(n);
  for (int i = 0; i < n; ++i) values[i] = nonlin_in[static_cast<size_t>(i) * width + typical_unit];
  s->unit_pct = percentiles(values);

  size_t saturated = 0;
  switch (act) {
    case Activation::Sigmoid:
      for (size_t i = 0; i < count; ++i) saturated += out[i] < 0.02f || out[i] > 0.98f;
      s->saturation = static_cast<float>(saturated) / static_cast<float>(count);
      break;
    case Activation::Tanh:
      for (size_t i = 0; i < count; ++i) saturated += std::abs(out[i]) > 0.97f;
      s->saturation = static_cast<float>(saturated) / static_cast<float>(count);
      break;
    case Activation::Relu:
      for (int u = 0; u < width; ++u) {
        bool dead = true;
        for (int i = 0; i < n && dead; ++i) dead = out[static_cast<size_t>(i) * width + u] <= 0.f;
        saturated += dead;
      }
      s->saturation = static_cast<float>(saturated) / static_cast<float>(width);
      break;
    case Activation::Linear: s->saturation = 0; break;
  }
}

void strip_reference(const std::vector<float>& x, float* mean, float* std) {
  *mean = *std = kNaN;
  if (x.empty()) return;
  double sum = 0, sq = 0;  // double: the same result whichever backend measured x
  for (float v : x) sum += v;
  const double mu = sum / static_cast<double>(x.size());
  for (float v : x) sq += (v - mu) * (v - mu);
  *mean = static_cast<float>(mu);
  *std = static_cast<float>(std::sqrt(sq / static_cast<double>(x.size())));
}

}  // namespace bnlab
