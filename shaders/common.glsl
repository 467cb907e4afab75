// common.glsl — buffers, tensor addressing and helpers shared by every kernel.
//
// [SECTION] Interface (uniforms, buffers)
// [SECTION] Per-network settings
// [SECTION] Tensor addressing
// [SECTION] Activations
// [SECTION] Noisy BN
// [SECTION] Dropout
//
// Prepended after the generated #defines: the constants of core/gl_program.h and the run's shapes
// (NETS, LAYERS, HIDDEN, BATCH, ROWS_MAX, STAT_ROWS, IN_DIM, CLASSES, BINS, ... and the per-layer
// tables LAYER_IN, LAYER_OUT, PARAM_OFF, ACT_OFF, TASK_OFF, UNIT_TASK_OFF; DATA_PALETTE when the
// examples are stored as bytes; see gpu_trainer.cpp). The network index is the z of every
// dispatch (work group size 1 in z), so one dispatch serves all networks.

// [SECTION] Interface (uniforms, buffers)

layout(local_size_x = GROUP_SIZE) in;

layout(location = LOC_PASS) uniform ivec4 u_pass;
layout(location = LOC_LAYER) uniform int u_layer;
#define PASS_ROWS u_pass.x    // examples in this pass
#define PASS_MODE u_pass.y    // MODE_*
#define PASS_FIRST u_pass.z   // first test row (probe and eval passes)
#define PASS_KEEP_GRADS u_pass.z  // train: 1 when the step's gradients are to be stored
#define PASS_STEP u_pass.w    // train: the step's index; probe: steps done; eval: the chunk's index

layout(std430, binding = BIND_META) readonly restrict buffer Meta { int meta[]; };  // (nets, META_STRIDE)
layout(std430, binding = BIND_PARAMS) restrict buffer Params { float params[]; };   // (nets, PARAM_STRIDE)
layout(std430, binding = BIND_VELOCITY) restrict buffer Velocity { float velocity[]; };  // as params
layout(std430, binding = BIND_GRADS) restrict buffer Grads { float grads[]; };      // as params
layout(std430, binding = BIND_ACTS) restrict buffer Acts { float acts[]; };         // (nets, ACT_STRIDE)
#ifdef DATA_PALETTE
// Examples as palette indices, 4 bytes to a word, when the floats would exceed the driver's
// storage-block limit (image data has at most 256 distinct values; see gpu_trainer.cpp).
layout(std430, binding = BIND_DATA_X) readonly restrict buffer DataX { uint data_packed[]; };  // (examples·IN_DIM / 4)
layout(std430, binding = BIND_PALETTE) readonly restrict buffer Palette { float palette[]; };  // (256)
float data_x(int e) { return palette[(data_packed[e >> 2] >> (8 * (e & 3))) & 255u]; }
#else
layout(std430, binding = BIND_DATA_X) readonly restrict buffer DataX { float data_values[]; };  // (examples, IN_DIM)
float data_x(int e) { return data_values[e]; }
#endif
layout(std430, binding = BIND_DATA_Y) readonly restrict buffer DataY { int data_y[]; };    // (examples)
layout(std430, binding = BIND_INDICES) readonly restrict buffer Indices { int indices[]; };  // (IDX_RING, BATCH)
layout(std430, binding = BIND_LOSSES) restrict buffer Losses { float losses[]; };   // (LOSS_RING, nets)
layout(std430, binding = BIND_STATUS) restrict buffer Status { int status[]; };     // (nets, STATUS_STRIDE)
layout(std430, binding = BIND_SNAPSHOTS) restrict buffer Snapshots { uint snapshots[]; };  // (slots, SNAP_SLOT_WORDS)

// [SECTION] Per-network settings

int net_act(int n) { return meta[n * META_STRIDE + META_ACT]; }
float net_float(int n, int word) { return intBitsToFloat(meta[n * META_STRIDE + word]); }
// Normalization kind of layer l (the output layer is never normalized).
int layer_norm(int n, int l) { return l < HIDDEN ? meta[n * META_STRIDE + META_NORM + l] : NORM_NONE; }
// BatchNorm drops the bias (β subsumes it); LayerNorm and plain layers keep it.
bool layer_has_bias(int n, int l) { return layer_norm(n, l) != NORM_BATCH; }
bool net_diverged(int n) { return status[n * STATUS_STRIDE + STATUS_DIVERGED] >= 0; }
// A diverged network is frozen in training but still measured and evaluated.
bool skip_network(int n) { return PASS_MODE == MODE_TRAIN && net_diverged(n); }
// By the exponent bits: drivers may compile isnan/isinf away under fast-math.
bool is_finite(float v) { return (floatBitsToUint(v) & 0x7f800000u) != 0x7f800000u; }

// [SECTION] Tensor addressing

// Parameters of layer l of network n: W (out, in), b, γ, β, running mean, running var (out each).
int w_at(int n, int l) { return n * PARAM_STRIDE + PARAM_OFF[l]; }
int b_at(int n, int l) { return w_at(n, l) + LAYER_OUT[l] * LAYER_IN[l]; }
int gamma_at(int n, int l) { return b_at(n, l) + LAYER_OUT[l]; }
int beta_at(int n, int l) { return b_at(n, l) + 2 * LAYER_OUT[l]; }
int rmean_at(int n, int l) { return b_at(n, l) + 3 * LAYER_OUT[l]; }
int rvar_at(int n, int l) { return b_at(n, l) + 4 * LAYER_OUT[l]; }

