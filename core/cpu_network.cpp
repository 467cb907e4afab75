// cpu_network.cpp — forward, backward and update of the reference MLP.
//
// [SECTION] Activations
// [SECTION] Parameters in and out
// [SECTION] Sparse batches
// [SECTION] Forward
// [SECTION] Backward
// [SECTION] Update

#include "core/cpu_network.h"

#include <cmath>
#include <type_traits>

namespace bnlab {

// [SECTION] Activations

namespace {

template <class Mat>
void activate(Activation act, const Mat& z, Mat& a) {
  using T = typename Mat::Scalar;
  switch (act) {
    case Activation::Sigmoid: a = (T(1) + (-z.array()).exp()).inverse().matrix(); break;
    case Activation::Tanh: a = z.array().tanh().matrix(); break;
    case Activation::Relu: a = z.array().max(T(0)).matrix(); break;
    case Activation::Linear: a = z; break;
  }
}

// dz = da ⊙ act'(z), with the derivative written through the output a where that is cheaper.
template <class Mat>
void activation_backward(Activation act, const Mat& z, const Mat& a, Mat& dz) {
  using T = typename Mat::Scalar;
  switch (act) {
    case Activation::Sigmoid: dz.array() *= a.array() * (T(1) - a.array()); break;
    case Activation::Tanh: dz.array() *= T(1) - a.array().square(); break;
    case Activation::Relu: dz.array() *= (z.array() > T(0)).template cast<T>(); break;
    case Activation::Linear: break;
  }
}

template <class Vec>
Vec to_vec(const std::vector<float>& v) {
  return Eigen::Map<const Eigen::VectorXf>(v.data(), static_cast<Eigen::Index>(v.size())).template cast<typename Vec::Scalar>();
}

template <class Vec>
std::vector<float> from_vec(const Vec& v) {
  std::vector<float> out(static_cast<size_t>(v.size()));
  Eigen::Map<Eigen::VectorXf>(out.data(), v.size()) = v.template cast<float>();
  return out;
}

}  // namespace

// [SECTION] Parameters in and out

template <class T>
CpuNetwork<T>::CpuNetwork(const NetworkConfig& cfg, const NetworkParams& p) : cfg_(cfg) {
  set_params(p);
}

template <class T>
void CpuNetwork<T>::set_params(const NetworkParams& p) {
  layers_.resize(p.layers.size());
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const LayerParams& src = p.layers[l];
    Layer& L = layers_[l];
    L.norm = src.norm;
    L.has_bias = !src.bias.empty();
    // weight is (out, in) row-major on disk; Eigen stores column-major.
    using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    L.W = Eigen::Map<const RowMat>(src.weight.data(), src.out, src.in).template cast<T>();
    L.b = L.has_bias ? to_vec<Vec>(src.bias) : Vec::Zero(src.out);
    L.gamma = to_vec<Vec>(src.gamma);
    L.beta = to_vec<Vec>(src.beta);
    L.running_mean = to_vec<Vec>(src.running_mean);
    L.running_var = to_vec<Vec>(src.running_var);
    L.dW.setZero(src.out, src.in);
    L.db.setZero(src.out);
    L.dgamma.setZero(L.gamma.size());
    L.dbeta.setZero(L.beta.size());
    // A new starting point forgets the old velocity.
    L.vW.resize(0, 0);
    L.vb.resize(0);
    L.vgamma.resize(0);
    L.vbeta.resize(0);
  }
}

template <class T>
void CpuNetwork<T>::set_velocity(const NetworkParams& v) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  for (size_t l = 0; l < v.layers.size() && l < layers_.size(); ++l) {
    const LayerParams& src = v.layers[l];
    Layer& L = layers_[l];
    L.vW = Eigen::Map<const RowMat>(src.weight.data(), src.out, src.in).template cast<T>();
    L.vb = L.has_bias ? to_vec<Vec>(src.bias) : Vec();
    L.vgamma = to_vec<Vec>(src.gamma);
    L.vbeta = to_vec<Vec>(src.beta);
  }
}

template <class T>
NetworkParams CpuNetwork<T>::params() const {
  NetworkParams p;
  for (const Layer& L : layers_) {
    LayerParams d;
    d.in = static_cast<int>(L.W.cols());
    d.out = static_cast<int>(L.W.rows());
    d.norm = L.norm;
    d.weight.resize(static_cast<size_t>(d.in) * d.out);
    using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<RowMat>(d.weight.data(), d.out, d.in) = L.W.template cast<float>();
    if (L.has_bias) d.bias = from_vec(L.b);
    d.gamma = from_vec(L.gamma);
    d.beta = from_vec(L.beta);
    d.running_mean = from_vec(L.running_mean);
    d.running_var = from_vec(L.running_var);
    p.layers.push_back(std::move(d));
  }
  return p;
}

