// gl_program.h — compute programs built from several GLSL source strings, and the constants that
// C++ and GLSL share.
//
// GLSL has no #include, so a program is the concatenation of source strings handed to the driver
// separately: generated #defines (constants below plus per-run shapes), shared GLSL
// (shaders/*.glsl) and one kernel (shaders/*.comp). The driver's info log numbers lines per
// string, so a failure message lists which string is which.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bnlab {

// Constants used by both sides; glsl_shared_defines() turns each into `#define NAME value`, so a
// binding index or a mode number is written once. X(name, value).
#define BNLAB_GPU_CONSTANTS(X)                                                        \
  /* shader storage bindings */                                                       \
  X(BIND_META, 0)       /* per-network settings (int words)                  */       \
  X(BIND_PARAMS, 1)     /* parameters, all networks                          */       \
  X(BIND_VELOCITY, 2)   /* SGD momentum buffers, same layout as params       */       \
  X(BIND_ACTS, 3)       /* activations and their gradients                   */       \
  X(BIND_DATA_X, 4)     /* the examples of the pass's dataset                */       \
  X(BIND_DATA_Y, 5)     /* their labels                                      */       \
  X(BIND_INDICES, 6)    /* training mini-batch indices of queued steps       */       \
  X(BIND_LOSSES, 7)     /* train-loss ring read back by take_losses()        */       \
  X(BIND_STATUS, 8)     /* per network: step of divergence, eval chunk sums  */       \
  X(BIND_GRADS, 9)      /* last step's gradients, same layout as params     */       \
  X(BIND_SNAPSHOTS, 10) /* snapshot ring read back by poll_snapshot()        */       \
  X(BIND_PALETTE, 11)   /* the distinct data values, when stored as indices  */       \
  X(BIND_PROBE_SPARSE, 12) /* the probe rows' nonzero inputs (matmul.comp)     */       \
  /* uniform locations */                                                             \
  X(LOC_PASS, 0)  /* ivec4 (rows, mode, first row, step or chunk or slot)              */ \
  X(LOC_LAYER, 1) /* int: the layer a kernel works on (stats.comp: the snapshot slot)    */ \
  /* pass modes */                                                                    \
  X(MODE_TRAIN, 0)        /* gathered batch, batch statistics, running stats updated */ \
  X(MODE_PROBE, 1)        /* test rows, batch statistics, running stats untouched    */ \
  X(MODE_EVAL_RUNNING, 2) /* test rows, BN uses running statistics                   */ \
  X(MODE_EVAL_BATCH, 3)   /* test rows, BN uses the chunk's batch statistics         */ \
  /* enums of config.h, by value */                                                   \
  X(ACT_SIGMOID, 0) X(ACT_TANH, 1) X(ACT_RELU, 2) X(ACT_LINEAR, 3)                     \
  X(NORM_NONE, 0) X(NORM_BATCH, 1) X(NORM_LAYER, 2)                                    \
  /* slots of a layer in the activation buffer, each (rows_max, width) */            \
  X(SLOT_X, 0)    /* x = W u (+ b)                                                   */ \
  X(SLOT_XHAT, 1) /* x̂, normalized x (x itself without normalization)                */ \
  X(SLOT_Z, 2)    /* z = γ x̂ + β, the nonlinearity's input (x without normalization) */ \
  X(SLOT_A, 3)    /* a = act(z)                                                      */ \
  X(SLOT_DZ, 4)   /* backward: ∂ℓ/∂a, then ∂ℓ/∂z in place                            */ \
  X(SLOT_DX, 5)   /* ∂ℓ/∂x (the output layer: ∂ℓ/∂logits)                            */ \
  X(SLOT_OUT, 6)  /* a after dropout, written only by passes that drop (dropout.h)  */ \
  X(SLOT_COUNT, 7) /* followed by μ and 1/σ, each (max(rows_max, width))             */ \
  /* words of one network's settings */                                               \
  X(META_ACT, 0) X(META_LEARN_AFFINE, 1) X(META_LR, 2) X(META_MOMENTUM, 3)             \
  X(META_EPS, 4) X(META_BN_MOMENTUM, 5)                                                \
  X(META_TAP_RANGE, 6) /* (taps, 2): histogram lo, hi per tap                       */ \
  X(META_NORM, 12)     /* (hidden): normalization kind per hidden layer, then noisy BN's */ \
                       /* noise_mean, noise_std, then dropout p per hidden layer       */ \
  /* words of one network's status */                                                 \
  X(STATUS_DIVERGED, 0) /* step whose loss was not finite, −1 while healthy         */ \
  X(STATUS_EVAL, 1)     /* (test + train eval chunks, 2): loss sum, correct count    */ \
  /* words of one network in a snapshot slot */                                       \
  X(SNAP_DIVERGED, 0) X(SNAP_TEST_LOSS, 1) X(SNAP_TEST_ACC, 2) X(SNAP_TRAIN_ACC, 3)    \
  X(SNAP_LAYERS, 4) /* then per hidden layer: (taps, bins + 2) counts, then scalars */ \
  X(SNAP_PCT, 0) X(SNAP_UNIT_PCT, 5) X(SNAP_MEAN, 10) X(SNAP_STD, 11)                  \
  X(SNAP_SATURATION, 12) X(SNAP_GRAD_NORM, 13) X(SNAP_WEIGHT_NORM, 14)                 \
  X(SNAP_UPDATE_RATIO, 15) X(SNAP_GAMMA_MEAN, 16) X(SNAP_GAMMA_STD, 17)                \
  X(SNAP_BETA_MEAN, 18) X(SNAP_BETA_STD, 19) X(SNAP_SCALARS, 20)                       \
  X(SNAP_UNIT_MEAN, 20) /* then (2, SNAP_UNITS): per-unit mean, unbiased variance of x */ \
  /* work group width of every kernel */                                              \
  X(GROUP_SIZE, 64)

enum GpuConstant : int {
#define BNLAB_X(name, value) name = value,
  BNLAB_GPU_CONSTANTS(BNLAB_X)
#undef BNLAB_X
};

// "#define NAME value\n" for every constant above.
std::string glsl_shared_defines();

class GlProgram {
 public:
  GlProgram() = default;
  // Compiles and links. `parts` are (label, source) pairs in order; the first must start with
  // #version. Throws GpuError with the driver's info log and the list of labels.
  GlProgram(const std::string& name, const std::vector<std::pair<std::string, std::string>>& parts);
  ~GlProgram();
  GlProgram(GlProgram&& o) noexcept : id_(std::exchange(o.id_, 0)) {}
  GlProgram& operator=(GlProgram&& o) noexcept;
  GlProgram(const GlProgram&) = delete;
  GlProgram& operator=(const GlProgram&) = delete;

  unsigned id() const { return id_; }

 private:
  unsigned id_ = 0;
};

}  // namespace bnlab
