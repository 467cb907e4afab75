// norm_act.comp — normalization and activation of hidden layer u_layer, forward:
// x → x̂ → z = γ x̂ + β → a = act(z), fused so x is read once per statistic.
//
// BatchNorm (Ioffe & Szegedy 2015, Algorithm 1): one invocation per unit, statistics over the
// pass's rows, biased variance; the training pass also moves the running statistics as PyTorch's
// BatchNorm1d does (running_var stores the unbiased m/(m−1)·σ²). Eval with running statistics is
// Algorithm 2. Training and probe passes add noisy BN's draws to z when the network asks for them
// (bn.noise_mean/noise_std; common.glsl, core/bn_noise.h). LayerNorm (Ba et al. 2016): one
// invocation per example, statistics over the units, the same in every mode. No normalization:
// one invocation per unit, z = x. Dropout (common.glsl, core/dropout.h) follows the activation.
//
// The training step that keeps its gradients also keeps its batch at the typical unit, for the
// snapshot's BN strip (strip_at): x always, x̂, z, μ, 1/σ, γ and β with BatchNorm.
//
// Dispatch: x covers max(width, rows) invocations, z the networks (each network may use a
// different normalization, so each invocation decides what it is).

// a = act(z) at example i, unit j, and the layer's output after dropout when this pass drops.
void store_activation(int n, int l, int i, int j, float zz) {
  const int at = i * LAYER_OUT[l] + j;
  const float a = activate(net_act(n), zz);
  acts[slot_at(n, l, SLOT_A) + at] = a;
  if (layer_drops(n, l)) acts[slot_at(n, l, SLOT_OUT) + at] = a * dropout_factor(n, l, i, j);
}

void main() {
  const int n = int(gl_GlobalInvocationID.z);
  if (skip_network(n)) return;
  const int l = u_layer;
  const int width = LAYER_OUT[l], rows = PASS_ROWS;
  const int g = int(gl_GlobalInvocationID.x);
  const int norm = layer_norm(n, l);
  const int x = slot_at(n, l, SLOT_X), xh = slot_at(n, l, SLOT_XHAT);
  const int z = slot_at(n, l, SLOT_Z);
  const float eps = net_float(n, META_EPS);

  if (norm == NORM_LAYER) {
    if (g >= rows) return;
    const int row = g * width;
    float sum = 0.0;
    for (int j = 0; j < width; ++j) sum += acts[x + row + j];
    const float mu = sum / float(width);
    float sq = 0.0;
    for (int j = 0; j < width; ++j) {
      const float d = acts[x + row + j] - mu;
      sq += d * d;
    }
    const float istd = inversesqrt(sq / float(width) + eps);
    if (keeps_strip()) acts[strip_at(n, l) + g] = acts[x + row + TYPICAL_UNIT];
    acts[mu_at(n, l) + g] = mu;
    acts[istd_at(n, l) + g] = istd;
    for (int j = 0; j < width; ++j) {
      const float h = (acts[x + row + j] - mu) * istd;
      const float zz = h * params[gamma_at(n, l) + j] + params[beta_at(n, l) + j];
      acts[xh + row + j] = h;
      acts[z + row + j] = zz;
      store_activation(n, l, g, j, zz);
    }
    return;
  }

  if (g >= width) return;
  const int j = g;
  const bool strip = keeps_strip() && j == TYPICAL_UNIT;
  const int st = strip_at(n, l);
  if (norm == NORM_NONE) {
    for (int i = 0; i < rows; ++i) {
      const float v = acts[x + i * width + j];
      if (strip) acts[st + i] = v;
      acts[xh + i * width + j] = v;
      acts[z + i * width + j] = v;
      store_activation(n, l, i, j, v);
    }
    return;
  }

  // BatchNorm, unit j.
  float mu, istd;
  if (PASS_MODE == MODE_EVAL_RUNNING) {
    mu = params[rmean_at(n, l) + j];
    istd = inversesqrt(params[rvar_at(n, l) + j] + eps);
  } else {
    float sum = 0.0;
    for (int i = 0; i < rows; ++i) sum += acts[x + i * width + j];
    mu = sum / float(rows);
    float sq = 0.0;
    for (int i = 0; i < rows; ++i) {
      const float d = acts[x + i * width + j] - mu;
      sq += d * d;
    }
    const float var = sq / float(rows);
    istd = inversesqrt(var + eps);
    if (PASS_MODE == MODE_TRAIN) {
      const float mom = net_float(n, META_BN_MOMENTUM);
      const float unbias = rows > 1 ? float(rows) / float(rows - 1) : 1.0;
      params[rmean_at(n, l) + j] = (1.0 - mom) * params[rmean_at(n, l) + j] + mom * mu;
      params[rvar_at(n, l) + j] = (1.0 - mom) * params[rvar_at(n, l) + j] + (mom * unbias) * var;
    }
  }
  acts[mu_at(n, l) + j] = mu;
  acts[istd_at(n, l) + j] = istd;
  const float gamma = params[gamma_at(n, l) + j], beta = params[beta_at(n, l) + j];
  const float noise_a = net_float(n, META_NOISE_MEAN), noise_b = net_float(n, META_NOISE_STD);
  const bool noisy = (PASS_MODE == MODE_TRAIN || PASS_MODE == MODE_PROBE) && (noise_a > 0.0 || noise_b > 0.0);
  const vec2 noise = noisy ? bn_noise_unit(PASS_STEP, l, j, noise_a, noise_b) : vec2(0.0);  // (μ, σ)
  for (int i = 0; i < rows; ++i) {
    const float h = (acts[x + i * width + j] - mu) * istd;
    const float zz = h * gamma + beta + (noisy ? noise.x + noise.y * bn_noise_gauss(PASS_STEP, l, j, i) : 0.0);
    acts[xh + i * width + j] = h;
    acts[z + i * width + j] = zz;
    store_activation(n, l, i, j, zz);
    if (strip) {
      acts[st + i] = acts[x + i * width + j];
      acts[st + BATCH + i] = h;
      acts[st + 2 * BATCH + i] = zz;
    }
  }
  if (strip) {
    acts[st + 3 * BATCH] = mu;
    acts[st + 3 * BATCH + 1] = istd;
    acts[st + 3 * BATCH + 2] = gamma;
    acts[st + 3 * BATCH + 3] = beta;
  }
}