// Slot s of layer l, (ROWS_MAX, LAYER_OUT[l]) row-major; μ and 1/σ follow the slots.
int slot_at(int n, int l, int s) { return n * ACT_STRIDE + ACT_OFF[l] + s * ROWS_MAX * LAYER_OUT[l]; }
int mu_at(int n, int l) { return slot_at(n, l, SLOT_COUNT); }
int istd_at(int n, int l) { return mu_at(n, l) + STAT_ROWS; }
// The BN strip after them (core/stats.h BatchStrip): the typical unit's x, x̂, z over the batch of
// the last training step that keeps its gradients (BATCH each), then μ, 1/σ, γ, β.
int strip_at(int n, int l) { return istd_at(n, l) + STAT_ROWS; }
// Whether this pass writes the strip: the training step whose gradients the next snapshot reads.
bool keeps_strip() { return PASS_MODE == MODE_TRAIN && PASS_KEEP_GRADS != 0; }

// Where example i of the pass starts in the data: training gathers through the step's indices,
// probe and eval passes read consecutive test rows.
int example_at(int i) {
  const int row = PASS_MODE == MODE_TRAIN ? indices[(PASS_STEP % IDX_RING) * BATCH + i]
                                          : PASS_FIRST + i;
  return row * IN_DIM;
}
int label_of(int i) {
  return data_y[PASS_MODE == MODE_TRAIN ? indices[(PASS_STEP % IDX_RING) * BATCH + i]
                                        : PASS_FIRST + i];
}

// [SECTION] Activations

float activate(int act, float z) {
  switch (act) {
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case ACT_TANH: return tanh(z);
    case ACT_RELU: return max(z, 0.0);
  }
  return z;
}

// act'(z), written through the output a where that is cheaper (as the CPU reference does).
float activation_slope(int act, float z, float a) {
  switch (act) {
    case ACT_SIGMOID: return a * (1.0 - a);
    case ACT_TANH: return 1.0 - a * a;
    case ACT_RELU: return z > 0.0 ? 1.0 : 0.0;
  }
  return 1.0;
}

// [SECTION] Noisy BN

// core/bn_noise.h line for line (the same 32-bit hash, so both backends draw the same noise);
// the construction and its reference are documented there.
uint pcg_hash(uint v) {
  const uint state = v * 747796405u + 2891336453u;
  const uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

uint bn_noise_hash(uint step, uint layer, uint unit, uint example, uint kind) {
  uint h = pcg_hash(NOISE_SEED.x ^ 0x9e3779b9u);
  h = pcg_hash(h ^ NOISE_SEED.y);
  h = pcg_hash(h ^ step);
  h = pcg_hash(h ^ layer);
  h = pcg_hash(h ^ unit);
  h = pcg_hash(h ^ example);
  return pcg_hash(h ^ kind);
}

float bn_noise_uniform(uint h) { return (float(h >> 8u) + 0.5) * (1.0 / 16777216.0); }

// (μ, σ) of unit j of layer l at step t for noise_mean a and noise_std b.
vec2 bn_noise_unit(int step, int l, int j, float a, float b) {
  const uint per_unit = 0xffffffffu;
  return vec2(a * (2.0 * bn_noise_uniform(bn_noise_hash(uint(step), uint(l), uint(j), per_unit, 0u)) - 1.0),
              b * bn_noise_uniform(bn_noise_hash(uint(step), uint(l), uint(j), per_unit, 1u)));
}

// The standard normal of (layer, unit, example) at step t (Box–Muller).
float bn_noise_gauss(int step, int l, int j, int i) {
  const float u1 = bn_noise_uniform(bn_noise_hash(uint(step), uint(l), uint(j), uint(i), 2u));
  const float u2 = bn_noise_uniform(bn_noise_hash(uint(step), uint(l), uint(j), uint(i), 3u));
  return sqrt(-2.0 * log(u1)) * cos(6.28318530718 * u2);
}

// [SECTION] Dropout

// core/dropout.h line for line: inverted dropout after each hidden layer's activation, in
// training and probe passes, with masks from the hash above (kind 4).
float layer_dropout(int n, int l) { return l < HIDDEN ? net_float(n, META_DROPOUT + l) : 0.0; }
bool layer_drops(int n, int l) { return (PASS_MODE == MODE_TRAIN || PASS_MODE == MODE_PROBE) && layer_dropout(n, l) > 0.0; }
// Where layer l's output — the next layer's input — is in this pass: a, or a after dropout.
int output_at(int n, int l) { return slot_at(n, l, layer_drops(n, l) ? SLOT_OUT : SLOT_A); }
// The factor this pass's dropout multiplies element (example i, unit j) of layer l's activation
// by: 0 or 1/(1 − p) when the layer drops, else 1 (so x · factor is x, bit for bit).
float dropout_factor(int n, int l, int i, int j) {
  if (!layer_drops(n, l)) return 1.0;
  const float p = layer_dropout(n, l);
  const bool keep = bn_noise_uniform(bn_noise_hash(uint(PASS_STEP), uint(l), uint(j), uint(i), 4u)) >= p;
  return keep ? 1.0 / (1.0 - p) : 0.0;
}
