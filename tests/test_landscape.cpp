// test_landscape.cpp — the "why BN works" meters (core/landscape.h) against an independent
// float64 oracle, and the promise that measuring never changes the run.
//
// [SECTION] The oracle: a plain float64 MLP and finite differences
// [SECTION] Every quantity against the oracle
// [SECTION] The trainer: what is measured, and that it changes nothing

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/batches.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/landscape.h"
#include "core/network.h"
#include "core/rng.h"
#include "core/trainer.h"

namespace bnlab {
namespace {

// [SECTION] The oracle: a plain float64 MLP and finite differences

constexpr int kIn = 4, kClasses = 3, kBatch = 6;

// One layer written out with plain vectors: W (out, in) row-major, b, γ, β as lists.
struct OLayer {
  int in = 0, out = 0;
  Norm norm = Norm::None;
  bool has_bias = true;
  std::vector<double> W, b, g, be;
};
using OParams = std::vector<OLayer>;

struct OSetup {
  double eps = 1e-5;
  bool learn_affine = true;
  const std::vector<std::vector<double>>* u;  // (m, in)
  const std::vector<int>* labels;             // (m)
};

// The mean cross-entropy of a sigmoid MLP in train mode (batch statistics), written from the
// papers' formulas without reusing anything of core/.
double oracle_loss(const OParams& P, const OSetup& s) {
  const size_t m = s.u->size();
  std::vector<std::vector<double>> h = *s.u;  // (m, width)
  for (size_t l = 0; l < P.size(); ++l) {
    const OLayer& L = P[l];
    std::vector<std::vector<double>> x(m, std::vector<double>(L.out, 0.0));
    for (size_t i = 0; i < m; ++i)
      for (int j = 0; j < L.out; ++j) {
        double v = L.has_bias ? L.b[j] : 0.0;
        for (int k = 0; k < L.in; ++k) v += L.W[j * L.in + k] * h[i][k];
        x[i][j] = v;
      }
    if (l + 1 == P.size()) {
      double loss = 0;
      for (size_t i = 0; i < m; ++i) {
        double mx = x[i][0];
        for (double v : x[i]) mx = std::max(mx, v);
        double z = 0;
        for (double v : x[i]) z += std::exp(v - mx);
        loss -= x[i][(*s.labels)[i]] - mx - std::log(z);
      }
      return loss / static_cast<double>(m);
    }
    if (L.norm == Norm::Batch) {  // Algorithm 1: per unit over the batch, biased variance
      for (int j = 0; j < L.out; ++j) {
        double mu = 0, var = 0;
        for (size_t i = 0; i < m; ++i) mu += x[i][j] / static_cast<double>(m);
        for (size_t i = 0; i < m; ++i) var += (x[i][j] - mu) * (x[i][j] - mu) / static_cast<double>(m);
        for (size_t i = 0; i < m; ++i) x[i][j] = L.g[j] * (x[i][j] - mu) / std::sqrt(var + s.eps) + L.be[j];
      }
    } else if (L.norm == Norm::Layer) {  // Ba et al.: per example over the units
      for (size_t i = 0; i < m; ++i) {
        double mu = 0, var = 0;
        for (int j = 0; j < L.out; ++j) mu += x[i][j] / L.out;
        for (int j = 0; j < L.out; ++j) var += (x[i][j] - mu) * (x[i][j] - mu) / L.out;
        for (int j = 0; j < L.out; ++j) x[i][j] = L.g[j] * (x[i][j] - mu) / std::sqrt(var + s.eps) + L.be[j];
      }
    }
    for (auto& row : x)
      for (double& v : row) v = 1.0 / (1.0 + std::exp(-v));
    h = std::move(x);
  }
  return 0;
}

// Pointers to every trainable number of layer `l` (weights first), or of all layers when l < 0.
std::vector<double*> trainable(OParams& P, bool learn_affine, int only_layer = -1, bool weights_only = false) {
  std::vector<double*> out;
  for (size_t l = 0; l < P.size(); ++l) {
    if (only_layer >= 0 && static_cast<int>(l) != only_layer) continue;
    OLayer& L = P[l];
    for (double& v : L.W) out.push_back(&v);
    if (weights_only) continue;
    if (L.has_bias)
      for (double& v : L.b) out.push_back(&v);
    if (L.norm != Norm::None && learn_affine) {
      for (double& v : L.g) out.push_back(&v);
      for (double& v : L.be) out.push_back(&v);
    }
  }
  return out;
}

// Central differences, h = 1e-6, of the loss with respect to `which`.
std::vector<double> fd_gradient(OParams P, const OSetup& s, int only_layer = -1, bool weights_only = false) {
  std::vector<double> g;
  for (double* p : trainable(P, s.learn_affine, only_layer, weights_only)) {
    const double keep = *p, h = 1e-6;
    *p = keep + h;
    const double up = oracle_loss(P, s);
    *p = keep - h;
    const double down = oracle_loss(P, s);
    *p = keep;
    g.push_back((up - down) / (2 * h));
  }
  return g;
}

double norm(const std::vector<double>& a) {
  double s = 0;
  for (double v : a) s += v * v;
  return std::sqrt(s);
}

std::vector<double> minus(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// [SECTION] Every quantity against the oracle

using Net = CpuNetwork<double>;

struct Case {
  Norm norm;
  bool learn_affine;
};

class LandscapeOracle : public ::testing::TestWithParam<Case> {};

TEST_P(LandscapeOracle, EveryQuantityMatchesTheHandComputation) {
  const Case c = GetParam();
  NetworkConfig cfg;
  cfg.name = "net";
  cfg.model.hidden = {5, 4};
  cfg.model.activation = Activation::Sigmoid;
  cfg.model.norm.assign(2, c.norm);
  cfg.model.init_std = 0.8;
  cfg.bn.learn_affine = c.learn_affine;
  cfg.optim.lr = 0.7;
  cfg.optim.momentum = 0.9;

  // Parameters away from their initial values, and a non-zero velocity, so that an update that
  // ignored one of them, or momentum, would show.
  Net net(cfg, init_params(cfg.model, cfg.bn, kIn, kClasses, 3));
  Rng rng(3, 9);
  NetworkParams velocity = net.params();
  for (auto& L : net.layers()) {
    if (L.has_bias)
      for (Eigen::Index i = 0; i < L.b.size(); ++i) L.b(i) = 0.3 * rng.normal();
    for (Eigen::Index i = 0; i < L.gamma.size(); ++i) L.gamma(i) = 0.7 + 0.6 * rng.uniform();
    for (Eigen::Index i = 0; i < L.beta.size(); ++i) L.beta(i) = 0.4 * rng.normal();
  }
  for (auto& L : velocity.layers)
    for (auto* t : {&L.weight, &L.bias, &L.gamma, &L.beta})
      for (float& v : *t) v = static_cast<float>(0.05 * rng.normal());
  net.set_velocity(velocity);

  Net::Mat u(kIn, kBatch);
  std::vector<std::vector<double>> rows(kBatch, std::vector<double>(kIn));
  std::vector<int32_t> labels(kBatch);
  std::vector<int> olabels(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    for (int k = 0; k < kIn; ++k) rows[i][k] = u(k, i) = rng.normal();
    labels[i] = olabels[i] = i % kClasses;
  }
  const std::vector<double> mults = {0.25, 1, 4};

  // The oracle's copy of θ_t and v_t.
  OParams P;
  OParams V;
  for (const auto& L : net.layers()) {
    OLayer o, v;
    o.in = v.in = static_cast<int>(L.W.cols());
    o.out = v.out = static_cast<int>(L.W.rows());
    o.norm = v.norm = L.norm;
    o.has_bias = v.has_bias = L.has_bias;
    for (int j = 0; j < o.out; ++j)
      for (int k = 0; k < o.in; ++k) {
        o.W.push_back(L.W(j, k));
        v.W.push_back(L.vW(j, k));
      }
    if (L.has_bias)
      for (Eigen::Index j = 0; j < L.b.size(); ++j) {
        o.b.push_back(L.b(j));
        v.b.push_back(L.vb(j));
      }
    for (Eigen::Index j = 0; j < L.gamma.size(); ++j) {
      o.g.push_back(L.gamma(j));
      o.be.push_back(L.beta(j));
      v.g.push_back(L.vgamma(j));
      v.be.push_back(L.vbeta(j));
    }
    P.push_back(o);
    V.push_back(v);
  }
  const OSetup s{cfg.bn.eps, c.learn_affine, &rows, &olabels};

  const NetworkParams before = net.params();
  const NetworkLandscape got = measure_landscape(net, u, labels.data(), BnNoiseKey{}, mults);
  const NetworkParams after = net.params();
  for (size_t l = 0; l < before.layers.size(); ++l) ASSERT_EQ(before.layers[l].weight, after.layers[l].weight);

  auto near = [](double got, double want, const char* what, size_t i) {
    EXPECT_NEAR(got, want, 1e-9 + 2e-5 * std::abs(want)) << what << " [" << i << "]";
  };

  // θ_{t+1} by the network's own rule: v′ = μ·v + g, θ − lr·v′, over every trainable number.
  const std::vector<double> g = fd_gradient(P, s);
  OParams next = P;
  {
    auto p = trainable(next, c.learn_affine), vel = trainable(V, c.learn_affine);
    ASSERT_EQ(p.size(), g.size());
    for (size_t i = 0; i < p.size(); ++i) *p[i] -= cfg.optim.lr * (cfg.optim.momentum * *vel[i] + g[i]);
  }
  ASSERT_EQ(got.ics.size(), P.size());
  EXPECT_EQ(got.ics[0].l2, 0.f);
  EXPECT_EQ(got.ics[0].cos, 1.f);
  for (size_t i = 1; i < P.size(); ++i) {
    OParams moved = P;
    for (size_t l = 0; l < i; ++l) moved[l] = next[l];
    const std::vector<double> G = fd_gradient(P, s, static_cast<int>(i), true);
    const std::vector<double> G2 = fd_gradient(moved, s, static_cast<int>(i), true);
    double dot = 0;
    for (size_t k = 0; k < G.size(); ++k) dot += G[k] * G2[k];
    const double diff = norm(minus(G, G2));
    near(got.ics[i].l2, diff, "ics_l2", i);
    near(got.ics[i].cos, dot / (norm(G) * norm(G2)), "ics_cos", i);
    near(got.ics[i].rel, diff / norm(G), "ics_rel", i);
    EXPECT_GT(diff, 1e-4) << "layer " << i + 1 << ": the update must move the gradient measurably";
  }

  // The landscape along −g.
  ASSERT_EQ(got.loss_at.size(), mults.size());
  double beta = 0;
  for (size_t j = 0; j < mults.size(); ++j) {
    const double eta = mults[j] * cfg.optim.lr;
    OParams moved = P;
    auto p = trainable(moved, c.learn_affine);
    for (size_t i = 0; i < p.size(); ++i) *p[i] -= eta * g[i];
    near(got.loss_at[j], oracle_loss(moved, s), "loss_at", j);
    const double gp = norm(minus(g, fd_gradient(moved, s)));
    near(got.gradpred[j], gp, "gradpred", j);
    beta = std::max(beta, gp / (eta * norm(g)));
  }
  near(got.beta_smooth, beta, "beta_smooth", 0);
  EXPECT_EQ(got.loss_min(), *std::min_element(got.loss_at.begin(), got.loss_at.end()));
  EXPECT_EQ(got.gradpred_max(), *std::max_element(got.gradpred.begin(), got.gradpred.end()));
}

INSTANTIATE_TEST_SUITE_P(Norms, LandscapeOracle,
                         ::testing::Values(Case{Norm::None, true}, Case{Norm::Batch, true}, Case{Norm::Layer, true},
                                           Case{Norm::Batch, false}),
                         [](const auto& info) {
                           return std::string(to_string(info.param.norm)) + (info.param.learn_affine ? "" : "_frozen");
                         });

TEST(LandscapeQuantities, NamesInFileOrder) {
  NetworkLandscape n;
  n.loss_at = {2.f, 1.f, 3.f};
  n.gradpred = {0.5f, 0.25f, 0.75f};
  n.beta_smooth = 7.f;
  const auto q = network_quantities(n, {0.25, 1, 4});
  ASSERT_EQ(q.size(), 8u);
  EXPECT_EQ(q[0], std::make_pair(std::string("loss_min"), 1.f));
  EXPECT_EQ(q[1], std::make_pair(std::string("loss_max"), 3.f));
  EXPECT_EQ(q[2], std::make_pair(std::string("gradpred_min"), 0.25f));
  EXPECT_EQ(q[3], std::make_pair(std::string("gradpred_max"), 0.75f));
  EXPECT_EQ(q[4], std::make_pair(std::string("beta_smooth"), 7.f));
  EXPECT_EQ(q[5].first, "loss_at_0.25");
  EXPECT_EQ(q[7], std::make_pair(std::string("loss_at_4"), 3.f));
}

// Scratch networks carried from one measurement to the next (as each trainer thread keeps them)
// give what fresh ones give, bit for bit, whatever network they measured before: one with BN,
// momentum and frozen γ/β, then one with none of these.
TEST(LandscapeScratch, ReusedScratchMeasuresAsAFreshOne) {
  NetworkConfig first, second;
  first.model.hidden = {6, 5};
  first.model.norm.assign(2, Norm::Batch);
  first.bn.learn_affine = false;
  first.optim.momentum = 0.9;
  second.model.hidden = {5, 4, 3};
  second.model.norm.assign(3, Norm::None);
  second.optim.lr = 0.3;
  Net a(first, init_params(first.model, first.bn, kIn, kClasses, 1));
  Net b(second, init_params(second.model, second.bn, kIn, kClasses, 2));
  NetworkParams velocity = a.params();
  for (auto& L : velocity.layers)
    for (float& v : L.weight) v = 0.01f;
  a.set_velocity(velocity);
  Rng rng(5, 1);
  Net::Mat u(kIn, kBatch);
  std::vector<int32_t> labels(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    for (int k = 0; k < kIn; ++k) u(k, i) = rng.normal();
    labels[i] = i % kClasses;
  }
  const std::vector<double> mults = {0.5, 2};
  LandscapeScratch<double> scratch;
  measure_landscape(a, u, nullptr, labels.data(), BnNoiseKey{}, mults, scratch);
  const NetworkLandscape reused = measure_landscape(b, u, nullptr, labels.data(), BnNoiseKey{}, mults, scratch);
  const NetworkLandscape fresh = measure_landscape(b, u, labels.data(), BnNoiseKey{}, mults);
  ASSERT_EQ(reused.ics.size(), fresh.ics.size());
  for (size_t i = 0; i < fresh.ics.size(); ++i) {
    EXPECT_EQ(reused.ics[i].l2, fresh.ics[i].l2) << i;
    EXPECT_EQ(reused.ics[i].cos, fresh.ics[i].cos) << i;
  }
  EXPECT_EQ(reused.loss_at, fresh.loss_at);
  EXPECT_EQ(reused.gradpred, fresh.gradpred);
  EXPECT_EQ(reused.beta_smooth, fresh.beta_smooth);
  // And the first network again, after the second: its momentum buffers come back with it.
  const NetworkLandscape again = measure_landscape(a, u, nullptr, labels.data(), BnNoiseKey{}, mults, scratch);
  const NetworkLandscape a_fresh = measure_landscape(a, u, labels.data(), BnNoiseKey{}, mults);
  for (size_t i = 0; i < a_fresh.ics.size(); ++i) EXPECT_EQ(again.ics[i].l2, a_fresh.ics[i].l2) << i;
  EXPECT_EQ(again.gradpred, a_fresh.gradpred);
}

// [SECTION] The trainer: what is measured, and that it changes nothing

RunConfig small_mnist(int64_t every) {
  RunConfig cfg = build_config("paper-fig1", "",
                               {"data.kind=mnist-10k", "data.train_size=600", "data.test_size=100", "model.hidden=32,24",
                                "landscape.every=" + std::to_string(every), "optim.momentum=0.9", "optim.lr=0.1"});
  cfg.networks[1].bn.noise_mean = 0.5;  // noisy BN: the meters must see the draws training sees
  cfg.networks[1].bn.noise_std = 0.5;
  return cfg;
}

TEST(LandscapeTrainer, MeasuringChangesNothingBitForBit) {
  const RunConfig off = small_mnist(0), on = small_mnist(7);
  const DataSplit data = load_data(off.data, off.seed);
  auto a = make_cpu_trainer(off, data), b = make_cpu_trainer(on, data);
  for (int chunk : {5, 30, 1, 64}) {  // chunk edges on and off the measured steps
    a->train(chunk);
    b->train(chunk);
  }
  const std::vector<float> la = a->take_losses(), lb = b->take_losses();
  ASSERT_EQ(la.size(), lb.size());
  EXPECT_EQ(0, std::memcmp(la.data(), lb.data(), la.size() * sizeof(float))) << "losses differ with the meters on";
  for (int n = 0; n < 2; ++n) {
    const NetworkParams pa = a->params(n), pb = b->params(n);
    for (size_t l = 0; l < pa.layers.size(); ++l) {
      EXPECT_EQ(pa.layers[l].weight, pb.layers[l].weight);
      EXPECT_EQ(pa.layers[l].running_mean, pb.layers[l].running_mean);
      EXPECT_EQ(pa.layers[l].running_var, pb.layers[l].running_var);
    }
  }
  EXPECT_TRUE(a->take_landscape().empty());
  const std::vector<LandscapeStats> got = b->take_landscape();
  ASSERT_EQ(got.size(), 15u);  // steps 0, 7, …, 98 of the 100
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k].step, static_cast<int64_t>(7 * k));
    ASSERT_EQ(got[k].networks.size(), 2u);
    for (const auto& n : got[k].networks) {
      EXPECT_TRUE(n.measured);
      EXPECT_EQ(n.ics.size(), 3u);
      EXPECT_EQ(n.loss_at.size(), 5u);
      EXPECT_GT(n.beta_smooth, 0.f);
    }
  }
  // Momentum continues with the same buffers: the next steps still agree.
  a->train(20);
  b->train(20);
  EXPECT_EQ(a->take_losses(), b->take_losses());
}