// [SECTION] Sparse batches

namespace {

// out[0..B) = Σ_e value[e] · col(index[e])[0..B), e < count, for columns `ld` apart from `m` on:
// the partial sums stay in vector registers through all the terms, in two sets (even and odd
// terms) so that consecutive multiply-adds do not wait for each other.
template <int B, class T>
void scaled_sum_block(const T* m, Eigen::Index ld, const int32_t* index, const T* value, int32_t count, T* out) {
  // Fixed-size Eigen vectors: whole vector-register operations, unrolled when compiling (a plain
  // loop here gets vectorized across the terms instead, with gathers).
  using Block = Eigen::Matrix<T, B, 1>;
  Block even = Block::Zero(), odd = Block::Zero();
  int32_t e = 0;
  for (; e + 1 < count; e += 2) {
    even.noalias() += value[e] * Eigen::Map<const Block>(m + index[e] * ld);
    odd.noalias() += value[e + 1] * Eigen::Map<const Block>(m + index[e + 1] * ld);
  }
  if (e < count) even.noalias() += value[e] * Eigen::Map<const Block>(m + index[e] * ld);
  Eigen::Map<Block> sum(out);
  sum = even + odd;
}

// out (M.rows()) = Σ_e value[e] · M.col(index[e]), e < count: a few of M's columns, scaled and
// summed, in blocks of 64 rows, then one block for each binary digit of what is left (100 rows:
// 64 + 32 + 4), so that every block's length is known when compiling.
template <class Mat, class T>
void scaled_column_sum(const Mat& M, const int32_t* index, const T* value, int32_t count, T* out) {
  const Eigen::Index rows = M.rows(), ld = M.outerStride();
  Eigen::Index r = 0;
  for (; rows - r >= 64; r += 64) scaled_sum_block<64>(M.data() + r, ld, index, value, count, out + r);
  auto tail = [&](auto block) {
    constexpr int B = decltype(block)::value;
    if ((rows - r) & B) {
      scaled_sum_block<B>(M.data() + r, ld, index, value, count, out + r);
      r += B;
    }
  };
  tail(std::integral_constant<int, 32>());
  tail(std::integral_constant<int, 16>());
  tail(std::integral_constant<int, 8>());
  tail(std::integral_constant<int, 4>());
  tail(std::integral_constant<int, 2>());
  tail(std::integral_constant<int, 1>());
}

}  // namespace

template <class T>
void SparseBatch<T>::index_inputs(int in) {
  const size_t nonzeros = example_input.size();
  input_start.assign(static_cast<size_t>(in) + 1, 0);
  for (int32_t p : example_input) ++input_start[p + 1];
  for (int p = 0; p < in; ++p) input_start[p + 1] += input_start[p];
  input_example.resize(nonzeros);
  input_value.resize(nonzeros);
  // Examples in ascending order: each input's entries come out ascending. `next` (in) is where
  // input p's next entry goes.
  std::vector<int32_t> next(input_start.begin(), input_start.end() - 1);
  for (int j = 0; j < examples(); ++j)
    for (int32_t e = example_start[j]; e < example_start[j + 1]; ++e) {
      const int32_t at = next[example_input[e]]++;
      input_example[at] = j;
      input_value[at] = example_value[e];
    }
}

// [SECTION] Forward

