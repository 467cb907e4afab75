// run_history.h — everything the lab shows over time, bounded in memory however long a run is.
//
// [SECTION] Series: one value over time, decimated with min/max kept
// [SECTION] HistogramTrack: a histogram over time (heatmap columns)
// [SECTION] RunHistory: per network, per layer
//
// The trainer streams losses every step and a StepStats snapshot every log step; RunHistory keeps
// them as fixed-capacity buffers. When a buffer is full, neighbouring buckets are merged in pairs
// and each bucket from then on covers twice as many samples, so a run of 1,000,000 steps uses the
// same memory as one of 10,000 — and a spike survives decimation because every bucket keeps the
// minimum and maximum of what it covers, not only the mean. This is the data model of the lab; it
// knows nothing of ImGui (Tracy's "server" split).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/landscape.h"
#include "core/stats.h"

namespace bnlab {

// [SECTION] Series: one value over time, decimated with min/max kept

class Series {
 public:
  // `capacity` buckets (even, ≥ 4). Each bucket starts as one sample and widens by doubling.
  explicit Series(int capacity = 1024);

  // Appends a sample at step x (x increasing). NaN/Inf samples are counted nowhere: a bucket of
  // only non-finite samples reads NaN, which the plots draw as a gap (a diverged network).
  void add(double x, float y);
  void clear();

  int size() const { return static_cast<int>(x_.size()); }
  bool empty() const { return x_.empty(); }
  // Samples per full bucket: 1 until the first merge, then 2, 4, ...
  int64_t stride() const { return stride_; }
  // Per bucket: mean step, and the mean/min/max of its finite samples. (size) each.
  const double* x() const { return x_.data(); }
  const float* mean() const { return mean_.data(); }
  const float* lo() const { return lo_.data(); }
  const float* hi() const { return hi_.data(); }
  float last() const { return mean_.empty() ? kNaN : mean_.back(); }
  size_t bytes() const;
  // Samples behind bucket i: the stride, or fewer in the last (open) bucket.
  int64_t samples(int i) const { return i + 1 == size() ? open_count_ : stride_; }

  // Everything a series holds, for session files (core/session_file.h): restore(state()) gives a
  // series that goes on exactly as this one would.
  struct State {
    int64_t stride = 1, open_count = 0;
    std::vector<double> x;             // (buckets)
    std::vector<float> mean, lo, hi;   // (buckets)
    std::vector<int32_t> finite;       // (buckets)
  };
  State state() const { return {stride_, open_count_, x_, mean_, lo_, hi_, finite_}; }
  // Throws std::runtime_error saying what does not fit (sizes, capacity, stride, counts).
  void restore(State s);

 private:
  void compact();  // merges bucket pairs; stride doubles

  int capacity_;
  int64_t stride_ = 1;
  int64_t open_count_ = 0;        // samples in the last (open) bucket
  std::vector<double> x_;         // (buckets) mean step
  std::vector<float> mean_, lo_, hi_;  // (buckets) over finite samples; NaN when none
  std::vector<int32_t> finite_;   // (buckets) number of finite samples behind mean_
};

// [SECTION] HistogramTrack: a histogram over time (heatmap columns)

class HistogramTrack {
 public:
  explicit HistogramTrack(int capacity = 256);

  // Adds one column at step x: the histogram's counts as fractions of all values it saw
  // (under/overflow included in the total, so a column that sums below 1 says some values fell
  // outside [lo, hi)). Columns merge in pairs (averaged) when the track is full.
  void add(double x, const Histogram& h);
  void clear();

  int columns() const { return static_cast<int>(x_.size()); }
  int bins() const { return bins_; }
  float lo() const { return lo_; }
  float hi() const { return hi_; }
  const double* x() const { return x_.data(); }            // (columns) mean step of each column
  const float* values() const { return values_.data(); }   // (columns, bins) row-major fractions
  size_t bytes() const;
  // Samples behind column c: the stride, or fewer in the last (open) column.
  int64_t samples(int c) const { return c + 1 == columns() ? open_count_ : stride_; }

  // Everything a track holds, for session files; as Series::State.
  struct State {
    int64_t stride = 1, open_count = 0;
    int bins = 0;
    float lo = 0, hi = 0;
    std::vector<double> x;       // (columns)
    std::vector<float> values;   // (columns, bins)
  };
  State state() const { return {stride_, open_count_, bins_, lo_, hi_, x_, values_}; }
  void restore(State s);  // throws std::runtime_error as Series::restore

