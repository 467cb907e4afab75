// run_history.cpp — bounded series and histogram tracks.
//
// [SECTION] Series
// [SECTION] HistogramTrack
// [SECTION] RunHistory
//
// The worker's buffers reserve their full capacity up front, so the memory a history holds is
// fixed from the first step; decimation only changes how many samples a bucket stands for.

#include "core/run_history.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace bnlab {

const std::array<LayerScalar, 10> kLayerScalars = {{
    {"mean", &LayerStats::mean, &LayerHistory::mean},
    {"std", &LayerStats::std, &LayerHistory::std},
    {"saturation", &LayerStats::saturation, &LayerHistory::saturation},
    {"grad_norm", &LayerStats::grad_norm, &LayerHistory::grad_norm},
    {"weight_norm", &LayerStats::weight_norm, &LayerHistory::weight_norm},
    {"update_ratio", &LayerStats::update_ratio, &LayerHistory::update_ratio},
    {"gamma_mean", &LayerStats::gamma_mean, &LayerHistory::gamma_mean},
    {"gamma_std", &LayerStats::gamma_std, &LayerHistory::gamma_std},
    {"beta_mean", &LayerStats::beta_mean, &LayerHistory::beta_mean},
    {"beta_std", &LayerStats::beta_std, &LayerHistory::beta_std}}};

const std::array<IcsScalar, 3> kIcsScalars = {{
    {"ics_l2", &LayerIcs::l2, &IcsHistory::l2},
    {"ics_cos", &LayerIcs::cos, &IcsHistory::cos},
    {"ics_rel", &LayerIcs::rel, &IcsHistory::rel}}};

const std::array<MeterScalar, 5> kMeterScalars = {{
    {"loss_min", [](const NetworkLandscape& n) { return n.loss_min(); }, &NetworkHistory::loss_min},
    {"loss_max", [](const NetworkLandscape& n) { return n.loss_max(); }, &NetworkHistory::loss_max},
    {"gradpred_min", [](const NetworkLandscape& n) { return n.gradpred_min(); }, &NetworkHistory::gradpred_min},
    {"gradpred_max", [](const NetworkLandscape& n) { return n.gradpred_max(); }, &NetworkHistory::gradpred_max},
    {"beta_smooth", [](const NetworkLandscape& n) { return n.beta_smooth; }, &NetworkHistory::beta_smooth}}};

// [SECTION] Series

Series::Series(int capacity) : capacity_(std::max(4, capacity & ~1)) {
  x_.reserve(capacity_);
  mean_.reserve(capacity_);
  lo_.reserve(capacity_);
  hi_.reserve(capacity_);
  finite_.reserve(capacity_);
}

void Series::clear() {
  stride_ = 1;
  open_count_ = 0;
  x_.clear();
  mean_.clear();
  lo_.clear();
  hi_.clear();
  finite_.clear();
}

void Series::add(double x, float y) {
  if (x_.empty() || open_count_ == stride_) {
    if (size() == capacity_) compact();
    x_.push_back(0);
    mean_.push_back(kNaN);
    lo_.push_back(kNaN);
    hi_.push_back(kNaN);
    finite_.push_back(0);
    open_count_ = 0;
  }
  const size_t b = x_.size() - 1;
  x_[b] += (x - x_[b]) / static_cast<double>(++open_count_);
  if (!std::isfinite(y)) return;
  const int32_t n = ++finite_[b];
  if (n == 1) {
    mean_[b] = lo_[b] = hi_[b] = y;
  } else {
    mean_[b] += (y - mean_[b]) / static_cast<float>(n);
    lo_[b] = std::min(lo_[b], y);
    hi_[b] = std::max(hi_[b], y);
  }
}