template <class T>
void CpuNetwork<T>::forward_hidden(int l, const Mat& u, PassMode mode, const BnNoiseKey* noise,
                                   const SparseBatch<T>* sparse) {
  Layer& L = layers_[static_cast<size_t>(l)];
  if (sparse) {
    // x.col(j) = Σ u(p, j)·W.col(p) over example j's non-zero inputs p.
    const Sparse& s = *sparse;
    L.x.resize(L.W.rows(), s.examples());
    for (Eigen::Index j = 0; j < L.x.cols(); ++j) {
      const int32_t first = s.example_start[j];
      scaled_column_sum(L.W, s.example_input.data() + first, s.example_value.data() + first, s.example_start[j + 1] - first,
                        L.x.col(j).data());
    }
  } else {
    L.x.noalias() = L.W * u;
  }
  if (L.has_bias) L.x.colwise() += L.b;
  const T eps = static_cast<T>(cfg_.bn.eps);
  const Eigen::Index m = L.x.cols();

  switch (L.norm) {
    case Norm::None:
      L.z = L.x;
      break;
    case Norm::Batch:
      if (mode == PassMode::Eval) {
        // Algorithm 2: normalize with the population estimates.
        L.mu = L.running_mean;
        L.inv_std = (L.running_var.array() + eps).rsqrt().matrix();
      } else {
        // Algorithm 1: per unit over the mini-batch, biased variance (1/m).
        L.mu = L.x.rowwise().mean();
        L.xhat = L.x.colwise() - L.mu;
        const Vec var = L.xhat.array().square().rowwise().mean().matrix();
        L.inv_std = (var.array() + eps).rsqrt().matrix();
        if (mode == PassMode::Train) {
          // PyTorch's BatchNorm1d: the running variance is the unbiased estimate m/(m−1)·σ²_B.
          const T mom = static_cast<T>(cfg_.bn.momentum);
          const T unbias = m > 1 ? T(m) / T(m - 1) : T(1);
          L.running_mean = (T(1) - mom) * L.running_mean + mom * L.mu;
          L.running_var = (T(1) - mom) * L.running_var + (mom * unbias) * var;
        }
      }
      L.xhat = (L.x.colwise() - L.mu).array().colwise() * L.inv_std.array();
      L.z = (L.xhat.array().colwise() * L.gamma.array()).colwise() + L.beta.array();
      if (noise && mode != PassMode::Eval && (cfg_.bn.noise_mean > 0 || cfg_.bn.noise_std > 0)) {
        // Noisy BN: the draws are float, as on the GPU, whatever T is.
        const auto a = static_cast<float>(cfg_.bn.noise_mean), b = static_cast<float>(cfg_.bn.noise_std);
        for (Eigen::Index j = 0; j < L.z.rows(); ++j) {
          float mu, sigma;
          bn_noise_unit(*noise, l, static_cast<int>(j), a, b, &mu, &sigma);
          for (Eigen::Index i = 0; i < m; ++i)
            L.z(j, i) += static_cast<T>(mu + sigma * bn_noise_gauss(*noise, l, static_cast<int>(j), static_cast<int>(i)));
        }
      }
      break;
    case Norm::Layer: {
      // Ba et al. 2016: per example over the layer's units; identical in every mode.
      L.mu = L.x.colwise().mean().transpose();
      L.xhat = L.x.rowwise() - L.mu.transpose();
      const Vec var = L.xhat.array().square().colwise().mean().transpose().matrix();
      L.inv_std = (var.array() + eps).rsqrt().matrix();
      L.xhat = L.xhat.array().rowwise() * L.inv_std.transpose().array();
      L.z = (L.xhat.array().colwise() * L.gamma.array()).colwise() + L.beta.array();
      break;
    }
  }
  activate(cfg_.model.activation, L.z, L.a);

  // Dropout after the activation (dropout.h); the masks are float draws, as on the GPU.
  const auto p = static_cast<float>(dropout_p(cfg_.model, static_cast<size_t>(l)));
  L.dropped = noise && mode != PassMode::Eval && p > 0;
  if (L.dropped) {
    const T scale = static_cast<T>(dropout_scale(p));
    L.keep.resize(L.a.rows(), m);
    for (Eigen::Index i = 0; i < m; ++i)
      for (Eigen::Index j = 0; j < L.a.rows(); ++j)
        L.keep(j, i) = dropout_keep(*noise, l, static_cast<int>(j), static_cast<int>(i), p) ? scale : T(0);
    L.out = (L.a.array() * L.keep.array()).matrix();
  }
}

template <class T>
T CpuNetwork<T>::forward(const Mat& u, const int32_t* labels, PassMode mode, const BnNoiseKey* noise,
                         const SparseBatch<T>* sparse, int from) {
  const Mat* input = from == 0 ? &u : &layers_[static_cast<size_t>(from) - 1].output();
  const size_t hidden = layers_.size() - 1;
  for (size_t l = static_cast<size_t>(from); l < hidden; ++l) {
    forward_hidden(static_cast<int>(l), *input, mode, noise, l == 0 ? sparse : nullptr);
    input = &layers_[l].output();
  }
  Layer& out = layers_.back();
  out.a.noalias() = out.W * *input;
  out.a.colwise() += out.b;

  // Softmax cross-entropy, stabilized by subtracting each column's maximum.
  const Eigen::Index m = out.a.cols();
  probs_ = out.a.rowwise() - out.a.colwise().maxCoeff();
  probs_ = probs_.array().exp().matrix();
  const auto sums = probs_.colwise().sum().eval();
  probs_.array().rowwise() /= sums.array();
  T loss = 0;
  for (Eigen::Index j = 0; j < m; ++j) loss -= std::log(std::max(probs_(labels[j], j), std::numeric_limits<T>::min()));
  return loss / T(m);
}

// [SECTION] Backward

