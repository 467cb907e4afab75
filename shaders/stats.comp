// stats.comp — one snapshot's statistics of every hidden layer, measured on the probe pass.
//
// [SECTION] Helpers (reductions, float order keys)
// [SECTION] Percentiles by radix selection
// [SECTION] Main
//
// Runs right after a probe forward pass (and the eval chunks when asked), reading the taps of
// SLOT_X, SLOT_Z and SLOT_A; it writes the words that core/gpu_trainer.cpp decodes into
// LayerStats, following stats.cpp's definitions exactly (bin rule, numpy-linear percentiles,
// saturation). Three work groups per (hidden layer, network): the percentiles over all units (the
// longest part, about 3/4 of the kernel's time on llvmpipe); histograms and moments; parameter
// norms and per-unit statistics. All is reduced in a fixed order, so snapshots are deterministic.
//
// Uniforms: PASS_ROWS = probe rows, PASS_FIRST = test-set size, PASS_STEP = test eval chunks queued
// (0: no eval; when queued, TRAIN_EVAL_CHUNKS of the training subset follow them), u_layer = the
// snapshot slot to write.
// Dispatch: (3, hidden layers, networks).

shared uint s_hist[3 * (BINS + 2)];  // (taps, bins + underflow + overflow)
shared uint s_digit[5 * 1024];        // (percentiles, radix digits); the first round: (4096) shared
shared uint s_key[5];     // per percentile: key bits chosen so far, finally the order statistic's key
shared uint s_rank[5];    // its rank still sought among the keys sharing those bits
shared uint s_equal[5];   // how many keys equal the final key
shared uint s_next[5];    // the smallest key above it
shared uint s_count;
shared double s_red[5][GROUP_SIZE];  // (sums, invocations)

// [SECTION] Helpers (reductions, float order keys)

// All invocations meet, with every shared-memory write before this point visible to all.
void sync() {
  memoryBarrierShared();
  barrier();
}

// Sums of kSums values over the work group, in a fixed order.
const int kSums = 5;
double[kSums] group_sums(double v[kSums]) {
  const uint lid = gl_LocalInvocationID.x;
  for (int k = 0; k < kSums; ++k) s_red[k][lid] = v[k];
  sync();
  for (uint stride = GROUP_SIZE / 2; stride > 0; stride /= 2) {
    if (lid < stride)
      for (int k = 0; k < kSums; ++k) s_red[k][lid] += s_red[k][lid + stride];
    sync();
  }
  double total[kSums];
  for (int k = 0; k < kSums; ++k) total[k] = s_red[k][0];
  return total;
}

// Unsigned keys that sort like the floats (negative floats have their bits flipped).
uint order_key(float v) {
  const uint u = floatBitsToUint(v);
  return (u & 0x80000000u) != 0u ? ~u : u | 0x80000000u;
}
float key_value(uint k) { return uintBitsToFloat((k & 0x80000000u) != 0u ? k & 0x7fffffffu : ~k); }

// [SECTION] Percentiles by radix selection