void Series::compact() {
  // Called only when every bucket is full (the open one closed at exactly `stride_` samples), so
  // each merged bucket covers 2·stride samples and x is the plain average of the pair.
  const int half = size() / 2;
  for (int i = 0; i < half; ++i) {
    const int a = 2 * i, b = 2 * i + 1;
    const int32_t na = finite_[a], nb = finite_[b];
    x_[i] = 0.5 * (x_[a] + x_[b]);
    if (na + nb == 0) {
      mean_[i] = lo_[i] = hi_[i] = kNaN;
    } else if (na == 0 || nb == 0) {
      const int k = na ? a : b;
      mean_[i] = mean_[k];
      lo_[i] = lo_[k];
      hi_[i] = hi_[k];
    } else {
      mean_[i] = static_cast<float>((static_cast<double>(mean_[a]) * na + static_cast<double>(mean_[b]) * nb) / (na + nb));
      lo_[i] = std::min(lo_[a], lo_[b]);
      hi_[i] = std::max(hi_[a], hi_[b]);
    }
    finite_[i] = na + nb;
  }
  x_.resize(half);
  mean_.resize(half);
  lo_.resize(half);
  hi_.resize(half);
  finite_.resize(half);
  stride_ *= 2;
  open_count_ = stride_;  // the last merged bucket is full; the next sample opens a new one
}

namespace {

// The bucket bookkeeping both buffers share: a power-of-two stride, and a last bucket holding
// 1..stride samples (none when there are no buckets). "" when it holds, else what is wrong.
std::string check_buckets(size_t buckets, int capacity, int64_t stride, int64_t open_count) {
  if (buckets > static_cast<size_t>(capacity))
    return std::to_string(buckets) + " buckets, more than the capacity " + std::to_string(capacity);
  if (stride < 1 || (stride & (stride - 1)) != 0) return "stride " + std::to_string(stride) + " is not a power of two";
  if (buckets == 0 ? open_count != 0 : open_count < 1 || open_count > stride)
    return "open_count " + std::to_string(open_count) + " does not fit stride " + std::to_string(stride);
  return "";
}

}  // namespace

void Series::restore(State s) {
  const size_t n = s.x.size();
  std::string why = check_buckets(n, capacity_, s.stride, s.open_count);
  if (why.empty() && (s.mean.size() != n || s.lo.size() != n || s.hi.size() != n || s.finite.size() != n))
    why = "x, mean, lo, hi and finite differ in length";
  for (size_t i = 0; why.empty() && i < n; ++i)
    if (s.finite[i] < 0 || s.finite[i] > (i + 1 == n ? s.open_count : s.stride))
      why = "bucket " + std::to_string(i) + " counts " + std::to_string(s.finite[i]) + " finite samples of at most " +
            std::to_string(i + 1 == n ? s.open_count : s.stride);
  if (!why.empty()) throw std::runtime_error(why);
  stride_ = s.stride;
  open_count_ = s.open_count;
  x_ = std::move(s.x);
  mean_ = std::move(s.mean);
  lo_ = std::move(s.lo);
  hi_ = std::move(s.hi);
  finite_ = std::move(s.finite);
  for (auto* v : {&mean_, &lo_, &hi_}) v->reserve(capacity_);  // as the constructor: memory fixed from now on
  x_.reserve(capacity_);
  finite_.reserve(capacity_);
}

size_t Series::bytes() const {
  return static_cast<size_t>(capacity_) * (sizeof(double) + 3 * sizeof(float) + sizeof(int32_t));
}

// [SECTION] HistogramTrack

HistogramTrack::HistogramTrack(int capacity) : capacity_(std::max(4, capacity & ~1)) { x_.reserve(capacity_); }

void HistogramTrack::clear() {
  stride_ = 1;
  open_count_ = 0;
  x_.clear();
  values_.clear();
}

void HistogramTrack::add(double x, const Histogram& h) {
  if (h.counts.empty()) return;
  if (bins_ != static_cast<int>(h.counts.size()) || lo_ != h.lo || hi_ != h.hi) {
    // A new range or bin count (the activation changed): earlier columns no longer line up.
    clear();
    bins_ = static_cast<int>(h.counts.size());
    lo_ = h.lo;
    hi_ = h.hi;
    values_.reserve(static_cast<size_t>(capacity_) * bins_);
  }
  if (x_.empty() || open_count_ == stride_) {
    if (columns() == capacity_) {
      // Merge column pairs (average), as Series::compact does for values.
      const int half = columns() / 2;
      for (int i = 0; i < half; ++i) {
        x_[i] = 0.5 * (x_[2 * i] + x_[2 * i + 1]);
        for (int k = 0; k < bins_; ++k)
          values_[static_cast<size_t>(i) * bins_ + k] =
              0.5f * (values_[static_cast<size_t>(2 * i) * bins_ + k] + values_[static_cast<size_t>(2 * i + 1) * bins_ + k]);
      }
      x_.resize(half);
      values_.resize(static_cast<size_t>(half) * bins_);
      stride_ *= 2;
    }
    x_.push_back(0);
    values_.resize(values_.size() + bins_, 0.f);
    open_count_ = 0;
  }
  uint64_t total = static_cast<uint64_t>(h.underflow) + h.overflow;
  for (uint32_t c : h.counts) total += c;
  const float inv = total ? 1.f / static_cast<float>(total) : 0.f;
  const float w = 1.f / static_cast<float>(++open_count_);
  x_.back() += (x - x_.back()) * w;
  float* col = values_.data() + values_.size() - bins_;
  for (int k = 0; k < bins_; ++k) col[k] += (static_cast<float>(h.counts[k]) * inv - col[k]) * w;
}