// θ_t and the batch: without momentum θ_{t+1} = θ_t − lr·g, so L(θ_t − 1·lr·g) on the measured
// batch is the loss the trained network at step t + 1 has on the batch step t + 1 trained on.
TEST(LandscapeTrainer, MeasuresAtThetaTOnTheNextUpdatesBatch) {
  RunConfig cfg = small_mnist(10);
  cfg.networks.resize(1);  // no BN, no noise
  cfg.networks[0].optim.momentum = 0;
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->train(20);
  t->take_landscape();
  t->train(1);  // measures at 20, then takes step 21
  const std::vector<LandscapeStats> got = t->take_landscape();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].step, 20);
  const float loss_at_1 = got[0].networks[0].loss_at[2];  // multiplier 1

  BatchOrder order(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed);
  order.skip(20);
  const int32_t* idx = order.next();
  CpuNetwork<float>::Mat u(data.train.dim, cfg.batch);
  std::vector<int32_t> y(cfg.batch);
  for (int j = 0; j < cfg.batch; ++j) {
    std::copy_n(data.train.example(idx[j]), data.train.dim, u.col(j).data());
    y[j] = data.train.y[idx[j]];
  }
  CpuNetwork<float> next(cfg.networks[0], t->params(0));
  EXPECT_NEAR(next.forward(u, y.data(), PassMode::Probe), loss_at_1, 1e-5);
}

}  // namespace
}  // namespace bnlab
