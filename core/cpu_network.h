// cpu_network.h — one MLP on the CPU with Eigen: the readable reference every other path is
// checked against. Instantiated for float (training) and double (gradient checks).
//
// [SECTION] Layout
// [SECTION] The network
//
// Activations are (width, batch) column-major: one column per example, so a gathered batch of
// dataset rows is already in place and every product is a plain GEMM.
//
// The first layer may be given a sparse batch: its non-zero inputs only (MNIST's digits have
// about 19% of their 784 pixels non-zero). A zero input adds exactly 0 to W u and to
// ∂ℓ/∂W = dz uᵀ, so the two products run over the non-zeros alone: example j's pre-activation is
// Σ u(p, j)·W.col(p) over its non-zero inputs p, and ∂ℓ/∂W.col(p) = Σ u(p, j)·dz.col(j) over the
// examples in which input p is non-zero (0 where it is 0 in the whole batch). W and dz are
// column-major, so every term is a contiguous column of `width` values.
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

// A mini-batch u (in, m) by its non-zero entries, listed both ways round: by example for the
// forward product, by input for the weight gradient.
template <class T>
struct SparseBatch {
  std::vector<int32_t> example_start;  // (m + 1) example j's entries are example_start[j] … example_start[j + 1] − 1
  std::vector<int32_t> example_input;  // (nonzeros) each entry's input, ascending within an example
  std::vector<T> example_value;        // (nonzeros)
  std::vector<int32_t> input_start;    // (in + 1) input p's entries are input_start[p] … input_start[p + 1] − 1
  std::vector<int32_t> input_example;  // (nonzeros) each entry's example, ascending within an input
  std::vector<T> input_value;          // (nonzeros)

  int examples() const { return static_cast<int>(example_start.size()) - 1; }
  // Fills the by-input lists from the by-example ones (a counting sort on the input).
  void index_inputs(int in);
};

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
  using Sparse = SparseBatch<T>;

  CpuNetwork(const NetworkConfig& cfg, const NetworkParams& p);

  // Forward pass over a batch u (in, m) — or, with `sparse`, over that batch (u is not read).
  // Fills every layer's caches and returns the mean cross-entropy against `labels` (m). In Train
  // mode BN's running statistics are updated. With `noise` (Train and Probe passes only) and
  // bn.noise_mean/noise_std set, BN layers add the noisy-BN draws of that key (bn_noise.h) to z;
  // the caches hold the noisy z. With `from` > 0 the pass starts at hidden layer `from`, taking the
  // caches of the layers below as the last pass left them (for a pass that changed layers ≥ from).
  // With `noise` (Train and Probe passes only) and model.dropout set,
  // each hidden layer's activation is dropped with that key's masks (dropout.h); without a key a
  // pass never drops.
  T forward(const Mat& u, const int32_t* labels, PassMode mode, const BnNoiseKey* noise = nullptr,
            const SparseBatch<T>* sparse = nullptr, int from = 0);
  // Gradients of the last forward pass's loss (which must have been a Train or Probe pass), given
  // the same u and `sparse`; with `down_to` > 0, of layers down_to … k only (the others' are stale).
  void backward(const Mat& u, const int32_t* labels, const SparseBatch<T>* sparse = nullptr, int down_to = 0);
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
  void forward_hidden(int l, const Mat& u, PassMode mode, const BnNoiseKey* noise, const SparseBatch<T>* sparse);
  void backward_norm(Layer& L);  // dz → dx, in place in L.dz

  NetworkConfig cfg_;
  std::vector<Layer> layers_;  // hidden layers, then the output layer
  Mat probs_;                  // (classes, m)
};

extern template struct SparseBatch<float>;
extern template struct SparseBatch<double>;
extern template class CpuNetwork<float>;
extern template class CpuNetwork<double>;

}  // namespace bnlab