void HistogramTrack::restore(State s) {
  std::string why = check_buckets(s.x.size(), capacity_, s.stride, s.open_count);
  if (why.empty() && (s.bins < 0 || (s.bins == 0 && !s.x.empty()) || (s.bins > 0 && !(s.lo < s.hi))))
    why = std::to_string(s.bins) + " bins over [" + std::to_string(s.lo) + ", " + std::to_string(s.hi) + ")";
  if (why.empty() && s.values.size() != s.x.size() * static_cast<size_t>(s.bins))
    why = std::to_string(s.values.size()) + " values for " + std::to_string(s.x.size()) + " columns of " +
          std::to_string(s.bins) + " bins";
  if (!why.empty()) throw std::runtime_error(why);
  stride_ = s.stride;
  open_count_ = s.open_count;
  bins_ = s.bins;
  lo_ = s.lo;
  hi_ = s.hi;
  x_ = std::move(s.x);
  values_ = std::move(s.values);
  x_.reserve(capacity_);
  values_.reserve(static_cast<size_t>(capacity_) * bins_);
}

size_t HistogramTrack::bytes() const {
  return static_cast<size_t>(capacity_) * (sizeof(double) + static_cast<size_t>(bins_) * sizeof(float));
}

// [SECTION] RunHistory

void RunHistory::reset(int networks, int hidden) {
  std::vector<int> colors;
  for (const auto& n : nets_) colors.push_back(n.color);
  nets_.clear();
  nets_.resize(networks);
  for (auto& n : nets_) {
    n.layers.resize(hidden);
    n.ics.resize(hidden + 1);
  }
  for (size_t i = 0; i < nets_.size(); ++i) nets_[i].color = i < colors.size() ? colors[i] : -1;
  assign_free_colors();
  events_.clear();
  last_step_ = 0;
}

void RunHistory::rearrange(const std::vector<int>& from, int hidden) {
  std::vector<NetworkHistory> next(from.size());
  std::vector<bool> taken(nets_.size(), false);
  for (size_t k = 0; k < from.size(); ++k) {
    const int f = from[k];
    if (f >= 0 && f < static_cast<int>(nets_.size()) && !taken[f]) {
      next[k] = std::move(nets_[f]);
      taken[f] = true;
    } else {
      next[k].layers.resize(hidden);
      next[k].ics.resize(hidden + 1);
      next[k].color = -1;
    }
  }
  nets_ = std::move(next);
  assign_free_colors();
  // Events follow their network to its new index; a dropped network's go with it.
  std::vector<RunEvent> kept;
  for (RunEvent& e : events_) {
    if (e.net >= 0) {
      const auto k = std::find(from.begin(), from.end(), e.net);
      if (k == from.end()) continue;
      e.net = static_cast<int>(k - from.begin());
    }
    kept.push_back(std::move(e));
  }
  events_ = std::move(kept);
}

void RunHistory::add_event(RunEvent e) {
  if (events_.size() == kMaxEvents) events_.erase(events_.begin());
  events_.push_back(std::move(e));
}

void RunHistory::assign_free_colors() {
  for (auto& n : nets_) {
    if (n.color >= 0) continue;
    int c = 0;
    while (std::any_of(nets_.begin(), nets_.end(), [&](const NetworkHistory& o) { return o.color == c; })) ++c;
    n.color = c;
  }
}

