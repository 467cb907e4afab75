// stats.cpp — histograms, percentiles and saturation of one layer's taps on the probe set.

#include "core/stats.h"

#include <algorithm>
#include <cmath>

namespace bnlab {

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
  std::array<float, 5> out{};
  if (v.empty()) {
    out.fill(kNaN);
    return out;
  }
  // numpy's "linear" method: position p/100·(n−1), interpolated between its two order statistics.
  // The percentiles ascend, so each selection only needs the part above the previous one.
  const double last = static_cast<double>(v.size() - 1);
  auto from = v.begin();
  for (size_t k = 0; k < kPercentiles.size(); ++k) {
    const double pos = kPercentiles[k] / 100.0 * last;
    const auto i = static_cast<size_t>(pos);
    auto nth = v.begin() + static_cast<std::ptrdiff_t>(i);
    std::nth_element(from, nth, v.end());
    double value = *nth;
    if (i + 1 < v.size() && pos > static_cast<double>(i)) {
      const float next = *std::min_element(nth + 1, v.end());
      value += (pos - static_cast<double>(i)) * (static_cast<double>(next) - value);
    }
    out[k] = static_cast<float>(value);
    from = nth;
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

}  // namespace bnlab
