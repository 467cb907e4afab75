// test_gradients.cpp — the CPU reference's gradients against central finite differences in
// float64, for every activation × normalization × learned/frozen γ/β; BN's eval mode against a
// hand computation with the running statistics; what update() moves and what it leaves alone.
//
// [SECTION] Helpers
// [SECTION] Finite-difference checks
// [SECTION] Eval mode uses the running statistics
// [SECTION] Update

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/cpu_network.h"
#include "core/network.h"
#include "core/rng.h"

namespace bnlab {
namespace {

using Net = CpuNetwork<double>;
using Mat = Net::Mat;
using Vec = Net::Vec;

// [SECTION] Helpers

constexpr int kIn = 5, kClasses = 3, kBatch = 8;

NetworkConfig make_config(Activation act, std::vector<Norm> norms, bool learn_affine,
                          std::vector<int> hidden = {7, 6}) {
  NetworkConfig c;
  c.name = "net";
  c.model.hidden = std::move(hidden);
  c.model.activation = act;
  c.model.norm = std::move(norms);
  c.model.init = Init::Gaussian;
  c.model.init_std = 0.6;
  c.bn.learn_affine = learn_affine;
  c.optim.lr = 0.1;
  return c;
}

// A network whose every parameter is non-trivial: random biases, γ away from 1, β away from 0,
// running statistics away from (0, 1) — so a gradient that ignores one of them shows.
Net make_net(const NetworkConfig& c, uint64_t seed) {
  Net net(c, init_params(c.model, c.bn, kIn, kClasses, seed));
  Rng rng(seed, 7);
  for (auto& L : net.layers()) {
    if (L.has_bias)
      for (Eigen::Index i = 0; i < L.b.size(); ++i) L.b(i) = 0.3 * rng.normal();
    for (Eigen::Index i = 0; i < L.gamma.size(); ++i) L.gamma(i) = 0.8 + 0.6 * rng.uniform();
    for (Eigen::Index i = 0; i < L.beta.size(); ++i) L.beta(i) = 0.4 * rng.normal();
    for (Eigen::Index i = 0; i < L.running_mean.size(); ++i) L.running_mean(i) = 0.5 * rng.normal();
    for (Eigen::Index i = 0; i < L.running_var.size(); ++i) L.running_var(i) = 0.5 + rng.uniform();
  }
  return net;
}

struct Batch {
  Mat u;                        // (in, m)
  std::vector<int32_t> labels;  // (m)
};

Batch make_batch(uint64_t seed, int m = kBatch) {
  Rng rng(seed, 11);
  Batch b;
  b.u.resize(kIn, m);
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < kIn; ++i) b.u(i, j) = rng.normal();
  for (int j = 0; j < m; ++j) b.labels.push_back(static_cast<int32_t>(j % kClasses));
  return b;
}

// Smallest |z| over every hidden layer of the last forward pass: ReLU's kink lies at 0.
double min_abs_nonlin_input(const Net& net) {
  double m = 1e300;
  for (size_t l = 0; l + 1 < net.layers().size(); ++l) m = std::min(m, net.layers()[l].z.cwiseAbs().minCoeff());
  return m;
}

// Compares an analytic gradient with central differences of `loss` over the entries of `param`.
// Fails when the relative error of the whole tensor exceeds 1e-6 or an entry is off by more than
// 1e-8 + 1e-6·|numeric| (round-off of the differences is ~3e-10 here).
template <class P, class F>
void check_tensor(const std::string& what, P& param, const P& analytic, F loss) {
  ASSERT_EQ(param.rows(), analytic.rows()) << what;
  ASSERT_EQ(param.cols(), analytic.cols()) << what;
  ASSERT_GT(param.size(), 0) << what;
  const double h = 1e-6;
  P numeric(param.rows(), param.cols());
  for (Eigen::Index k = 0; k < param.size(); ++k) {
    const double saved = param.data()[k];
    param.data()[k] = saved + h;
    const double lp = loss();
    param.data()[k] = saved - h;
    const double lm = loss();
    param.data()[k] = saved;
    numeric.data()[k] = (lp - lm) / (2 * h);
  }
  const double diff = (analytic - numeric).norm();
  const double scale = analytic.norm() + numeric.norm();
  if (scale < 1e-8) {
    // A gradient that is truly zero (β of a layer whose linear output feeds a BN layer: the next
    // mean subtraction removes any per-unit shift). Both sides must agree on that.
    EXPECT_LE(analytic.norm(), 1e-8) << what;
    EXPECT_LE(numeric.norm(), 1e-8) << what;
    return;
  }
  EXPECT_LE(diff / scale, 1e-6) << what << ": relative error " << diff / scale << "\nanalytic " << analytic.transpose()
                                << "\nnumeric  " << numeric.transpose();
  for (Eigen::Index k = 0; k < param.size(); ++k) {
    const double a = analytic.data()[k], n = numeric.data()[k];
    EXPECT_LE(std::abs(a - n), 1e-8 + 1e-6 * std::abs(n))
        << what << "[" << k << "]: analytic " << a << " numeric " << n;
  }
}

// Every parameter's analytic gradient (left in the network by its last backward) against central
// differences of `loss`; γ and β only where they are learned.
template <class F>
void check_parameters(Net& net, bool learn_affine, F loss) {
  for (size_t l = 0; l < net.layers().size(); ++l) {
    auto& L = net.layers()[l];
    const std::string tag = "layer " + std::to_string(l) + " ";
    const Mat dW = L.dW;
    check_tensor(tag + "W", L.W, dW, loss);
    if (L.has_bias) {
      const Vec db = L.db;
      check_tensor(tag + "b", L.b, db, loss);
    }
    if (L.norm != Norm::None && learn_affine) {
      const Vec dgamma = L.dgamma, dbeta = L.dbeta;
      check_tensor(tag + "gamma", L.gamma, dgamma, loss);
      check_tensor(tag + "beta", L.beta, dbeta, loss);
    }
  }
}

// [SECTION] Finite-difference checks

using GradCase = std::tuple<Activation, Norm, bool>;  // activation, norm of both layers, learn γ/β

class GradCheck : public ::testing::TestWithParam<GradCase> {};

TEST_P(GradCheck, AllParametersAndInputMatchCentralDifferences) {
  const auto [act, norm, learn] = GetParam();
  const NetworkConfig cfg = make_config(act, {norm, norm}, learn);

  // ReLU: pick a batch whose nonlinearity inputs all lie well away from the kink, so a ±1e-6
  // step in any parameter cannot cross it (the central difference would then be meaningless).
  uint64_t seed = 1;
  Net net = make_net(cfg, seed);
  Batch b = make_batch(seed);
  for (; seed < 200; ++seed) {
    net = make_net(cfg, seed);
    b = make_batch(seed);
    net.forward(b.u, b.labels.data(), PassMode::Probe);
    if (act != Activation::Relu || min_abs_nonlin_input(net) > 1e-3) break;
  }
  ASSERT_LT(seed, 200u) << "no batch keeps ReLU inputs away from 0";

  // Analytic gradients of a training pass (batch statistics).
  const double loss0 = net.forward(b.u, b.labels.data(), PassMode::Train);
  ASSERT_TRUE(std::isfinite(loss0));
  net.backward(b.u, b.labels.data());

  // The loss as a function of the parameters: batch statistics, running statistics untouched.
  auto loss = [&] { return net.forward(b.u, b.labels.data(), PassMode::Probe); };
  EXPECT_NEAR(loss(), loss0, 1e-14) << "Train and Probe passes must give the same loss";

  check_parameters(net, learn, loss);
  // The input gradient: layer 0's ∂ℓ/∂x (left in dz by backward) through Wᵀ.
  const Mat du = net.layers()[0].W.transpose() * net.layers()[0].dz;
  check_tensor("input u", b.u, du, loss);
}

std::string case_name(const ::testing::TestParamInfo<GradCase>& info) {
  const auto [act, norm, learn] = info.param;
  std::string s = std::string(to_string(act)) + "_" + to_string(norm);
  if (norm != Norm::None) s += learn ? "_learn" : "_frozen";
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    GradAll, GradCheck,
    ::testing::Values(
        GradCase{Activation::Sigmoid, Norm::None, true}, GradCase{Activation::Sigmoid, Norm::Batch, true},
        GradCase{Activation::Sigmoid, Norm::Batch, false}, GradCase{Activation::Sigmoid, Norm::Layer, true},
        GradCase{Activation::Sigmoid, Norm::Layer, false}, GradCase{Activation::Tanh, Norm::None, true},
        GradCase{Activation::Tanh, Norm::Batch, true}, GradCase{Activation::Tanh, Norm::Batch, false},
        GradCase{Activation::Tanh, Norm::Layer, true}, GradCase{Activation::Tanh, Norm::Layer, false},
        GradCase{Activation::Relu, Norm::None, true}, GradCase{Activation::Relu, Norm::Batch, true},
        GradCase{Activation::Relu, Norm::Batch, false}, GradCase{Activation::Relu, Norm::Layer, true},
        GradCase{Activation::Relu, Norm::Layer, false}, GradCase{Activation::Linear, Norm::None, true},
        GradCase{Activation::Linear, Norm::Batch, true}, GradCase{Activation::Linear, Norm::Batch, false},
        GradCase{Activation::Linear, Norm::Layer, true}, GradCase{Activation::Linear, Norm::Layer, false}),
    case_name);

// Layers with different normalizations in one network, three hidden layers deep.
TEST(GradMixed, BatchLayerNoneStackMatchesCentralDifferences) {
  const NetworkConfig cfg = make_config(Activation::Tanh, {Norm::Batch, Norm::Layer, Norm::None}, true, {7, 6, 4});
  Net net = make_net(cfg, 3);
  Batch b = make_batch(3);
  net.forward(b.u, b.labels.data(), PassMode::Train);
  net.backward(b.u, b.labels.data());
  auto loss = [&] { return net.forward(b.u, b.labels.data(), PassMode::Probe); };
  check_parameters(net, true, loss);
}

// Dropout (core/dropout.h): with the step's mask held fixed (the same key in every pass), the
// gradients of every parameter and of the input are those of the dropped network's loss, with
// and without normalization before the activation; the mask really drops units.
TEST(GradDropout, FixedMaskMatchesCentralDifferences) {
  for (Activation act : {Activation::Sigmoid, Activation::Tanh})
    for (Norm norm : {Norm::None, Norm::Batch, Norm::Layer}) {
      SCOPED_TRACE(std::string(to_string(act)) + " " + to_string(norm));
      NetworkConfig cfg = make_config(act, {norm, norm}, true);
      cfg.model.dropout = {0.3, 0.6};
      Net net = make_net(cfg, 5);
      Batch b = make_batch(5);
      const BnNoiseKey key{5, 2};
      const double loss0 = net.forward(b.u, b.labels.data(), PassMode::Train, &key);
      net.backward(b.u, b.labels.data());
      for (size_t l = 0; l < 2; ++l) {
        const auto& L = net.layers()[l];
        ASSERT_TRUE(L.dropped);
        EXPECT_GT((L.keep.array() == 0).count(), 0) << "layer " << l << " dropped nothing";
        EXPECT_GT((L.keep.array() > 0).count(), 0) << "layer " << l << " kept nothing";
      }
      auto loss = [&] { return net.forward(b.u, b.labels.data(), PassMode::Probe, &key); };
      EXPECT_NEAR(loss(), loss0, 1e-14);
      EXPECT_GT(std::abs(loss0 - net.forward(b.u, b.labels.data(), PassMode::Probe)), 1e-3)
          << "the mask must change the loss";
      check_parameters(net, true, loss);
      const Mat du = net.layers()[0].W.transpose() * net.layers()[0].dz;
      check_tensor("input u", b.u, du, loss);
    }
}

// Noisy BN (core/bn_noise.h): with the step's draws held fixed, the gradients of every
// parameter and of the input are those of the noisy loss; the noise really changes that loss;
// and eval mode ignores it.
TEST(GradNoisyBn, NoisyBatchNormMatchesCentralDifferences) {
  NetworkConfig cfg = make_config(Activation::Sigmoid, {Norm::Batch, Norm::Batch}, true);
  cfg.bn.noise_mean = 0.8;
  cfg.bn.noise_std = 0.6;
  Net net = make_net(cfg, 4);
  Batch b = make_batch(4);
  const BnNoiseKey key{9, 31};
  const double loss0 = net.forward(b.u, b.labels.data(), PassMode::Train, &key);
  net.backward(b.u, b.labels.data());
  auto loss = [&] { return net.forward(b.u, b.labels.data(), PassMode::Probe, &key); };
  EXPECT_NEAR(loss(), loss0, 1e-14);
  EXPECT_GT(std::abs(net.forward(b.u, b.labels.data(), PassMode::Probe) - loss0), 1e-3) << "the noise changes the loss";
  EXPECT_EQ(net.forward(b.u, b.labels.data(), PassMode::Eval, &key), net.forward(b.u, b.labels.data(), PassMode::Eval));
  check_parameters(net, true, loss);
  const Mat du = net.layers()[0].W.transpose() * net.layers()[0].dz;
  check_tensor("input u", b.u, du, loss);
}

// u's non-zero entries as the first layer takes them.
SparseBatch<double> sparse_of(const Mat& u) {
  SparseBatch<double> s;
  for (Eigen::Index j = 0; j < u.cols(); ++j) {
    s.example_start.push_back(static_cast<int32_t>(s.example_input.size()));
    for (Eigen::Index p = 0; p < u.rows(); ++p)
      if (u(p, j) != 0) {
        s.example_input.push_back(static_cast<int32_t>(p));
        s.example_value.push_back(u(p, j));
      }
  }
  s.example_start.push_back(static_cast<int32_t>(s.example_input.size()));
  s.index_inputs(static_cast<int>(u.rows()));
  return s;
}

// The first layer over a batch's non-zero inputs only: the same loss and gradients as the dense
// pass up to round-off, ∂ℓ/∂W exactly 0 at an input that is 0 in every example, and the
// gradients still match central differences; with BN, LayerNorm and none first. The batch has
// scattered zeros, two inputs 0 throughout and an example that is all zeros.
TEST(GradSparseInput, NonZeroInputsGiveTheDenseLossAndGradients) {
  for (Norm first : {Norm::None, Norm::Batch, Norm::Layer}) {
    const NetworkConfig cfg = make_config(Activation::Tanh, {first, Norm::None}, true);
    Net dense = make_net(cfg, 6), sparse = make_net(cfg, 6);
    Batch b = make_batch(6);
    b.u.row(1).setZero();
    b.u.row(4).setZero();
    b.u.col(3).setZero();
    b.u(0, 5) = b.u(2, 0) = b.u(3, 7) = 0;
    const SparseBatch<double> s = sparse_of(b.u);
    EXPECT_EQ(s.input_start[2] - s.input_start[1], 0);
    const double loss_dense = dense.forward(b.u, b.labels.data(), PassMode::Train);
    dense.backward(b.u, b.labels.data());
    const double loss_sparse = sparse.forward(Mat(), b.labels.data(), PassMode::Train, nullptr, &s);
    sparse.backward(Mat(), b.labels.data(), &s);
    const std::string tag = std::string("first layer norm ") + to_string(first);
    EXPECT_NEAR(loss_sparse, loss_dense, 1e-13) << tag;
    for (size_t l = 0; l < dense.layers().size(); ++l) {
      EXPECT_LE((sparse.layers()[l].dW - dense.layers()[l].dW).cwiseAbs().maxCoeff(), 1e-13) << tag << " layer " << l;
      EXPECT_LE((sparse.layers()[l].a - dense.layers()[l].a).cwiseAbs().maxCoeff(), 1e-13) << tag << " layer " << l;
    }
    EXPECT_EQ(sparse.layers()[0].dW.col(1).cwiseAbs().maxCoeff(), 0.0) << tag;
    EXPECT_EQ(sparse.layers()[0].dW.col(4).cwiseAbs().maxCoeff(), 0.0) << tag;
    EXPECT_GT(sparse.layers()[0].dW.col(2).cwiseAbs().maxCoeff(), 1e-6) << tag;
    auto loss = [&] { return sparse.forward(b.u, b.labels.data(), PassMode::Probe); };
    check_parameters(sparse, true, loss);
  }
}

// The edges of a sparse batch: a batch of one example, and a batch with no non-zero at all (the
// first layer's pre-activation is its bias alone and ∂ℓ/∂W is 0), as the dense pass gives them.
TEST(GradSparseInput, OneExampleAndAllZeroBatches) {
  const NetworkConfig cfg = make_config(Activation::Sigmoid, {Norm::Layer, Norm::None}, true);
  Batch one = make_batch(7, 1), zeros = make_batch(8);
  one.u(2, 0) = 0;
  zeros.u.setZero();
  for (const Batch* b : {&one, &zeros}) {
    Net dense = make_net(cfg, 9), sparse = make_net(cfg, 9);
    const SparseBatch<double> s = sparse_of(b->u);
    const double loss_dense = dense.forward(b->u, b->labels.data(), PassMode::Train);
    dense.backward(b->u, b->labels.data());
    EXPECT_NEAR(sparse.forward(Mat(), b->labels.data(), PassMode::Train, nullptr, &s), loss_dense, 1e-13);
    sparse.backward(Mat(), b->labels.data(), &s);
    for (size_t l = 0; l < dense.layers().size(); ++l)
      EXPECT_LE((sparse.layers()[l].dW - dense.layers()[l].dW).cwiseAbs().maxCoeff(), 1e-13) << "m " << b->u.cols() << " layer " << l;
  }
  Net sparse = make_net(cfg, 9);
  const SparseBatch<double> s = sparse_of(zeros.u);
  sparse.forward(Mat(), zeros.labels.data(), PassMode::Train, nullptr, &s);
  sparse.backward(Mat(), zeros.labels.data(), &s);
  EXPECT_EQ(sparse.layers()[0].dW.cwiseAbs().maxCoeff(), 0.0);
}

// The float network's gradients agree with the double network's (float is what trains).
TEST(GradFloat, FloatGradientsAgreeWithDouble) {
  const NetworkConfig cfg = make_config(Activation::Sigmoid, {Norm::Batch, Norm::Batch}, true);
  const NetworkParams p = init_params(cfg.model, cfg.bn, kIn, kClasses, 5);
  Net d(cfg, p);
  CpuNetwork<float> f(cfg, p);
  const Batch b = make_batch(5, 16);
  const Eigen::MatrixXf uf = b.u.cast<float>();
  d.forward(b.u, b.labels.data(), PassMode::Train);
  d.backward(b.u, b.labels.data());
  f.forward(uf, b.labels.data(), PassMode::Train);
  f.backward(uf, b.labels.data());
  for (size_t l = 0; l < d.layers().size(); ++l) {
    const double ref = d.layers()[l].dW.norm();
    EXPECT_LE((f.layers()[l].dW.cast<double>() - d.layers()[l].dW).norm(), 1e-4 * ref + 1e-7) << "layer " << l;
  }
}

// [SECTION] Eval mode uses the running statistics

// The whole forward pass written out with plain loops, BN normalizing with running statistics.
std::vector<double> hand_eval_probs(const Net& net, const Mat& u, int j, std::vector<std::vector<double>>* zs) {
  const auto& cfg = net.config();
  std::vector<double> in(u.rows());
  for (Eigen::Index i = 0; i < u.rows(); ++i) in[i] = u(i, j);
  for (size_t l = 0; l < net.layers().size(); ++l) {
    const auto& L = net.layers()[l];
    const bool hidden = l + 1 < net.layers().size();
    std::vector<double> out(L.W.rows());
    for (Eigen::Index r = 0; r < L.W.rows(); ++r) {
      double x = L.has_bias ? L.b(r) : 0.0;
      for (Eigen::Index c = 0; c < L.W.cols(); ++c) x += L.W(r, c) * in[c];
      out[r] = x;
    }
    if (!hidden) {
      double mx = -1e300, sum = 0;
      for (double v : out) mx = std::max(mx, v);
      for (double& v : out) sum += (v = std::exp(v - mx));
      for (double& v : out) v /= sum;
      return out;
    }
    EXPECT_EQ(L.norm, Norm::Batch);
    for (Eigen::Index r = 0; r < L.W.rows(); ++r) {
      double z = L.gamma(r) * (out[r] - L.running_mean(r)) / std::sqrt(L.running_var(r) + cfg.bn.eps) + L.beta(r);
      (*zs)[l].push_back(z);
      switch (cfg.model.activation) {
        case Activation::Sigmoid: z = 1 / (1 + std::exp(-z)); break;
        case Activation::Tanh: z = std::tanh(z); break;
        case Activation::Relu: z = std::max(z, 0.0); break;
        case Activation::Linear: break;
      }
      out[r] = z;
    }
    in = out;
  }
  return {};
}

TEST(GradEval, BatchNormEvalUsesRunningStatistics) {
  const NetworkConfig cfg = make_config(Activation::Sigmoid, {Norm::Batch, Norm::Batch}, true);
  Net net = make_net(cfg, 9);
  const Batch b = make_batch(9);

  const double train_loss = net.forward(b.u, b.labels.data(), PassMode::Probe);
  const Mat train_probs = net.probabilities();
  // Running statistics before the eval pass, to check it leaves them alone.
  std::vector<Vec> rm, rv;
  for (const auto& L : net.layers()) rm.push_back(L.running_mean), rv.push_back(L.running_var);

  const double eval_loss = net.forward(b.u, b.labels.data(), PassMode::Eval);
  const Mat eval_probs = net.probabilities();
  EXPECT_GT(std::abs(eval_loss - train_loss), 1e-3) << "eval and train mode must differ";
  EXPECT_GT((eval_probs - train_probs).cwiseAbs().maxCoeff(), 1e-3);

  for (int j = 0; j < kBatch; ++j) {
    std::vector<std::vector<double>> zs(net.layers().size());
    const std::vector<double> p = hand_eval_probs(net, b.u, j, &zs);
    ASSERT_EQ(p.size(), static_cast<size_t>(kClasses));
    for (int k = 0; k < kClasses; ++k) EXPECT_NEAR(eval_probs(k, j), p[k], 1e-12) << "example " << j << " class " << k;
    for (size_t l = 0; l + 1 < net.layers().size(); ++l)
      for (size_t r = 0; r < zs[l].size(); ++r)
        EXPECT_NEAR(net.layers()[l].z(static_cast<Eigen::Index>(r), j), zs[l][r], 1e-12) << "layer " << l;
  }
  for (size_t l = 0; l < net.layers().size(); ++l) {
    EXPECT_EQ(net.layers()[l].running_mean, rm[l]) << "eval pass changed running_mean of layer " << l;
    EXPECT_EQ(net.layers()[l].running_var, rv[l]) << "eval pass changed running_var of layer " << l;
  }
  // An example's eval output does not depend on the rest of its batch.
  const Mat one = b.u.col(2);
  net.forward(one, b.labels.data() + 2, PassMode::Eval);
  EXPECT_LE((net.probabilities().col(0) - eval_probs.col(2)).cwiseAbs().maxCoeff(), 1e-14);
}

// [SECTION] Update

TEST(GradUpdate, FrozenAffineStaysLearnedAffineMoves) {
  for (const Norm norm : {Norm::Batch, Norm::Layer}) {
    for (const bool learn : {true, false}) {
      SCOPED_TRACE(std::string(to_string(norm)) + (learn ? " learn" : " frozen"));
      const NetworkConfig cfg = make_config(Activation::Tanh, {norm, norm}, learn);
      Net net = make_net(cfg, 4);
      const Batch b = make_batch(4);
      std::vector<Vec> g0, b0;
      std::vector<Mat> w0;
      for (const auto& L : net.layers()) g0.push_back(L.gamma), b0.push_back(L.beta), w0.push_back(L.W);
      for (int step = 0; step < 3; ++step) {
        net.forward(b.u, b.labels.data(), PassMode::Train);
        net.backward(b.u, b.labels.data());
        net.update();
      }
      for (size_t l = 0; l + 1 < net.layers().size(); ++l) {
        const auto& L = net.layers()[l];
        ASSERT_EQ(L.gamma.size(), 7 - static_cast<Eigen::Index>(l));
        if (learn) {
          EXPECT_GT((L.gamma - g0[l]).cwiseAbs().maxCoeff(), 1e-6) << "learned γ did not move, layer " << l;
          EXPECT_GT((L.beta - b0[l]).cwiseAbs().maxCoeff(), 1e-6) << "learned β did not move, layer " << l;
        } else {
          EXPECT_EQ(L.gamma, g0[l]) << "frozen γ moved, layer " << l;
          EXPECT_EQ(L.beta, b0[l]) << "frozen β moved, layer " << l;
        }
        EXPECT_GT((L.W - w0[l]).cwiseAbs().maxCoeff(), 1e-6) << "W did not move, layer " << l;
      }
    }
  }
}

TEST(GradUpdate, SgdAndHeavyBallFollowTheirFormulas) {
  for (const double mom : {0.0, 0.9}) {
    SCOPED_TRACE("momentum " + std::to_string(mom));
    NetworkConfig cfg = make_config(Activation::Sigmoid, {Norm::Batch, Norm::None}, true);
    cfg.optim.lr = 0.3;
    cfg.optim.momentum = mom;
    Net net = make_net(cfg, 6);
    const Batch b = make_batch(6);
    const size_t n = net.layers().size();
    std::vector<Mat> vW(n);
    std::vector<Vec> vb(n), vg(n), vbeta(n);
    for (size_t l = 0; l < n; ++l) {
      const auto& L = net.layers()[l];
      vW[l] = Mat::Zero(L.W.rows(), L.W.cols());
      vb[l] = Vec::Zero(L.b.size());
      vg[l] = Vec::Zero(L.gamma.size());
      vbeta[l] = Vec::Zero(L.beta.size());
    }
    for (int step = 0; step < 3; ++step) {
      net.forward(b.u, b.labels.data(), PassMode::Train);
      net.backward(b.u, b.labels.data());
      std::vector<Mat> W(n);
      std::vector<Vec> bias(n), g(n), be(n);
      for (size_t l = 0; l < n; ++l) {
        const auto& L = net.layers()[l];
        vW[l] = mom * vW[l] + L.dW;
        W[l] = L.W - cfg.optim.lr * vW[l];
        if (L.has_bias) vb[l] = mom * vb[l] + L.db, bias[l] = L.b - cfg.optim.lr * vb[l];
        if (L.norm != Norm::None) {
          vg[l] = mom * vg[l] + L.dgamma, g[l] = L.gamma - cfg.optim.lr * vg[l];
          vbeta[l] = mom * vbeta[l] + L.dbeta, be[l] = L.beta - cfg.optim.lr * vbeta[l];
        }
      }
      net.update();
      for (size_t l = 0; l < n; ++l) {
        const auto& L = net.layers()[l];
        EXPECT_LE((L.W - W[l]).cwiseAbs().maxCoeff(), 1e-14) << "step " << step << " layer " << l;
        if (L.has_bias) {
          EXPECT_LE((L.b - bias[l]).cwiseAbs().maxCoeff(), 1e-14) << "step " << step << " layer " << l;
        }
        if (L.norm != Norm::None) {
          EXPECT_LE((L.gamma - g[l]).cwiseAbs().maxCoeff(), 1e-14) << "step " << step << " layer " << l;
          EXPECT_LE((L.beta - be[l]).cwiseAbs().maxCoeff(), 1e-14) << "step " << step << " layer " << l;
        }
      }
    }
  }
}

}  // namespace
}  // namespace bnlab