void RunHistory::add_losses(int64_t first_step, const std::vector<float>& losses) {
  const size_t nets = nets_.size();
  if (nets == 0) return;
  const size_t steps = losses.size() / nets;
  for (size_t k = 0; k < steps; ++k) {
    const int64_t step = first_step + static_cast<int64_t>(k);
    for (size_t n = 0; n < nets; ++n) {
      const float loss = losses[k * nets + n];
      NetworkHistory& h = nets_[n];
      if (!std::isfinite(loss) && h.diverged_at < 0) h.diverged_at = step;
      if (h.diverged_at < 0 || step < h.diverged_at) h.train_loss.add(static_cast<double>(step), loss);
    }
  }
  if (steps) last_step_ = std::max(last_step_, first_step + static_cast<int64_t>(steps) - 1);
}

void RunHistory::add_snapshot(const StepStats& s) {
  const double x = static_cast<double>(s.step);
  for (size_t n = 0; n < nets_.size() && n < s.networks.size(); ++n) {
    const NetworkStats& ns = s.networks[n];
    NetworkHistory& h = nets_[n];
    if (ns.diverged_at >= 0 && (h.diverged_at < 0 || ns.diverged_at < h.diverged_at)) h.diverged_at = ns.diverged_at;
    // After divergence every statistic is NaN or meaningless: the curves stop where it happened
    // and `latest` stays the last healthy snapshot.
    if (h.diverged_at >= 0 && s.step >= h.diverged_at) continue;
    if (s.step <= h.latest_step) continue;
    h.latest = ns;
    h.latest_step = s.step;
    if (ns.has_eval) {
      h.test_loss.add(x, ns.test_loss);
      h.test_acc.add(x, ns.test_acc);
      h.train_acc.add(x, ns.train_acc);
    }
    for (size_t l = 0; l < h.layers.size() && l < ns.layers.size(); ++l) {
      const LayerStats& ls = ns.layers[l];
      LayerHistory& lh = h.layers[l];
      for (size_t p = 0; p < kPercentiles.size(); ++p) {
        lh.pct[p].add(x, ls.pct[p]);
        lh.unit_pct[p].add(x, ls.unit_pct[p]);
      }
      for (const LayerScalar& f : kLayerScalars) (lh.*f.series).add(x, ls.*f.stat);
      for (int t = 0; t < kTapCount; ++t) lh.hist[t].add(x, ls.hist[t]);
    }
  }
  last_step_ = std::max(last_step_, s.step);
}

void RunHistory::add_landscape(const LandscapeStats& s) {
  const double x = static_cast<double>(s.step);
  for (size_t n = 0; n < nets_.size() && n < s.networks.size(); ++n) {
    const NetworkLandscape& nl = s.networks[n];
    NetworkHistory& h = nets_[n];
    if (!nl.measured || (h.diverged_at >= 0 && s.step >= h.diverged_at)) continue;
    for (const MeterScalar& m : kMeterScalars) (h.*m.series).add(x, m.of(nl));
    if (h.ics.size() < nl.ics.size()) h.ics.resize(nl.ics.size());
    for (size_t l = 0; l < nl.ics.size(); ++l)
      for (const IcsScalar& f : kIcsScalars) (h.ics[l].*f.series).add(x, nl.ics[l].*f.stat);
  }
  last_step_ = std::max(last_step_, s.step);
}

void RunHistory::set_units(int net, std::vector<UnitParams> units) { nets_.at(net).units = std::move(units); }

size_t RunHistory::bytes() const {
  size_t b = 0;
  for (const auto& n : nets_) {
    b += n.train_loss.bytes() + n.test_loss.bytes() + n.test_acc.bytes() + n.train_acc.bytes();
    for (const MeterScalar& m : kMeterScalars) b += (n.*m.series).bytes();
    for (const auto& l : n.ics)
      for (const IcsScalar& f : kIcsScalars) b += (l.*f.series).bytes();
    for (const auto& l : n.layers) {
      for (const auto& s : l.pct) b += s.bytes();
      for (const auto& s : l.unit_pct) b += s.bytes();
      for (const LayerScalar& f : kLayerScalars) b += (l.*f.series).bytes();
      for (const auto& t : l.hist) b += t.bytes();
    }
  }
  return b;
}

}  // namespace bnlab
