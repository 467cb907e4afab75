// cpu_network.h — one MLP on the CPU with Eigen: the readable reference every other path is
// checked against. Instantiated for float (training) and double (gradient checks).
//
// [SECTION] Layout
// [SECTION] The network
//
// Activations are (width, batch) column-major: one column per example, so a gathered batch of
// dataset rows is already in place and every product is a plain GEMM.
//
// The first layer may be given only the batch's active inputs: the input features that are not
// zero for every example of the mini-batch (on MNIST about 470 of 784 at batch 60). The others
// add exactly 0 to W u and to ∂ℓ/∂W = dz uᵀ, so the two products run over the active columns of
// W alone; ∂ℓ/∂W of the inactive columns is 0. Active inputs come as runs of consecutive indices
// (image rows: a few dozen runs on MNIST), so that W's columns are gathered and ∂ℓ/∂W's
// scattered as whole blocks.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include "core/bn_noise.h"
#include "core/dropout.h"
#include "core/config.h"
#include "core/network.h"

namespace bnlab {

// How normalization layers treat a forward pass.
enum class PassMode {
  Train,  // batch statistics; BN's running statistics are updated
  Probe,  // batch statistics; running statistics untouched (snapshots)
  Eval,   // BN uses its running statistics (LayerNorm is the same in every mode)
};

// [SECTION] Layout

// Inputs first … first + count − 1 of the first layer, all active.
struct InputRun {
  int32_t first = 0, count = 0;
};
using ActiveInputs = std::vector<InputRun>;  // ascending, not touching

template <class T>
struct CpuLayer {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  Norm norm = Norm::None;
  bool has_bias = true;

  // Parameters.
  Mat W;              // (out, in)
  Vec b;              // (out), used when has_bias
  Vec gamma, beta;    // (out), used when norm != None
  Vec running_mean;   // (out), BN only
  Vec running_var;    // (out), BN only, unbiased

  // Gradients of the last backward pass, same shapes as the parameters.
  Mat dW;
  Vec db, dgamma, dbeta;
  // Momentum buffers (allocated only when momentum > 0).
  Mat vW;
  Vec vb, vgamma, vbeta;

  // Forward caches of the last pass, (out, batch).
  Mat x;     // W u (+ b): the pre-normalization tap
  Mat xhat;  // normalized x (norm != None)
  Mat z;     // the nonlinearity's input
  Mat a;     // the activation's output (the logits for the output layer)
  // Dropout (hidden layers, when the last pass dropped units: `dropped`), (out, batch) each.
  Mat keep;  // the mask's factors: 0 for a dropped element, 1/(1 − p) for a kept one
  Mat out;   // a ⊙ keep, what the next layer reads
  bool dropped = false;
  // The layer's output: the next layer's input.
  const Mat& output() const { return dropped ? out : a; }
  Vec mu, inv_std;  // BN: (out) over the batch; LN: (batch) over the units

  // Backward scratch, (out, batch).
  Mat dz;
};

// [SECTION] The network

template <class T>
class CpuNetwork {
 public:
  using Layer = CpuLayer<T>;
  using Mat = typename Layer::Mat;
  using Vec = typename Layer::Vec;

  CpuNetwork(const NetworkConfig& cfg, const NetworkParams& p);

  // Forward pass over a batch u (in, m) — or, with `active` (runs of k inputs in all), over u
  // (k, m) holding only those rows of the batch, every other input being 0 for all m examples.
  // Fills every layer's caches and returns the mean cross-entropy against `labels` (m). In Train
  // mode BN's running statistics are updated. With `noise` (Train and Probe passes only) and
  // bn.noise_mean/noise_std set, BN layers add the noisy-BN draws of that key (bn_noise.h) to z;
  // the caches hold the noisy z. With `from` > 0 the pass starts at hidden layer `from`, taking the
  // caches of the layers below as the last pass left them (for a pass that changed layers ≥ from).
  // With `noise` (Train and Probe passes only) and model.dropout set,
  // each hidden layer's activation is dropped with that key's masks (dropout.h); without a key a
  // pass never drops.
  T forward(const Mat& u, const int32_t* labels, PassMode mode, const BnNoiseKey* noise = nullptr,
            const ActiveInputs* active = nullptr, int from = 0);
  // Gradients of the last forward pass's loss (which must have been a Train or Probe pass), given
  // the same u and `active`; with `down_to` > 0, of layers down_to … k only (the others' are stale).
  void backward(const Mat& u, const int32_t* labels, const ActiveInputs* active = nullptr, int down_to = 0);
  // SGD with heavy-ball momentum, as PyTorch: v = μ·v + g; θ −= lr·v. Frozen γ/β stay put.
  void update();

  // Softmax probabilities of the last forward pass, (classes, m).
  const Mat& probabilities() const { return probs_; }
  std::vector<Layer>& layers() { return layers_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const NetworkConfig& config() const { return cfg_; }
  NetworkConfig& config() { return cfg_; }

  NetworkParams params() const;
  void set_params(const NetworkParams& p);
  // Momentum buffers given in the parameters' layout (weight, bias, gamma, beta; the running
  // statistics' slots are ignored): the state a GPU network reads back for the meters.
  void set_velocity(const NetworkParams& v);

 private:
  void forward_hidden(int l, const Mat& u, PassMode mode, const BnNoiseKey* noise, const ActiveInputs* active);
  void backward_norm(Layer& L);  // dz → dx, in place in L.dz

  NetworkConfig cfg_;
  std::vector<Layer> layers_;  // hidden layers, then the output layer
  Mat probs_;                  // (classes, m)
  Mat w_active_;               // (out, k) the first layer's W at the active inputs
  Mat dw_active_;              // (out, k) ∂ℓ/∂W at the active inputs
};

extern template class CpuNetwork<float>;
extern template class CpuNetwork<double>;

}  // namespace bnlab
