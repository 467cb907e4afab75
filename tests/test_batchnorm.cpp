// test_batchnorm.cpp — BatchNorm and LayerNorm of the CPU reference against the papers, computed
// by hand in plain loops: Algorithm 1's forward pass, PyTorch's running statistics, the §3
// backward formulas written literally, LayerNorm's per-example statistics, and which layers carry
// a bias.
//
// [SECTION] Helpers
// [SECTION] BatchNorm forward and running statistics
// [SECTION] BatchNorm backward, the paper's §3 literally
// [SECTION] LayerNorm
// [SECTION] Bias and normalization parameters

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/cpu_network.h"
#include "core/network.h"
#include "core/rng.h"

namespace bnlab {
namespace {

// [SECTION] Helpers

// One hidden layer of `width` units (input `in`), `classes` outputs, deterministic non-trivial
// weights, γ and β per unit, running statistics away from their initial (0, 1).
template <class T>
CpuNetwork<T> tiny_net(Norm norm, Activation act, int in, int width, int classes, double momentum = 0.1) {
  NetworkConfig c;
  c.name = "tiny";
  c.model.hidden = {width};
  c.model.norm = {norm};
  c.model.activation = act;
  c.bn.momentum = momentum;
  NetworkParams p = init_params(c.model, c.bn, in, classes, 3);
  LayerParams& h = p.layers[0];
  for (int r = 0; r < width; ++r)
    for (int k = 0; k < in; ++k) h.weight[r * in + k] = 0.25f * static_cast<float>(((r * 7 + k * 3) % 11) - 5);
  if (!h.bias.empty())
    for (int r = 0; r < width; ++r) h.bias[r] = 0.1f * static_cast<float>(r) - 0.2f;
  for (size_t r = 0; r < h.gamma.size(); ++r) h.gamma[r] = 0.5f + 0.25f * static_cast<float>(r);
  for (size_t r = 0; r < h.beta.size(); ++r) h.beta[r] = -0.3f + 0.2f * static_cast<float>(r);
  for (size_t r = 0; r < h.running_mean.size(); ++r) h.running_mean[r] = 0.125f * static_cast<float>(r);
  for (size_t r = 0; r < h.running_var.size(); ++r) h.running_var[r] = 1.5f + 0.5f * static_cast<float>(r);
  return CpuNetwork<T>(c, p);
}

// (in, m) inputs with distinct values: u(i, j).
template <class Mat>
Mat tiny_input(int in, int m) {
  Mat u(in, m);
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < in; ++i) u(i, j) = static_cast<typename Mat::Scalar>(0.5 * std::sin(1.3 * i + 2.1 * j + 0.4) + 0.1 * j);
  return u;
}

// x = W u (+ b) of the hidden layer, by hand: x[r][j].
template <class Net>
std::vector<std::vector<double>> hand_x(const Net& net, const typename Net::Mat& u) {
  const auto& L = net.layers()[0];
  std::vector<std::vector<double>> x(L.W.rows(), std::vector<double>(u.cols()));
  for (Eigen::Index r = 0; r < L.W.rows(); ++r)
    for (Eigen::Index j = 0; j < u.cols(); ++j) {
      double s = L.has_bias ? static_cast<double>(L.b(r)) : 0.0;
      for (Eigen::Index k = 0; k < u.rows(); ++k) s += static_cast<double>(L.W(r, k)) * static_cast<double>(u(k, j));
      x[r][j] = s;
    }
  return x;
}

// [SECTION] BatchNorm forward and running statistics

// Algorithm 1, per unit over the batch: μ, biased σ², x̂ = (x−μ)/√(σ²+ε), y = γx̂+β.
template <class T>
void check_bn_forward(double tol) {
  auto net = tiny_net<T>(Norm::Batch, Activation::Sigmoid, 3, 2, 2);
  using Mat = typename CpuNetwork<T>::Mat;
  const int m = 4;
  const Mat u = tiny_input<Mat>(3, m);
  const int32_t labels[m] = {0, 1, 1, 0};
  net.forward(u, labels, PassMode::Train);
  const auto& L = net.layers()[0];
  const auto x = hand_x(net, u);
  const double eps = 1e-5;
  for (int r = 0; r < 2; ++r) {
    double mu = 0;
    for (int j = 0; j < m; ++j) mu += x[r][j];
    mu /= m;
    double var = 0;
    for (int j = 0; j < m; ++j) var += (x[r][j] - mu) * (x[r][j] - mu);
    var /= m;  // biased
    for (int j = 0; j < m; ++j) {
      const double xhat = (x[r][j] - mu) / std::sqrt(var + eps);
      const double y = static_cast<double>(L.gamma(r)) * xhat + static_cast<double>(L.beta(r));
      EXPECT_NEAR(static_cast<double>(L.x(r, j)), x[r][j], tol) << "x unit " << r << " example " << j;
      EXPECT_NEAR(static_cast<double>(L.xhat(r, j)), xhat, tol) << "x̂ unit " << r << " example " << j;
      EXPECT_NEAR(static_cast<double>(L.z(r, j)), y, tol) << "y unit " << r << " example " << j;
      EXPECT_NEAR(static_cast<double>(L.a(r, j)), 1 / (1 + std::exp(-y)), tol) << "sigmoid unit " << r;
    }
  }
}

TEST(BatchNormForward, MatchesAlgorithm1ByHandDouble) { check_bn_forward<double>(1e-12); }
TEST(BatchNormForward, MatchesAlgorithm1ByHandFloat) { check_bn_forward<float>(2e-5); }

TEST(BatchNormForward, ConstantUnitGivesBetaNotNaN) {
  // A unit whose input is the same for every example has σ² = 0: x̂ = 0, y = β (ε keeps it finite).
  auto net = tiny_net<double>(Norm::Batch, Activation::Linear, 3, 2, 2);
  net.layers()[0].W.row(1).setZero();
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(3, 4);
  const int32_t labels[4] = {0, 1, 0, 1};
  EXPECT_TRUE(std::isfinite(net.forward(u, labels, PassMode::Train)));
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(net.layers()[0].z(1, j), net.layers()[0].beta(1));
}

// PyTorch's BatchNorm1d: running = (1−momentum)·running + momentum·batch, and running_var takes
// the unbiased batch variance m/(m−1)·σ²_B.
TEST(BatchNormRunning, OneTrainStepUpdatesLikePyTorch) {
  for (const double momentum : {0.1, 0.35}) {
    SCOPED_TRACE("momentum " + std::to_string(momentum));
    auto net = tiny_net<double>(Norm::Batch, Activation::Tanh, 3, 2, 2, momentum);
    const int m = 5;
    const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(3, m);
    const int32_t labels[m] = {0, 1, 1, 0, 1};
    const Eigen::VectorXd rm0 = net.layers()[0].running_mean, rv0 = net.layers()[0].running_var;
    ASSERT_NE(rm0(1), 0.0);
    ASSERT_NE(rv0(1), 1.0);
    const auto x = hand_x(net, u);
    net.forward(u, labels, PassMode::Train);
    const auto& L = net.layers()[0];
    for (int r = 0; r < 2; ++r) {
      double mu = 0;
      for (int j = 0; j < m; ++j) mu += x[r][j];
      mu /= m;
      double ss = 0;
      for (int j = 0; j < m; ++j) ss += (x[r][j] - mu) * (x[r][j] - mu);
      const double unbiased = ss / (m - 1);
      EXPECT_NEAR(L.running_mean(r), (1 - momentum) * rm0(r) + momentum * mu, 1e-12) << "unit " << r;
      EXPECT_NEAR(L.running_var(r), (1 - momentum) * rv0(r) + momentum * unbiased, 1e-12) << "unit " << r;
    }
  }
}

TEST(BatchNormRunning, TwoTrainStepsCompound) {
  auto net = tiny_net<double>(Norm::Batch, Activation::Sigmoid, 3, 2, 2);
  const Eigen::MatrixXd u1 = tiny_input<Eigen::MatrixXd>(3, 4);
  const Eigen::MatrixXd u2 = 2.0 * tiny_input<Eigen::MatrixXd>(3, 4).array() + 1.0;
  const int32_t labels[4] = {0, 1, 1, 0};
  const Eigen::VectorXd rm0 = net.layers()[0].running_mean, rv0 = net.layers()[0].running_var;
  auto batch_stats = [&](const Eigen::MatrixXd& u, Eigen::VectorXd* mu, Eigen::VectorXd* var) {
    const Eigen::MatrixXd x = net.layers()[0].W * u;
    *mu = x.rowwise().mean();
    *var = (x.colwise() - *mu).array().square().rowwise().sum() / 3.0;  // unbiased, m = 4
  };
  Eigen::VectorXd mu1, var1, mu2, var2;
  batch_stats(u1, &mu1, &var1);
  batch_stats(u2, &mu2, &var2);
  net.forward(u1, labels, PassMode::Train);  // no update: W stays, so both batch stats are known
  net.forward(u2, labels, PassMode::Train);
  const Eigen::VectorXd rm = 0.9 * (0.9 * rm0 + 0.1 * mu1) + 0.1 * mu2;
  const Eigen::VectorXd rv = 0.9 * (0.9 * rv0 + 0.1 * var1) + 0.1 * var2;
  EXPECT_LE((net.layers()[0].running_mean - rm).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LE((net.layers()[0].running_var - rv).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(BatchNormRunning, ProbeAndEvalLeaveRunningStatisticsUntouched) {
  for (const PassMode mode : {PassMode::Probe, PassMode::Eval}) {
    auto net = tiny_net<float>(Norm::Batch, Activation::Sigmoid, 3, 2, 2);
    const Eigen::MatrixXf u = tiny_input<Eigen::MatrixXf>(3, 6);
    const int32_t labels[6] = {0, 1, 1, 0, 1, 0};
    const Eigen::VectorXf rm0 = net.layers()[0].running_mean, rv0 = net.layers()[0].running_var;
    for (int k = 0; k < 3; ++k) net.forward(u, labels, mode);
    EXPECT_EQ(net.layers()[0].running_mean, rm0) << "mode " << static_cast<int>(mode);
    EXPECT_EQ(net.layers()[0].running_var, rv0) << "mode " << static_cast<int>(mode);
    // ... while a Train pass does move them (the check above is not vacuous).
    net.forward(u, labels, PassMode::Train);
    EXPECT_NE(net.layers()[0].running_mean, rm0);
    EXPECT_NE(net.layers()[0].running_var, rv0);
  }
}

TEST(BatchNormRunning, ProbeOutputEqualsTrainOutput) {
  // A probe pass normalizes exactly like training (batch statistics), only without side effects.
  auto net = tiny_net<double>(Norm::Batch, Activation::Tanh, 3, 2, 2);
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(3, 6);
  const int32_t labels[6] = {0, 1, 1, 0, 1, 0};
  const double lp = net.forward(u, labels, PassMode::Probe);
  const Eigen::MatrixXd zp = net.layers()[0].z;
  const double lt = net.forward(u, labels, PassMode::Train);
  EXPECT_EQ(lp, lt);
  EXPECT_EQ(net.layers()[0].z, zp);
}

// [SECTION] BatchNorm backward, the paper's §3 literally

TEST(BatchNormBackward, MatchesPaperSection3Formulas) {
  const int in = 3, width = 4, classes = 3, m = 5;
  auto net = tiny_net<double>(Norm::Batch, Activation::Sigmoid, in, width, classes);
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(in, m);
  const int32_t labels[m] = {0, 2, 1, 1, 2};
  net.forward(u, labels, PassMode::Train);
  net.backward(u, labels);
  const auto& L = net.layers()[0];
  const auto& out = net.layers()[1];
  const double eps = 1e-5;

  // ∂ℓ/∂y for the BN output y = z of the hidden layer, by hand: softmax − one-hot over m,
  // back through the output layer and the sigmoid.
  const Eigen::MatrixXd& P = net.probabilities();
  std::vector<std::vector<double>> dy(width, std::vector<double>(m));
  for (int r = 0; r < width; ++r)
    for (int j = 0; j < m; ++j) {
      double s = 0;
      for (int k = 0; k < classes; ++k) s += out.W(k, r) * (P(k, j) - (labels[j] == k ? 1.0 : 0.0)) / m;
      const double a = L.a(r, j);
      dy[r][j] = s * a * (1 - a);
    }

  const auto x = hand_x(net, u);
  Eigen::MatrixXd dx(width, m);
  for (int r = 0; r < width; ++r) {
    const double gamma = L.gamma(r);
    double mu = 0;
    for (int j = 0; j < m; ++j) mu += x[r][j];
    mu /= m;
    double var = 0;
    for (int j = 0; j < m; ++j) var += (x[r][j] - mu) * (x[r][j] - mu);
    var /= m;
    std::vector<double> xhat(m), dxhat(m);
    for (int j = 0; j < m; ++j) {
      xhat[j] = (x[r][j] - mu) / std::sqrt(var + eps);
      dxhat[j] = dy[r][j] * gamma;  // ∂ℓ/∂x̂ = ∂ℓ/∂y · γ
    }
    // ∂ℓ/∂σ² = Σ ∂ℓ/∂x̂ · (x−μ) · (−½)(σ²+ε)^(−3/2)
    double dvar = 0;
    for (int j = 0; j < m; ++j) dvar += dxhat[j] * (x[r][j] - mu) * -0.5 * std::pow(var + eps, -1.5);
    // ∂ℓ/∂μ = (Σ ∂ℓ/∂x̂ · −1/√(σ²+ε)) + ∂ℓ/∂σ² · Σ −2(x−μ) / m
    double dmu = 0, sum_dev = 0;
    for (int j = 0; j < m; ++j) dmu += dxhat[j] * -1.0 / std::sqrt(var + eps);
    for (int j = 0; j < m; ++j) sum_dev += -2.0 * (x[r][j] - mu);
    dmu += dvar * sum_dev / m;
    // ∂ℓ/∂x = ∂ℓ/∂x̂ · 1/√(σ²+ε) + ∂ℓ/∂σ² · 2(x−μ)/m + ∂ℓ/∂μ · 1/m
    for (int j = 0; j < m; ++j)
      dx(r, j) = dxhat[j] / std::sqrt(var + eps) + dvar * 2.0 * (x[r][j] - mu) / m + dmu / m;
    // ∂ℓ/∂γ = Σ ∂ℓ/∂y · x̂, ∂ℓ/∂β = Σ ∂ℓ/∂y
    double dgamma = 0, dbeta = 0;
    for (int j = 0; j < m; ++j) dgamma += dy[r][j] * xhat[j], dbeta += dy[r][j];
    EXPECT_NEAR(L.dgamma(r), dgamma, 1e-14) << "dγ unit " << r;
    EXPECT_NEAR(L.dbeta(r), dbeta, 1e-14) << "dβ unit " << r;
    ASSERT_GT(std::abs(dgamma) + std::abs(dbeta), 1e-6) << "degenerate test: zero gradients";
  }
  // backward leaves ∂ℓ/∂x of the hidden layer in dz; W's gradient is ∂ℓ/∂x · uᵀ.
  EXPECT_LE((L.dz - dx).cwiseAbs().maxCoeff(), 1e-14) << "dx\n" << L.dz << "\npaper\n" << dx;
  const Eigen::MatrixXd dW = dx * u.transpose();
  EXPECT_LE((L.dW - dW).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_GT(dx.cwiseAbs().maxCoeff(), 1e-6);
}

// [SECTION] LayerNorm

TEST(LayerNormForward, NormalizesEachExampleOverItsUnits) {
  const int in = 3, width = 5, m = 4;
  auto net = tiny_net<double>(Norm::Layer, Activation::Linear, in, width, 2);
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(in, m);
  const int32_t labels[m] = {0, 1, 0, 1};
  net.forward(u, labels, PassMode::Train);
  const auto& L = net.layers()[0];
  const auto x = hand_x(net, u);  // includes the bias: LayerNorm layers keep theirs
  for (int j = 0; j < m; ++j) {
    double mu = 0, var = 0;
    for (int r = 0; r < width; ++r) mu += x[r][j];
    mu /= width;
    for (int r = 0; r < width; ++r) var += (x[r][j] - mu) * (x[r][j] - mu);
    var /= width;
    ASSERT_GT(var, 1e-3);
    double zmean = 0;
    for (int r = 0; r < width; ++r) {
      const double xhat = (x[r][j] - mu) / std::sqrt(var + 1e-5);
      EXPECT_NEAR(L.xhat(r, j), xhat, 1e-12) << "unit " << r << " example " << j;
      EXPECT_NEAR(L.z(r, j), L.gamma(r) * xhat + L.beta(r), 1e-12) << "unit " << r << " example " << j;
      zmean += L.xhat(r, j);
    }
    EXPECT_NEAR(zmean / width, 0.0, 1e-12) << "x̂ of example " << j << " must have mean 0 over the units";
  }
}

TEST(LayerNormForward, SameInEveryModeAndIndependentOfTheBatch) {
  const int in = 3, width = 5, m = 6;
  auto net = tiny_net<double>(Norm::Layer, Activation::Tanh, in, width, 2);
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(in, m);
  const int32_t labels[m] = {0, 1, 0, 1, 1, 0};
  const double lt = net.forward(u, labels, PassMode::Train);
  const Eigen::MatrixXd zt = net.layers()[0].z;
  EXPECT_EQ(net.forward(u, labels, PassMode::Probe), lt);
  EXPECT_EQ(net.layers()[0].z, zt);
  EXPECT_EQ(net.forward(u, labels, PassMode::Eval), lt);
  EXPECT_EQ(net.layers()[0].z, zt);
  // Example 3 alone gives the same column: no statistics across examples.
  const Eigen::MatrixXd one = u.col(3);
  net.forward(one, labels + 3, PassMode::Train);
  EXPECT_LE((net.layers()[0].z.col(0) - zt.col(3)).cwiseAbs().maxCoeff(), 1e-14);
  // LayerNorm has no running statistics.
  EXPECT_EQ(net.layers()[0].running_mean.size(), 0);
  EXPECT_EQ(net.layers()[0].running_var.size(), 0);
}

TEST(BatchNormForward, DependsOnTheRestOfTheBatchInTrainMode) {
  // The contrast with LayerNorm: BN's output for one example changes with its batch mates.
  auto net = tiny_net<double>(Norm::Batch, Activation::Tanh, 3, 2, 2);
  Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(3, 4);
  const int32_t labels[4] = {0, 1, 0, 1};
  net.forward(u, labels, PassMode::Probe);
  const Eigen::VectorXd z0 = net.layers()[0].z.col(0);
  u.col(3) *= 3.0;
  net.forward(u, labels, PassMode::Probe);
  EXPECT_GT((net.layers()[0].z.col(0) - z0).cwiseAbs().maxCoeff(), 1e-3);
}

// [SECTION] Bias and normalization parameters

TEST(BatchNormParams, BnLayersHaveNoBiasOthersDo) {
  ModelConfig model;
  model.hidden = {6, 5, 4};
  model.norm = {Norm::None, Norm::Batch, Norm::Layer};
  const NetworkParams p = init_params(model, BnConfig{}, 3, 2, 1);
  ASSERT_EQ(p.layers.size(), 4u);
  EXPECT_EQ(p.layers[0].bias.size(), 6u);
  EXPECT_TRUE(p.layers[0].gamma.empty());
  EXPECT_TRUE(p.layers[1].bias.empty()) << "BN drops the bias: β subsumes it";
  EXPECT_EQ(p.layers[1].gamma.size(), 5u);
  EXPECT_EQ(p.layers[1].running_var.size(), 5u);
  EXPECT_EQ(p.layers[2].bias.size(), 4u);
  EXPECT_EQ(p.layers[2].gamma.size(), 4u);
  EXPECT_TRUE(p.layers[2].running_mean.empty());
  EXPECT_EQ(p.layers[3].bias.size(), 2u) << "the output layer keeps its bias";

  NetworkConfig c;
  c.model = model;
  CpuNetwork<double> net(c, p);
  EXPECT_TRUE(net.layers()[0].has_bias);
  EXPECT_FALSE(net.layers()[1].has_bias);
  EXPECT_TRUE(net.layers()[2].has_bias);
  EXPECT_TRUE(net.layers()[3].has_bias);
  // No bias gradient in the BN layer, and params() round-trips without inventing one.
  const NetworkParams back = net.params();
  EXPECT_TRUE(back.layers[1].bias.empty());
  EXPECT_EQ(back.layers[0].bias.size(), 6u);
}

TEST(BatchNormParams, BnLayerComputesExactlyWuBeforeNormalizing) {
  auto net = tiny_net<double>(Norm::Batch, Activation::Sigmoid, 3, 2, 2);
  // Even a stale b vector inside the layer is not added when BN is on.
  net.layers()[0].b.setConstant(5.0);
  const Eigen::MatrixXd u = tiny_input<Eigen::MatrixXd>(3, 4);
  const int32_t labels[4] = {0, 1, 0, 1};
  net.forward(u, labels, PassMode::Train);
  EXPECT_LE((net.layers()[0].x - net.layers()[0].W * u).cwiseAbs().maxCoeff(), 1e-15);
}

}  // namespace
}  // namespace bnlab