template <class T>
void CpuNetwork<T>::backward_norm(Layer& L) {
  // On entry L.dz = ∂ℓ/∂z; on exit L.dz = ∂ℓ/∂x.
  if (L.norm == Norm::None) return;
  const bool learn = cfg_.bn.learn_affine;
  if (learn) {
    L.dgamma = (L.dz.array() * L.xhat.array()).rowwise().sum().matrix();
    L.dbeta = L.dz.rowwise().sum();
  }
  // ∂ℓ/∂x̂ = ∂ℓ/∂y · γ
  L.dz.array().colwise() *= L.gamma.array();
  // The paper's §3 chain, per normalized group of size n (BN: the batch; LN: the units):
  //   ∂ℓ/∂σ² = Σ ∂ℓ/∂x̂ · (x−μ) · (−½)(σ²+ε)^(−3/2)
  //   ∂ℓ/∂μ  = Σ ∂ℓ/∂x̂ · (−1/√(σ²+ε)) + ∂ℓ/∂σ² · Σ −2(x−μ)/n      (the second sum is 0)
  //   ∂ℓ/∂x  = ∂ℓ/∂x̂ /√(σ²+ε) + ∂ℓ/∂σ² · 2(x−μ)/n + ∂ℓ/∂μ /n
  // With x−μ = x̂/inv_std this collapses to
  //   ∂ℓ/∂x = inv_std · (∂ℓ/∂x̂ − mean(∂ℓ/∂x̂) − x̂ · mean(∂ℓ/∂x̂ · x̂)).
  if (L.norm == Norm::Batch) {
    const Vec mean_d = L.dz.rowwise().mean();
    const Vec mean_dx = (L.dz.array() * L.xhat.array()).rowwise().mean().matrix();
    L.dz = ((L.dz.colwise() - mean_d).array() - L.xhat.array().colwise() * mean_dx.array()).colwise() *
           L.inv_std.array();
  } else {
    const Vec mean_d = L.dz.colwise().mean().transpose();
    const Vec mean_dx = (L.dz.array() * L.xhat.array()).colwise().mean().transpose().matrix();
    L.dz = ((L.dz.rowwise() - mean_d.transpose()).array() - L.xhat.array().rowwise() * mean_dx.transpose().array())
               .rowwise() *
           L.inv_std.transpose().array();
  }
}

template <class T>
void CpuNetwork<T>::backward(const Mat& u, const int32_t* labels, const SparseBatch<T>* sparse, int down_to) {
  const size_t hidden = layers_.size() - 1;
  Layer& out = layers_.back();
  const Eigen::Index m = probs_.cols();

  // ∂ℓ/∂logits = (softmax − onehot) / m for the batch-mean loss.
  out.dz = probs_;
  for (Eigen::Index j = 0; j < m; ++j) out.dz(labels[j], j) -= T(1);
  out.dz /= T(m);

  for (size_t l = hidden + 1; l-- > static_cast<size_t>(down_to);) {
    Layer& L = layers_[l];
    if (l < hidden) {
      if (L.dropped) L.dz.array() *= L.keep.array();  // ∂ℓ/∂out → ∂ℓ/∂a
      activation_backward(cfg_.model.activation, L.z, L.a, L.dz);
      backward_norm(L);
    }
    if (l == 0 && sparse) {
      // ∂ℓ/∂W.col(p) = Σ u(p, j)·dz.col(j) over the examples j in which input p is non-zero.
      const Sparse& s = *sparse;
      for (Eigen::Index p = 0; p < L.dW.cols(); ++p) {
        const int32_t first = s.input_start[p];
        scaled_column_sum(L.dz, s.input_example.data() + first, s.input_value.data() + first, s.input_start[p + 1] - first,
                          L.dW.col(p).data());
      }
    } else {
      L.dW.noalias() = L.dz * (l == 0 ? u : layers_[l - 1].output()).transpose();
    }
    if (L.has_bias) L.db = L.dz.rowwise().sum();
    if (l > static_cast<size_t>(down_to)) layers_[l - 1].dz.noalias() = L.W.transpose() * L.dz;
  }
}

// [SECTION] Update

namespace {

template <class P>
void sgd(P& param, const P& grad, P& velocity, double lr, double momentum) {
  using T = typename P::Scalar;
  if (momentum == 0) {
    param -= T(lr) * grad;
    return;
  }
  if (velocity.size() != grad.size()) velocity = P::Zero(grad.rows(), grad.cols());
  velocity = T(momentum) * velocity + grad;
  param -= T(lr) * velocity;
}

}  // namespace

template <class T>
void CpuNetwork<T>::update() {
  const double lr = cfg_.optim.lr, mom = cfg_.optim.momentum;
  for (Layer& L : layers_) {
    sgd(L.W, L.dW, L.vW, lr, mom);
    if (L.has_bias) sgd(L.b, L.db, L.vb, lr, mom);
    if (L.norm != Norm::None && cfg_.bn.learn_affine) {
      sgd(L.gamma, L.dgamma, L.vgamma, lr, mom);
      sgd(L.beta, L.dbeta, L.vbeta, lr, mom);
    }
  }
}

template struct SparseBatch<float>;
template struct SparseBatch<double>;
template class CpuNetwork<float>;
template class CpuNetwork<double>;

}  // namespace bnlab