 private:
  int capacity_;
  int bins_ = 0;
  float lo_ = 0, hi_ = 0;
  int64_t stride_ = 1, open_count_ = 0;
  std::vector<double> x_;       // (columns)
  std::vector<float> values_;   // (columns, bins)
};

// [SECTION] RunHistory: per network, per layer

struct LayerHistory {
  std::array<Series, 5> pct;       // kPercentiles of the nonlinearity input, all units
  std::array<Series, 5> unit_pct;  // kPercentiles of the typical unit
  Series mean, std, saturation, grad_norm, weight_norm, update_ratio;
  Series gamma_mean, gamma_std, beta_mean, beta_std;
  std::array<HistogramTrack, kTapCount> hist;  // per tap, over time
};

// The per-layer scalar statistics besides the percentiles, in the order every file lists them:
// the name files give each, the snapshot's field, and the series of it over training.
struct LayerScalar {
  const char* name;
  float LayerStats::*stat;
  Series LayerHistory::*series;
};
extern const std::array<LayerScalar, 10> kLayerScalars;

// The "why BN works" meters (core/landscape.h) over training: ICS of one layer (Santurkar et al.'s
// Definition 2.1), and the network-wide landscape quantities, each with the name files give it.
struct IcsHistory {
  Series l2{512}, cos{512}, rel{512};
};
struct IcsScalar {
  const char* name;  // "ics_l2"
  float LayerIcs::*stat;
  Series IcsHistory::*series;
};
extern const std::array<IcsScalar, 3> kIcsScalars;

struct NetworkHistory;
struct MeterScalar {
  const char* name;  // "loss_min"
  float (*of)(const NetworkLandscape&);
  Series NetworkHistory::*series;
};
extern const std::array<MeterScalar, 5> kMeterScalars;

// Per-unit parameters of one hidden layer, as last read from the trainer (latest only).
struct UnitParams {
  std::vector<float> gamma, beta;                 // (width); empty without normalization
  std::vector<float> running_mean, running_var;   // (width); BatchNorm only
};

struct NetworkHistory {
  Series train_loss{4096};      // every step
  Series test_loss{512}, test_acc{512};  // every evaluation
  Series train_acc{512};                 // every evaluation, on the fixed training subset
  std::vector<LayerHistory> layers;      // hidden layers
  // The meters, every measurement (kMeterScalars), and ICS per layer: (hidden layers + 1), layer
  // i at [i − 1], the output layer last.
  Series loss_min{512}, loss_max{512}, gradpred_min{512}, gradpred_max{512}, beta_smooth{512};
  std::vector<IcsHistory> ics;
  NetworkStats latest;          // the most recent healthy snapshot (current histograms)
  int64_t latest_step = -1;     // its step; −1 before the first
  int64_t diverged_at = -1;     // first step with a NaN/Inf loss; −1 while healthy
  std::vector<UnitParams> units;  // (hidden layers)
  // The network's colour (an index into the UI's palette), fixed for its life: removing another
  // network, which shifts the indices, recolours nothing.
  int color = 0;
  // The step since which its hidden layers have had their current normalization: 0 when they
  // have had it for the whole run, so a title can say "BN from step 4,000" rather than claim it.
  int64_t norm_since = 0;
};

// Something the user changed while the run trained, at the step it took effect: the lab draws a
// thin labelled line on every time plot, so a curve's bend can be told from the hand that caused it.
struct RunEvent {
  int64_t step = 0;
  int net = -1;       // the network it concerns; −1: the whole run (batch size, a network removed)
  std::string text;   // a short label: "L1 BN", "lr 0.003", "batch 30", "+ copy", "Undo BN"
  bool operator==(const RunEvent& o) const { return step == o.step && net == o.net && text == o.text; }
};

class RunHistory {
 public:
  RunHistory() = default;
  // A history put back together from a saved session (core/session_file.h); networks with
  // color −1 get free colours.
  RunHistory(std::vector<NetworkHistory> nets, int64_t last_step, std::vector<RunEvent> events = {})
      : nets_(std::move(nets)), events_(std::move(events)), last_step_(last_step) {
    assign_free_colors();
    if (events_.size() > kMaxEvents) events_.erase(events_.begin(), events_.end() - kMaxEvents);
  }

  // One NetworkHistory per network, `hidden` layers each, all empty. Networks that were here
  // already keep their colours (a reset restarts the same networks).
  void reset(int networks, int hidden);
  // The run's network list changed while training (networks added, removed or duplicated):
  // network k of the new list continues old network from[k]'s history and colour. A network with
  // from[k] = −1, or naming an old network an earlier k already continues (a duplicate), starts
  // empty — its series begin at the step it joins — with `hidden` layers and the lowest colour no
  // other network has. Old networks that no k names are dropped.
  void rearrange(const std::vector<int>& from, int hidden);

  // Losses of consecutive steps first_step, first_step+1, ...: (steps, networks) row-major, as
  // Trainer::take_losses returns them.
  void add_losses(int64_t first_step, const std::vector<float>& losses);
  // A snapshot at a step a network already has (a repeat, e.g. to measure a network that has
  // just joined) adds nothing to that network.
  void add_snapshot(const StepStats& s);
  // One measurement of the meters; networks that were not measured (diverged) add nothing.
  void add_landscape(const LandscapeStats& s);
  void set_units(int net, std::vector<UnitParams> units);
  // Clears a network's divergence mark: it was given new settings and trains again.
  void revive(int net) { nets_.at(net).diverged_at = -1; }
  void set_norm_since(int net, int64_t step) { nets_.at(net).norm_since = step; }
  // Records an event (at a step no earlier than the last's); the oldest go beyond kMaxEvents.
  void add_event(RunEvent e);
  // A slider still being dragged: one line at the step the drag began, labelled with the value it
  // has reached.
  void relabel_event(size_t i, std::string text) { events_.at(i).text = std::move(text); }
  static constexpr size_t kMaxEvents = 256;

  const std::vector<NetworkHistory>& networks() const { return nets_; }
  const std::vector<RunEvent>& events() const { return events_; }  // in step order
  int64_t last_step() const { return last_step_; }
  // The memory the buffers hold when full (their fixed capacity): the bound, whatever the run's
  // length. (A copy, such as a published LabState, holds only what is filled so far.)
  size_t bytes() const;

 private:
  void assign_free_colors();  // networks with color −1 get the lowest colours not in use

  std::vector<NetworkHistory> nets_;
  std::vector<RunEvent> events_;
  int64_t last_step_ = 0;
};

}  // namespace bnlab
