// stats.h — what a snapshot measures, shared by every backend, panel, exporter and test.
//
// [SECTION] Snapshot types
// [SECTION] Definitions (ranges, saturation)
// [SECTION] Measuring one layer on the CPU
//
// Snapshots are measured on a fixed probe set (the first stats.probe_size test examples) so that
// they are comparable over time. The probe pass normalizes with the probe set's own batch
// statistics — what the layer does in training — and never touches BN's running statistics.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/config.h"

namespace bnlab {

// [SECTION] Snapshot types

// The three places a hidden layer is tapped.
enum Tap : int {
  kTapPreNorm = 0,  // x = W u (+ b), before normalization
  kTapNonlinIn = 1, // the nonlinearity's input: γ x̂ + β with normalization, else x
  kTapOutput = 2,   // the activation's output
  kTapCount = 3,
};
const char* tap_name(int tap);

constexpr std::array<double, 5> kPercentiles = {2, 15, 50, 85, 98};

struct Histogram {
  float lo = 0, hi = 0;          // bin i covers [lo + i·w, lo + (i+1)·w), w = (hi − lo)/bins
  std::vector<uint32_t> counts;  // (bins)
  uint32_t underflow = 0;        // values < lo
  uint32_t overflow = 0;         // values ≥ hi (and NaN)
};

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The share of all values (under/overflow included) in each bin, (bins): what the views draw.
std::vector<float> histogram_shares(const Histogram& h);

// The last training step's mini-batch at the typical unit (stats.typical_unit), as that step
// transformed it (Algorithm 1): one dot per example in the lab's BN strip. Only the step's own
// values: probe, evaluation and meter passes never change it. Empty (step −1) before the first
// step, after the network was replaced, and once it diverged.
struct BatchStrip {
  int64_t step = -1;            // the training step (counted from 1) that used this batch; −1: none
  Norm norm = Norm::None;       // the layer's normalization in that step
  std::vector<int32_t> labels;  // (m) each example's class
  std::vector<float> x;         // (m) W u (+ b): the pre-normalization input
  // BatchNorm only (empty otherwise): x̂ = (x − μ)/σ and the nonlinearity's input y = γ x̂ + β —
  // plus noisy BN's draws when the network asks for them (bn.noise_mean/noise_std).
  std::vector<float> xhat, y;   // (m) each
  // BatchNorm: the batch's μ_B and σ_B = √(σ²_B + ε) (biased variance) the step normalized with.
  // Without normalization or with LayerNorm (which normalizes each example over its units, not
  // the batch): the batch's mean and biased standard deviation of x at this unit, no ε — a
  // reference only, nothing normalized with them.
  float mu = kNaN, sigma = kNaN;
  float gamma = kNaN, beta = kNaN;  // BatchNorm: the unit's γ and β in that step (before its update)
};

struct LayerStats {
  std::array<Histogram, kTapCount> hist;
  std::array<float, 5> pct{};       // kPercentiles of the nonlinearity input, all units
  std::array<float, 5> unit_pct{};  // kPercentiles of the typical unit's nonlinearity input
  float mean = 0, std = 0;          // of the nonlinearity input, all units
  float saturation = 0;             // fraction, see saturation_definition()
  float grad_norm = kNaN;           // ‖∂ℓ/∂W‖ of the last training step (NaN before any)
  float weight_norm = 0;            // ‖W‖
  float update_ratio = kNaN;        // ‖ΔW‖ / ‖W‖ of the last training step
  float gamma_mean = kNaN, gamma_std = kNaN;  // NaN without normalization
  float beta_mean = kNaN, beta_std = kNaN;
  // Per unit, the probe batch's mean and variance of the pre-normalization input x — what BN
  // normalizes — to set beside BN's running_mean and running_var. The variance is the unbiased
  // one, Σ(x − mean)²/(m − 1) over the m probe rows, as running_var stores it (BN itself
  // normalizes with the biased 1/m variance). Measured for every hidden layer, BN or not.
  std::vector<float> unit_mean, unit_var;  // (width)
  BatchStrip strip;
};

struct NetworkStats {
  int64_t diverged_at = -1;   // step whose loss was NaN/Inf; −1 while training normally
  std::vector<LayerStats> layers;  // hidden layers only
  bool has_eval = false;
  float test_loss = kNaN, test_acc = kNaN;
  float train_acc = kNaN;  // on the fixed training subset (RunConfig::eval_train_size), eval mode
};

struct StepStats {
  int64_t step = 0;  // number of updates done when measured
  std::vector<NetworkStats> networks;
};

// [SECTION] Definitions (ranges, saturation)

// Histogram range of a tap. Pre-activations use [−10, 10] (sigmoid and tanh are flat well inside
// it); outputs use the activation's range: sigmoid [0, 1], tanh [−1, 1], ReLU and linear as
// pre-activations ([0, 10] and [−10, 10]).
void tap_range(int tap, Activation act, float* lo, float* hi);

// Saturation, as a fraction in [0, 1]:
//   sigmoid: outputs within 0.02 of 0 or 1 (|input| > 3.89), over all probe examples and units;
//   tanh:    |output| > 0.97, same;
//   relu:    units that output 0 on every probe example ("dead"), over units;
//   linear:  0 (never saturates).
const char* saturation_definition(Activation act);

// [SECTION] Measuring one layer on the CPU

// Fills hist, pct, unit_pct, mean, std, saturation, unit_mean and unit_var from the three taps of
// one layer on the probe set. Each tap is (n, width) row-major. The CPU reference and the GPU parity tests use it.
void measure_layer(const float* pre, const float* nonlin_in, const float* out, int n, int width,
                   Activation act, int bins, int typical_unit, LayerStats* s);

// The mean and biased standard deviation of values (no ε): a strip's reference μ and σ where the
// layer has no BatchNorm (BatchStrip). NaN for no values.
void strip_reference(const std::vector<float>& x, float* mean, float* std);

// Percentiles by linear interpolation between order statistics (numpy's default "linear").
// Reorders `values`.
std::array<float, 5> percentiles(std::vector<float>& values);

}  // namespace bnlab
