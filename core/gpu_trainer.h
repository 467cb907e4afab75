// gpu_trainer.h — the Trainer on OpenGL 4.3 compute shaders (shaders/*.comp).
//
// All networks of a run train in lockstep in one dispatch sequence: the network index is the z
// dimension of every dispatch. What may differ between networks of one GPU run: activation,
// normalization of each layer, initialization, BN momentum/ε/affine settings, learning rate and
// momentum. What must be shared: the hidden widths (hence every tensor's shape) and, as on every
// backend, the batch size. A run whose networks differ in shape is refused with GpuError (the
// backend choice then trains it on the CPU).
//
// One training step is 4·hidden + 2 dispatches whatever the number of networks (14 for the
// paper's 3 hidden layers): per hidden layer a product and a fused normalization+activation,
// the output layer fused with the loss, per hidden layer a backward product and a fused
// activation+normalization backward, and one update pass over every parameter. Nothing is read
// back per step: losses go to a ring buffer and snapshots to a ring of slots, both persistently
// mapped and read after a fence.
#pragma once

#include <memory>
#include <vector>

#include "core/trainer.h"

namespace bnlab {

// Throws GpuError (gl_context.h) when no usable GL context, a shader failure, a run the engine
// cannot hold, or an out-of-memory allocation; ConfigError for settings no backend can train.
// Mid-run, train() and the snapshot calls throw GpuError when the GL reports an error or a wait
// fails (a lost context). For testing what follows, the environment variable
// BNLAB_GPU_FAIL_AT_STEP=N makes train() throw GpuError once step N is queued, as if the context
// were lost there (the losses of steps not yet read back are lost with it).
std::unique_ptr<Trainer> make_gpu_trainer(const RunConfig& cfg, const DataSplit& data);

// Number of compute dispatches queued so far by a trainer from make_gpu_trainer (benchmarks).
int64_t gpu_dispatch_count(const Trainer& gpu);
// GFLOP/s of the first layer's forward product alone, repeated `reps` times on the last batch
// (after at least one step): the best this GL driver does with the engine's product kernel, which
// a training step's rate is measured against (bnlab bench).
double gpu_first_layer_gflops(Trainer& gpu, int reps);

// The tensors of one layer after the last pass, for the parity tests. Forward caches are
// (rows, width) row-major for the last pass's rows; the gradients are those of the last training
// step, in PyTorch's layout (dW is (out, in) row-major); empty where the layer has no such tensor.
struct GpuLayerTensors {
  std::vector<float> x, xhat, z, a;  // the output layer: x = logits
  std::vector<float> dz;             // ∂ℓ/∂z (hidden layers)
  std::vector<float> out;            // a after dropout (hidden layers; as the last pass that dropped left it)
  std::vector<float> dx;             // ∂ℓ/∂x (the output layer: ∂ℓ/∂logits)
  std::vector<float> dW, db, dgamma, dbeta;
};
GpuLayerTensors gpu_layer_tensors(Trainer& gpu, int net, int layer, int rows);

}  // namespace bnlab