// The PERCENTILES of `count` values acts[base + e·stride], numpy's "linear" method as
// percentiles() in stats.cpp: position p/100·(count−1), interpolated between the order statistic
// at its floor and the next one. Each order statistic is found exactly, some bits of its key per
// round, so the cost is a few passes over the values, not a sort: 12 bits first (sign, exponent
// and 3 mantissa bits, which already splits values of one binade 8 ways), then 10 and 10. Three
// rounds instead of four bytes' saves a pass, and the later rounds' counts, which compare every
// value with each percentile's decided bits, touch far fewer values.
void percentiles(int base, int count, int stride, int dst) {
  const int lid = int(gl_LocalInvocationID.x);
  if (lid < 5) {
    s_key[lid] = 0u;
    s_rank[lid] = uint(PERCENTILES[lid] / 100.0 * double(count - 1));
  }
  for (int round = 0; round < 3; ++round) {
    const int bits = round == 0 ? 12 : 10, shift = 20 - 10 * round, bins = 1 << bits;
    const uint decided = round == 0 ? 0u : 0xffffffffu << (shift + bits);
    for (int b = lid; b < 5 * 1024; b += GROUP_SIZE) s_digit[b] = 0u;
    sync();
    // The first round's counts are the same for every percentile (nothing decided yet): one
    // histogram serves all five there, a fifth of the shared atomics, which llvmpipe serializes.
    const int shared_first = round == 0 ? 0 : 1;
    for (int e = lid; e < count; e += GROUP_SIZE) {
      const uint key = order_key(acts[base + e * stride]);
      const int digit = int((key >> shift) & uint(bins - 1));
      if (round == 0) {
        atomicAdd(s_digit[digit], 1u);
      } else {
        for (int p = 0; p < 5; ++p)
          if ((key & decided) == s_key[p]) atomicAdd(s_digit[p * 1024 + digit], 1u);
      }
    }
    sync();
    if (lid < 5) {
      uint rank = s_rank[lid];
      for (int d = 0; d < bins; ++d) {
        const uint c = s_digit[lid * shared_first * 1024 + d];
        if (rank < c) {
          s_key[lid] |= uint(d) << shift;
          s_equal[lid] = c;
          break;
        }
        rank -= c;
      }
      s_rank[lid] = rank;
      s_next[lid] = 0xffffffffu;
    }
    sync();
  }
  uint next[5] = uint[5](0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  for (int e = lid; e < count; e += GROUP_SIZE) {
    const uint key = order_key(acts[base + e * stride]);
    for (int p = 0; p < 5; ++p)
      if (key > s_key[p]) next[p] = min(next[p], key);
  }
  for (int p = 0; p < 5; ++p) atomicMin(s_next[p], next[p]);  // one shared atomic per lane
  sync();
  if (lid < 5) {
    const double pos = PERCENTILES[lid] / 100.0 * double(count - 1);
    const double lo = floor(pos);
    double v = double(key_value(s_key[lid]));
    if (int(lo) + 1 < count && pos > lo) {
      // The next order statistic: the same value while equal keys remain, else the next key.
      const float next = key_value(s_rank[lid] + 1u < s_equal[lid] ? s_key[lid] : s_next[lid]);
      v += (pos - lo) * (double(next) - v);
    }
    snapshots[dst + lid] = floatBitsToUint(float(v));
  }
  sync();
}

// [SECTION] Main

// Histograms of the three taps (stats.cpp's fill_histogram, bin for bin), saturation, and the mean
// and standard deviation of the nonlinearity input (in double, as stats.cpp; one pass is exact
// enough there).
void histograms_and_moments(int n, int l, const int tap[3], int dst, int scalars) {
  const int lid = int(gl_LocalInvocationID.x);
  const int rows = PASS_ROWS, width = LAYER_OUT[l], count = rows * width;
  const int act = net_act(n);
  for (int b = lid; b < 3 * (BINS + 2); b += GROUP_SIZE) s_hist[b] = 0u;
  if (lid == 0) s_count = 0u;
  sync();
  for (int t = 0; t < 3; ++t) {
    const float lo = net_float(n, META_TAP_RANGE + 2 * t), hi = net_float(n, META_TAP_RANGE + 2 * t + 1);
    const float scale = float(BINS) / (hi - lo);
    for (int e = lid; e < count; e += GROUP_SIZE) {
      const float v = acts[tap[t] + e];
      const int bin = v < lo ? BINS : !(v < hi) ? BINS + 1 : min(int((v - lo) * scale), BINS - 1);
      atomicAdd(s_hist[t * (BINS + 2) + bin], 1u);
    }
  }
  // Saturation (stats.h): sigmoid and tanh count outputs, ReLU counts units dead on every example.
  const int outputs = tap[2];
  if (act == ACT_RELU) {
    for (int j = lid; j < width; j += GROUP_SIZE) {
      bool dead = true;
      for (int i = 0; i < rows && dead; ++i) dead = acts[outputs + i * width + j] <= 0.0;
      if (dead) atomicAdd(s_count, 1u);
    }
  } else if (act != ACT_LINEAR) {
    uint saturated = 0u;
    for (int e = lid; e < count; e += GROUP_SIZE) {
      const float a = acts[outputs + e];
      saturated += uint(act == ACT_SIGMOID ? a < 0.02 || a > 0.98 : abs(a) > 0.97);
    }
    atomicAdd(s_count, saturated);
  }
  double part[kSums] = double[kSums](0.0, 0.0, 0.0, 0.0, 0.0);  // Σz, Σz²
  for (int e = lid; e < count; e += GROUP_SIZE) {
    const double v = double(acts[tap[1] + e]);
    part[0] += v;
    part[1] += v * v;
  }
  const double total[kSums] = group_sums(part);  // its barrier also completes the atomics above
  for (int b = lid; b < 3 * (BINS + 2); b += GROUP_SIZE) snapshots[dst + b] = s_hist[b];
  if (lid != 0) return;
  const double mean = total[0] / double(count);
  const double var = max(total[1] / double(count) - mean * mean, 0.0lf);
  snapshots[scalars + SNAP_MEAN] = floatBitsToUint(float(mean));
  snapshots[scalars + SNAP_STD] = floatBitsToUint(float(sqrt(var)));
  const float units = act == ACT_RELU ? float(width) : float(count);
  snapshots[scalars + SNAP_SATURATION] = floatBitsToUint(float(s_count) / units);
}

// The norms of W, of its last gradient and of its last update (lr·v with momentum, lr·g without;
// gradients start as NaN: no step yet); γ and β over the units; the per-unit batch mean and
// unbiased variance of x (stats.h); the typical unit's percentiles; and, once per network, its
// divergence and test-set evaluation.
void parameters_and_units(int n, int l, const int tap[3], int net_words, int scalars) {
  const int lid = int(gl_LocalInvocationID.x);
  const int rows = PASS_ROWS, width = LAYER_OUT[l];
  const float nan = uintBitsToFloat(0x7fc00000u);
  const bool momentum = net_float(n, META_MOMENTUM) != 0.0;
  double part[kSums] = double[kSums](0.0, 0.0, 0.0, 0.0, 0.0);  // ‖W‖², ‖g‖², ‖v‖²
  const int w = w_at(n, l);
  for (int e = lid; e < width * LAYER_IN[l]; e += GROUP_SIZE) {
    part[0] += double(params[w + e]) * double(params[w + e]);
    part[1] += double(grads[w + e]) * double(grads[w + e]);
    const double v = double(momentum ? velocity[w + e] : grads[w + e]);
    part[2] += v * v;
  }
  const double total[kSums] = group_sums(part);

  // One invocation per unit, two passes over the rows in double, as measure_layer.
  for (int j = lid; j < width; j += GROUP_SIZE) {
    double sum = 0.0;
    for (int i = 0; i < rows; ++i) sum += double(acts[tap[0] + i * width + j]);
    const double mean = sum / double(rows);
    double sq = 0.0;
    for (int i = 0; i < rows; ++i) {
      const double d = double(acts[tap[0] + i * width + j]) - mean;
      sq += d * d;
    }
    snapshots[scalars + SNAP_UNIT_MEAN + j] = floatBitsToUint(float(mean));
    snapshots[scalars + SNAP_UNIT_MEAN + SNAP_UNITS + j] = floatBitsToUint(rows > 1 ? float(sq / double(rows - 1)) : nan);
  }

  percentiles(tap[1] + TYPICAL_UNIT, rows, width, scalars + SNAP_UNIT_PCT);

  if (lid != 0) return;
  const float weight_norm = float(sqrt(total[0]));
  const float grad_norm = float(sqrt(total[1]));
  const float update_norm = net_float(n, META_LR) * float(sqrt(total[2]));
  snapshots[scalars + SNAP_GRAD_NORM] = floatBitsToUint(grad_norm);
  snapshots[scalars + SNAP_WEIGHT_NORM] = floatBitsToUint(weight_norm);
  snapshots[scalars + SNAP_UPDATE_RATIO] = floatBitsToUint(isnan(grad_norm) ? nan : update_norm / weight_norm);
  // γ and β over the layer's units, population statistics in float as the CPU reference.
  for (int which = 0; which < 2; ++which) {
    float m = nan, s = nan;
    if (layer_norm(n, l) != NORM_NONE) {
      const int at = which == 0 ? gamma_at(n, l) : beta_at(n, l);
      m = 0.0;
      for (int j = 0; j < width; ++j) m += params[at + j];
      m /= float(width);
      s = 0.0;
      for (int j = 0; j < width; ++j) s += (params[at + j] - m) * (params[at + j] - m);
      s = sqrt(s / float(width));
    }
    snapshots[scalars + SNAP_GAMMA_MEAN + 2 * which] = floatBitsToUint(m);
    snapshots[scalars + SNAP_GAMMA_STD + 2 * which] = floatBitsToUint(s);
  }

  if (l != 0) return;
  // The network's own words: divergence and the test-set evaluation summed over its chunks.
  snapshots[net_words + SNAP_DIVERGED] = uint(status[n * STATUS_STRIDE + STATUS_DIVERGED]);
  // A diverged network's test figures would be made-up numbers (argmax of NaN is class 0): NaN.
  float test_loss = nan, test_acc = nan, train_acc = nan;
  if (PASS_STEP > 0 && !net_diverged(n)) {
    double loss = 0.0;
    int correct = 0, train_correct = 0;
    for (int c = 0; c < PASS_STEP; ++c) {
      loss += double(intBitsToFloat(status[n * STATUS_STRIDE + STATUS_EVAL + 2 * c]));
      correct += status[n * STATUS_STRIDE + STATUS_EVAL + 2 * c + 1];
    }
    // The training subset's chunks follow the test set's.
    for (int c = PASS_STEP; c < PASS_STEP + TRAIN_EVAL_CHUNKS; ++c)
      train_correct += status[n * STATUS_STRIDE + STATUS_EVAL + 2 * c + 1];
    test_loss = float(loss / double(PASS_FIRST));
    test_acc = float(correct) / float(PASS_FIRST);
    train_acc = float(train_correct) / float(TRAIN_EVAL_ROWS);
  }
  snapshots[net_words + SNAP_TEST_LOSS] = floatBitsToUint(test_loss);
  snapshots[net_words + SNAP_TEST_ACC] = floatBitsToUint(test_acc);
  snapshots[net_words + SNAP_TRAIN_ACC] = floatBitsToUint(train_acc);
}

void main() {
  const int n = int(gl_WorkGroupID.z), l = int(gl_WorkGroupID.y);
  const int net_words = u_layer * SNAP_SLOT_WORDS + n * SNAP_NET_WORDS;
  const int dst = net_words + SNAP_LAYERS + l * SNAP_LAYER_WORDS;
  const int scalars = dst + 3 * (BINS + 2);
  const int tap[3] = int[3](slot_at(n, l, SLOT_X), slot_at(n, l, SLOT_Z), slot_at(n, l, SLOT_A));
  switch (gl_WorkGroupID.x) {
    case 0u: percentiles(tap[1], PASS_ROWS * LAYER_OUT[l], 1, scalars + SNAP_PCT); break;
    case 1u: histograms_and_moments(n, l, tap, dst, scalars); break;
    case 2u: parameters_and_units(n, l, tap, net_words, scalars); break;
  }
}
