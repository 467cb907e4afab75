// test_gpu_parity.cpp — the GPU engine against the CPU reference, in the spirit of llm.c's tests:
// every tensor of step 0, then a loss trajectory, then statistics, then a deterministic rerun.
//
// [SECTION] Helpers
// [SECTION] Step 0: every activation, gradient and updated parameter
// [SECTION] Trajectories, running statistics and evaluation
// [SECTION] Snapshots
// [SECTION] Determinism, divergence and live changes
//
// Tests skip (with the reason) only when no OpenGL 4.3 context can be made at all; on CI's
// llvmpipe one always can, so there they run. Tolerances: |gpu − cpu| ≤ atol + rtol·|cpu|.

#include <gtest/gtest.h>

#include "tests/test_util.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "core/backend.h"
#include "core/batches.h"
#include "core/config.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/gl_program.h"
#include "core/gpu_trainer.h"
#include "core/network.h"
#include "core/trainer.h"

namespace bnlab {
namespace {

using nlohmann::json;

// [SECTION] Helpers

// Skips the test when this machine cannot make a GL 4.3 context at all.
#define REQUIRE_GL()                                                     \
  do {                                                                   \
    try {                                                                \
      GlContext probe;                                                   \
    } catch (const GpuError& e) {                                        \
      GTEST_SKIP() << "no OpenGL 4.3 compute context: " << e.what();     \
    }                                                                    \
  } while (0)

// MNIST with widths and a batch that are not multiples of 4 (the kernels' block edges), and
// four networks in lockstep: no norm, BN, LayerNorm, and BN with frozen γ/β and momentum.
RunConfig quad_config(const std::string& activation, const std::vector<std::string>& sets = {}) {
  json doc = {
      {"seed", 5},
      {"backend", "gpu"},
      {"data", {{"kind", "mnist-10k"}, {"train_size", 1000}, {"test_size", 301}}},
      {"model", {{"hidden", {30, 22}}, {"activation", activation}, {"init_std", 0.2}}},
      {"optim", {{"lr", 0.1}, {"momentum", 0.0}, {"batch", 18}}},
      {"stats", {{"probe_size", 101}, {"bins", 16}, {"typical_unit", 3}}},
      {"networks",
       {{{"name", "plain"}, {"model", {{"norm", "none"}}}},
        {{"name", "bn"}, {"model", {{"norm", "batch"}}}},
        {{"name", "ln"}, {"model", {{"norm", "layer"}}}},
        {{"name", "bn-frozen"},
         {"model", {{"norm", "batch"}}},
         {"bn", {{"affine", "frozen"}, {"gamma", 1.5}, {"beta", 0.25}}},
         {"optim", {{"lr", 0.05}, {"momentum", 0.9}}}}}}};
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

// Compares element by element; prints the first mismatches and the largest difference.
::testing::AssertionResult close(const std::string& what, const std::vector<float>& gpu, const float* cpu,
                                 size_t n, double atol, double rtol) {
  if (gpu.size() != n)
    return ::testing::AssertionFailure() << what << ": " << gpu.size() << " values on the GPU, " << n << " on the CPU";
  size_t bad = 0;
  double worst = 0;
  std::string first;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::abs(static_cast<double>(gpu[i]) - cpu[i]);
    const bool ok = d <= atol + rtol * std::abs(cpu[i]) || (std::isnan(gpu[i]) && std::isnan(cpu[i]));
    if (std::isfinite(d)) worst = std::max(worst, d);
    if (!ok && bad++ < 5) first += "\n  [" + std::to_string(i) + "] gpu " + std::to_string(gpu[i]) + " cpu " + std::to_string(cpu[i]);
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << bad << " of " << n << " differ (max |diff| " << worst
                                       << "), first:" << first;
}

::testing::AssertionResult close(const std::string& what, const std::vector<float>& gpu, const std::vector<float>& cpu,
                                 double atol, double rtol) {
  return close(what, gpu, cpu.data(), cpu.size(), atol, rtol);
}

template <class Mat>
std::vector<float> row_major(const Mat& m) {  // an Eigen (rows, cols) matrix as row-major floats
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m.template cast<float>();
  return std::vector<float>(r.data(), r.data() + r.size());
}

void expect_params_close(const NetworkParams& gpu, const NetworkParams& cpu, const std::string& what, double atol,
                         double rtol) {
  ASSERT_EQ(gpu.layers.size(), cpu.layers.size());
  for (size_t l = 0; l < gpu.layers.size(); ++l) {
    const LayerParams &g = gpu.layers[l], &c = cpu.layers[l];
    const std::string at = what + " layer " + std::to_string(l) + " ";
    EXPECT_TRUE(close(at + "weight", g.weight, c.weight, atol, rtol));
    EXPECT_TRUE(close(at + "bias", g.bias, c.bias, atol, rtol));
    EXPECT_TRUE(close(at + "gamma", g.gamma, c.gamma, atol, rtol));
    EXPECT_TRUE(close(at + "beta", g.beta, c.beta, atol, rtol));
    EXPECT_TRUE(close(at + "running_mean", g.running_mean, c.running_mean, atol, rtol));
    EXPECT_TRUE(close(at + "running_var", g.running_var, c.running_var, atol, rtol));
  }
}

// [SECTION] Step 0: every activation, gradient and updated parameter

// Each activation, without and with dropout (different p per network and layer, 0 in some, so
// both of a pass's paths run side by side): the CPU draws the masks of step 0 with the key the
// GPU's first step uses.
class GpuStepZero : public ::testing::TestWithParam<std::tuple<const char*, bool>> {};

TEST_P(GpuStepZero, EveryTensorMatchesTheCpuReference) {
  REQUIRE_GL();
  const auto [activation, dropout] = GetParam();
  const RunConfig cfg = quad_config(activation, dropout ? std::vector<std::string>{"model.dropout=0.3,0.5",
                                                                                  "networks.2.model.dropout=0.6,0",
                                                                                  "networks.0.model.dropout=0,0.2"}
                                                        : std::vector<std::string>{});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  gpu->train(1);
  const std::vector<float> gpu_loss = gpu->take_losses();

  // The same first batch, through the reference network.
  BatchOrder order(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed);
  const int32_t* idx = order.next();
  CpuNetwork<float>::Mat u(data.train.dim, cfg.batch);
  std::vector<int32_t> y(cfg.batch);
  for (int j = 0; j < cfg.batch; ++j) {
    std::copy_n(data.train.example(idx[j]), data.train.dim, u.col(j).data());
    y[j] = data.train.y[idx[j]];
  }
  for (int n = 0; n < static_cast<int>(cfg.networks.size()); ++n) {
    SCOPED_TRACE("network " + cfg.networks[n].name + ", " + activation + (dropout ? " with dropout" : ""));
    const NetworkConfig& nc = cfg.networks[n];
    CpuNetwork<float> cpu(nc, init_params(nc.model, nc.bn, data.train.dim, data.train.classes, cfg.seed));
    const BnNoiseKey key{cfg.seed, 0};
    const float loss = cpu.forward(u, y.data(), PassMode::Train, &key);
    cpu.backward(u, y.data());
    cpu.update();
    EXPECT_NEAR(gpu_loss[n], loss, 1e-5 + 1e-5 * std::abs(loss)) << "step-0 loss";

    for (size_t l = 0; l < cpu.layers().size(); ++l) {
      const auto& L = cpu.layers()[l];
      const GpuLayerTensors t = gpu_layer_tensors(*gpu, n, static_cast<int>(l), cfg.batch);
      const std::string at = "layer " + std::to_string(l) + " ";
      const size_t size = static_cast<size_t>(L.a.size());
      const bool hidden = l + 1 < cpu.layers().size();
      // Activations are (out, batch) column-major on the CPU: (batch, out) row-major like the GPU's.
      if (hidden) {
        EXPECT_TRUE(close(at + "x", t.x, L.x.data(), size, 1e-5, 1e-4));
        if (L.norm != Norm::None) {
          EXPECT_TRUE(close(at + "xhat", t.xhat, L.xhat.data(), size, 1e-4, 1e-4));
        }
        EXPECT_TRUE(close(at + "z", t.z, L.z.data(), size, 1e-4, 1e-4));
        EXPECT_TRUE(close(at + "a", t.a, L.a.data(), size, 1e-5, 1e-4));
        EXPECT_EQ(L.dropped, dropout_p(nc.model, l) > 0);
        if (L.dropped) {
          EXPECT_TRUE(close(at + "a after dropout", t.out, L.out.data(), size, 1e-5, 1e-4));
        }
      } else {
        EXPECT_TRUE(close(at + "logits", t.x, L.a.data(), size, 1e-5, 1e-4));
      }
      // After backward the CPU's dz holds ∂ℓ/∂x (the output layer: ∂ℓ/∂logits).
      EXPECT_TRUE(close(at + "dx", t.dx, L.dz.data(), static_cast<size_t>(L.dz.size()), 1e-6, 1e-3));
      EXPECT_TRUE(close(at + "dW", t.dW, row_major(L.dW), 1e-6, 1e-3));
      if (L.has_bias) {
        EXPECT_TRUE(close(at + "db", t.db, L.db.data(), static_cast<size_t>(L.db.size()), 1e-6, 1e-3));
      }
      if (L.norm != Norm::None && nc.bn.learn_affine) {
        EXPECT_TRUE(close(at + "dgamma", t.dgamma, L.dgamma.data(), static_cast<size_t>(L.dgamma.size()), 1e-6, 1e-3));
        EXPECT_TRUE(close(at + "dbeta", t.dbeta, L.dbeta.data(), static_cast<size_t>(L.dbeta.size()), 1e-6, 1e-3));
      }
    }
    expect_params_close(gpu->params(n), cpu.params(), "updated", 1e-6, 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryActivation, GpuStepZero,
                         ::testing::Combine(::testing::Values("sigmoid", "tanh", "relu", "linear"), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<const char*, bool>>& info) {
                           return std::string(std::get<0>(info.param)) + (std::get<1>(info.param) ? "_dropout" : "");
                         });

// [SECTION] Trajectories, running statistics and evaluation

// The paper's twins (sigmoid, no BN vs BN) for 200 steps: losses step by step, then BN's running
// statistics, every parameter and the eval-mode test loss and accuracy.
void compare_runs(const RunConfig& cfg, int steps) {
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(steps);
  cpu->train(steps);
  const std::vector<float> gl = gpu->take_losses(), cl = cpu->take_losses();
  EXPECT_TRUE(close("train loss trajectory", gl, cl, 1e-4, 1e-3));
  for (int n = 0; n < static_cast<int>(cfg.networks.size()); ++n)
    expect_params_close(gpu->params(n), cpu->params(n), "after " + std::to_string(steps) + " steps, network " +
                        cfg.networks[n].name, 1e-4, 2e-3);
  gpu->request_snapshot(true);
  cpu->request_snapshot(true);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  ASSERT_TRUE(gs && cs);
  for (size_t n = 0; n < cfg.networks.size(); ++n) {
    SCOPED_TRACE("network " + cfg.networks[n].name);
    EXPECT_NEAR(gs->networks[n].test_loss, cs->networks[n].test_loss, 1e-4 + 1e-3 * cs->networks[n].test_loss);
    // An example whose two best logits tie within rounding may flip: allow two of the test set.
    EXPECT_NEAR(gs->networks[n].test_acc, cs->networks[n].test_acc, 2.0 / data.test.size() + 1e-6);
    const int train_rows = std::min(cfg.eval_train_size, data.train.size());
    EXPECT_NEAR(gs->networks[n].train_acc, cs->networks[n].train_acc, 2.0 / train_rows + 1e-6);
  }
}

TEST(GpuParity, PaperTwinsTrajectoryRunningStatsAndEval) {
  REQUIRE_GL();
  RunConfig cfg = resolve_config(preset_json("paper-fig1"));
  cfg.data.train_size = 2000;
  cfg.data.test_size = 500;
  compare_runs(cfg, 200);
}

TEST(GpuParity, EvalWithBatchStatisticsAndLayerNorm) {
  REQUIRE_GL();
  compare_runs(quad_config("tanh", {"eval_stats=batch", "optim.momentum=0.5"}), 60);
}

// Noisy BN (core/bn_noise.h): both backends hash the same (seed, step, layer, unit, example), so
// the noisy networks train the same trajectory, and their probe — which sees the noise of the
// step about to come — measures the same percentiles.
TEST(GpuParity, NoisyBatchNormDrawsTheSameNoise) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("sigmoid", {"networks.1.bn.noise_mean=1", "networks.1.bn.noise_std=0.7",
                                                "networks.3.bn.noise_mean=0.4", "networks.3.bn.noise_std=1.5"});
  compare_runs(cfg, 40);
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(7);
  cpu->train(7);
  gpu->request_snapshot(false);
  cpu->request_snapshot(false);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  ASSERT_TRUE(gs && cs);
  for (int n : {1, 3})
    for (size_t l = 0; l < cfg.networks[n].model.hidden.size(); ++l)
      for (int k = 0; k < 5; ++k)
        EXPECT_NEAR(gs->networks[n].layers[l].unit_pct[k], cs->networks[n].layers[l].unit_pct[k],
                    1e-4 + 1e-3 * std::abs(cs->networks[n].layers[l].unit_pct[k]))
            << "network " << n << " layer " << l << " percentile " << kPercentiles[k];
}

// Dropout (core/dropout.h): both backends hash the same (seed, step, layer, unit, example), so
// networks with dropout — after no norm, BN and LayerNorm — train the same trajectory, and the
// probe, which drops with the masks of the step about to come, measures the same percentiles.
TEST(GpuParity, DropoutDrawsTheSameMasks) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("tanh", {"model.dropout=0.3,0.5", "networks.2.model.dropout=0.6,0.1"});
  compare_runs(cfg, 40);
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(7);
  cpu->train(7);
  gpu->request_snapshot(false);
  cpu->request_snapshot(false);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  ASSERT_TRUE(gs && cs);
  for (size_t n = 0; n < cfg.networks.size(); ++n)
    for (size_t l = 1; l < cfg.networks[n].model.hidden.size(); ++l)  // layer 1's x sees layer 0's dropout
      for (int k = 0; k < 5; ++k)
        EXPECT_NEAR(gs->networks[n].layers[l].unit_pct[k], cs->networks[n].layers[l].unit_pct[k],
                    1e-4 + 1e-3 * std::abs(cs->networks[n].layers[l].unit_pct[k]))
            << "network " << n << " layer " << l << " percentile " << kPercentiles[k];
}

// The meters (core/landscape.h): the GPU engine reads back each network's parameters and
// momentum buffers and measures on the CPU, so the two backends differ only by their parameters'
// float rounding after t steps. Tolerances: 1e-3 relative on losses, gradient predictiveness and
// β-smoothness; ICS, a difference of two close gradients, 2e-2 relative to ‖G‖ (its own scale).
TEST(GpuParity, LandscapeMetersAgreeWithTheCpuReference) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("sigmoid", {"landscape.every=10", "networks.1.bn.noise_mean=0.5",
                                                "networks.1.bn.noise_std=0.5"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  for (int chunk : {3, 18, 4}) {
    gpu->train(chunk);
    cpu->train(chunk);
  }
  const std::vector<LandscapeStats> g = gpu->take_landscape(), c = cpu->take_landscape();
  ASSERT_EQ(g.size(), 3u);
  ASSERT_EQ(c.size(), 3u);
  for (size_t k = 0; k < g.size(); ++k) {
    EXPECT_EQ(g[k].step, c[k].step);
    for (size_t n = 0; n < cfg.networks.size(); ++n) {
      const NetworkLandscape &gn = g[k].networks[n], &cn = c[k].networks[n];
      ASSERT_TRUE(gn.measured && cn.measured);
      const std::string where = "step " + std::to_string(c[k].step) + " network " + cfg.networks[n].name;
      for (size_t j = 0; j < cn.loss_at.size(); ++j) {
        EXPECT_NEAR(gn.loss_at[j], cn.loss_at[j], 1e-3 * cn.loss_at[j]) << where;
        EXPECT_NEAR(gn.gradpred[j], cn.gradpred[j], 1e-3 * cn.gradpred[j]) << where;
      }
      EXPECT_NEAR(gn.beta_smooth, cn.beta_smooth, 1e-3 * cn.beta_smooth) << where;
      for (size_t l = 1; l < cn.ics.size(); ++l) {
        const float scale = cn.ics[l].l2 / cn.ics[l].rel;  // ‖G‖
        EXPECT_NEAR(gn.ics[l].l2, cn.ics[l].l2, 2e-2 * scale) << where << " layer " << l + 1;
        EXPECT_NEAR(gn.ics[l].rel, cn.ics[l].rel, 2e-2) << where << " layer " << l + 1;
        EXPECT_NEAR(gn.ics[l].cos, cn.ics[l].cos, 1e-3) << where << " layer " << l + 1;
      }
    }
  }
  // Measuring changes nothing on the GPU either: the same chunks with the meters off.
  RunConfig off_cfg = cfg;
  off_cfg.landscape.every = 0;
  auto off = make_gpu_trainer(off_cfg, data);
  for (int chunk : {3, 18, 4}) off->train(chunk);
  const std::vector<float> on_losses = gpu->take_losses(), off_losses = off->take_losses();
  ASSERT_EQ(on_losses.size(), off_losses.size());
  EXPECT_EQ(0, std::memcmp(on_losses.data(), off_losses.data(), on_losses.size() * sizeof(float)));
}

// [SECTION] Snapshots

TEST(GpuSnapshot, MatchesTheCpuStatisticsOfTheSameProbe) {
  REQUIRE_GL();
  for (const char* act : {"sigmoid", "relu"}) {
    SCOPED_TRACE(act);
    const RunConfig cfg = quad_config(act);
    const DataSplit data = load_data(cfg.data, cfg.seed);
    auto gpu = make_gpu_trainer(cfg, data);
    auto cpu = make_cpu_trainer(cfg, data);
    gpu->request_snapshot(false);  // before any step: no gradient yet
    gpu->train(25);
    cpu->train(25);
    gpu->request_snapshot(false);
    cpu->request_snapshot(false);
    const auto g0 = gpu->poll_snapshot(true), g = gpu->poll_snapshot(true), c = cpu->poll_snapshot(true);
    ASSERT_TRUE(g0 && g && c);
    EXPECT_EQ(g0->step, 0);
    EXPECT_TRUE(std::isnan(g0->networks[0].layers[0].grad_norm));
    EXPECT_EQ(g->step, 25);
    const int probe = std::min(cfg.stats.probe_size, data.test.size());
    for (size_t n = 0; n < cfg.networks.size(); ++n) {
      for (size_t l = 0; l < cfg.networks[n].model.hidden.size(); ++l) {
        SCOPED_TRACE("network " + cfg.networks[n].name + " layer " + std::to_string(l));
        const LayerStats &gs = g->networks[n].layers[l], &cs = c->networks[n].layers[l];
        // The GPU's statistics are exactly those of its own probe taps, by stats.cpp's rules.
        const GpuLayerTensors t = gpu_layer_tensors(*gpu, static_cast<int>(n), static_cast<int>(l), probe);
        LayerStats own;
        measure_layer(t.x.data(), t.z.data(), t.a.data(), probe, cfg.networks[n].model.hidden[l],
                      cfg.networks[n].model.activation, cfg.stats.bins, cfg.stats.typical_unit, &own);
        for (int tap = 0; tap < kTapCount; ++tap) {
          EXPECT_EQ(gs.hist[tap].counts, own.hist[tap].counts) << tap_name(tap);
          EXPECT_EQ(gs.hist[tap].underflow, own.hist[tap].underflow);
          EXPECT_EQ(gs.hist[tap].overflow, own.hist[tap].overflow);
          EXPECT_EQ(gs.hist[tap].lo, cs.hist[tap].lo);
          EXPECT_EQ(gs.hist[tap].hi, cs.hist[tap].hi);
          // Against the CPU's own taps, counts may differ only by values that sit on a bin edge
          // within rounding: a handful.
          uint32_t moved = 0;
          for (size_t b = 0; b < cs.hist[tap].counts.size(); ++b)
            moved += static_cast<uint32_t>(std::abs(static_cast<int>(gs.hist[tap].counts[b]) - static_cast<int>(cs.hist[tap].counts[b])));
          EXPECT_LE(moved, 4u) << tap_name(tap) << " histogram";
        }
        for (int k = 0; k < 5; ++k) {
          EXPECT_EQ(gs.pct[k], own.pct[k]) << "percentile " << kPercentiles[k];
          EXPECT_EQ(gs.unit_pct[k], own.unit_pct[k]) << "unit percentile " << kPercentiles[k];
          EXPECT_NEAR(gs.pct[k], cs.pct[k], 1e-4 + 1e-3 * std::abs(cs.pct[k]));
          EXPECT_NEAR(gs.unit_pct[k], cs.unit_pct[k], 1e-4 + 1e-3 * std::abs(cs.unit_pct[k]));
        }
        EXPECT_EQ(gs.saturation, own.saturation);
        EXPECT_NEAR(gs.saturation, cs.saturation, 4.0 / (probe * cfg.networks[n].model.hidden[l]));
        EXPECT_NEAR(gs.mean, cs.mean, 1e-5 + 1e-4 * std::abs(cs.mean));
        EXPECT_NEAR(gs.std, cs.std, 1e-5 + 1e-4 * cs.std);
        // Per-unit batch mean and unbiased variance of x: the GPU's from its own taps (both in
        // double: equal to float rounding), and against the CPU's within the forward's tolerance.
        const size_t width = static_cast<size_t>(cfg.networks[n].model.hidden[l]);
        ASSERT_EQ(gs.unit_mean.size(), width);
        ASSERT_EQ(gs.unit_var.size(), width);
        ASSERT_EQ(cs.unit_mean.size(), width);
        for (size_t j = 0; j < width; ++j) {
          const float spread = std::sqrt(cs.unit_var[j]);
          EXPECT_NEAR(gs.unit_mean[j], own.unit_mean[j], 1e-6 * (std::abs(own.unit_mean[j]) + spread)) << "unit " << j;
          EXPECT_NEAR(gs.unit_var[j], own.unit_var[j], 1e-5 * own.unit_var[j]) << "unit " << j;
          EXPECT_NEAR(gs.unit_mean[j], cs.unit_mean[j], 1e-6 + 1e-4 * (std::abs(cs.unit_mean[j]) + spread)) << "unit " << j;
          EXPECT_NEAR(gs.unit_var[j], cs.unit_var[j], 1e-6 + 1e-3 * cs.unit_var[j]) << "unit " << j;
        }
        EXPECT_NEAR(gs.grad_norm, cs.grad_norm, 1e-3 * cs.grad_norm);
        EXPECT_NEAR(gs.weight_norm, cs.weight_norm, 1e-4 * cs.weight_norm);
        EXPECT_NEAR(gs.update_ratio, cs.update_ratio, 1e-3 * cs.update_ratio);
        for (auto [gv, cv] : {std::pair{gs.gamma_mean, cs.gamma_mean}, {gs.gamma_std, cs.gamma_std},
                              {gs.beta_mean, cs.beta_mean}, {gs.beta_std, cs.beta_std}}) {
          if (std::isnan(cv)) EXPECT_TRUE(std::isnan(gv));
          else EXPECT_NEAR(gv, cv, 1e-5 + 1e-4 * std::abs(cv));
        }
      }
    }
  }
}

// The BN strip (stats.h BatchStrip): the same last training batch at the typical unit on both
// backends — the same step, labels and normalization, and x, x̂, γx̂ + β, μ, σ, γ, β within the
// tolerance of the trajectory's snapshots (|gpu − cpu| ≤ 1e-4 + 1e-3·|cpu| after 25 steps) —
// whatever evaluation and probe passes ran since.
TEST(GpuSnapshot, BatchStripMatchesTheCpuReference) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("sigmoid");
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->request_snapshot(false);
  gpu->train(24);
  cpu->train(24);
  gpu->train(1);  // the strip is the last step of the last train() call
  cpu->train(1);
  gpu->request_snapshot(true);
  cpu->request_snapshot(true);
  gpu->request_snapshot(false);
  const auto g0 = gpu->poll_snapshot(true), g1 = gpu->poll_snapshot(true), g = gpu->poll_snapshot(true);
  const auto c = cpu->poll_snapshot(true);
  ASSERT_TRUE(g0 && g1 && g && c);
  EXPECT_EQ(g0->networks[1].layers[0].strip.step, -1) << "no step yet: no strip";
  for (size_t n = 0; n < cfg.networks.size(); ++n)
    for (size_t l = 0; l < cfg.networks[n].model.hidden.size(); ++l) {
      SCOPED_TRACE("network " + cfg.networks[n].name + " layer " + std::to_string(l));
      const BatchStrip &gs = g->networks[n].layers[l].strip, &cs = c->networks[n].layers[l].strip;
      EXPECT_EQ(g1->networks[n].layers[l].strip.x, gs.x) << "a later probe pass changes nothing";
      EXPECT_EQ(gs.step, 25);
      EXPECT_EQ(cs.step, 25);
      EXPECT_EQ(gs.norm, cs.norm);
      EXPECT_EQ(gs.labels, cs.labels);
      ASSERT_EQ(gs.x.size(), static_cast<size_t>(cfg.batch));
      EXPECT_TRUE(close("x", gs.x, cs.x, 1e-4, 1e-3));
      EXPECT_TRUE(close("x̂", gs.xhat, cs.xhat, 1e-4, 1e-3));
      EXPECT_TRUE(close("γx̂ + β", gs.y, cs.y, 1e-4, 1e-3));
      EXPECT_TRUE(close("μ, σ, γ, β", {gs.mu, gs.sigma, gs.gamma, gs.beta}, {cs.mu, cs.sigma, cs.gamma, cs.beta}, 1e-4, 1e-3));
      EXPECT_EQ(gs.xhat.empty(), cs.norm != Norm::Batch);
    }
}

// [SECTION] Determinism, divergence and live changes

TEST(GpuParity, FullFashionMnistTrainsFromTheGpuResidentDataset) {
  REQUIRE_GL();
  // 60,000 training images are 179 MiB of floats, above llvmpipe's 128 MiB storage-block limit:
  // there the engine keeps them as bytes indexing their 256 values, which must change nothing.
  RunConfig cfg = quad_config("relu", {"data.kind=fashion-mnist", "data.test_size=500", "optim.batch=40"});
  cfg.networks.resize(2);
  DataSplit data;
  try {
    data = load_data(cfg.data, cfg.seed);
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << e.what();
  }
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(10);
  cpu->train(10);
  EXPECT_TRUE(close("losses", gpu->take_losses(), cpu->take_losses(), 1e-5, 1e-4));
  for (int n = 0; n < 2; ++n) expect_params_close(gpu->params(n), cpu->params(n), "network " + std::to_string(n), 1e-5, 1e-3);
  gpu->request_snapshot(true);
  cpu->request_snapshot(true);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  ASSERT_TRUE(gs && cs);
  EXPECT_NEAR(gs->networks[1].test_loss, cs->networks[1].test_loss, 1e-4 * cs->networks[1].test_loss);
}

TEST(GpuParity, DeterministicRerunIsBitIdentical) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("relu");
  const DataSplit data = load_data(cfg.data, cfg.seed);
  std::vector<float> losses[2];
  std::vector<NetworkParams> params[2];
  std::optional<StepStats> snaps[2];
  for (int run = 0; run < 2; ++run) {
    auto gpu = make_gpu_trainer(cfg, data);
    gpu->train(40);
    gpu->request_snapshot(true);
    losses[run] = gpu->take_losses();
    snaps[run] = gpu->poll_snapshot(true);
    for (int n = 0; n < gpu->network_count(); ++n) params[run].push_back(gpu->params(n));
  }
  EXPECT_TRUE(same_bits(losses[0], losses[1]));
  for (size_t n = 0; n < params[0].size(); ++n)
    for (size_t l = 0; l < params[0][n].layers.size(); ++l)
      EXPECT_TRUE(same_bits(params[0][n].layers[l].weight, params[1][n].layers[l].weight)) << n << "/" << l;
  ASSERT_TRUE(snaps[0] && snaps[1]);
  for (size_t n = 0; n < snaps[0]->networks.size(); ++n) {
    EXPECT_EQ(std::memcmp(&snaps[0]->networks[n].test_loss, &snaps[1]->networks[n].test_loss, 4), 0);
    for (size_t l = 0; l < snaps[0]->networks[n].layers.size(); ++l) {
      const LayerStats &a = snaps[0]->networks[n].layers[l], &b = snaps[1]->networks[n].layers[l];
      EXPECT_EQ(a.hist[1].counts, b.hist[1].counts);
      EXPECT_EQ(std::memcmp(a.pct.data(), b.pct.data(), sizeof a.pct), 0);
      EXPECT_EQ(std::memcmp(&a.std, &b.std, 4), 0);
    }
  }
}

TEST(GpuParity, DivergedNetworkStopsAtTheSameStepWhileItsTwinCarriesOn) {
  REQUIRE_GL();
  // Linear units with lr 1 overflow within a few steps without BN; the BN twin keeps training.
  json doc = json::parse(R"({
    "seed": 3, "backend": "gpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [24, 24], "activation": "linear", "init": "gaussian", "init_std": 1},
    "optim": {"lr": 1, "momentum": 0, "batch": 32},
    "stats": {"probe_size": 200},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  const RunConfig cfg = resolve_config(doc);
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(300);
  cpu->train(300);
  gpu->request_snapshot(true);
  cpu->request_snapshot(true);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  ASSERT_TRUE(gs && cs);
  ASSERT_GE(cs->networks[0].diverged_at, 1) << "the reference did not diverge; the test needs a new setting";
  ASSERT_EQ(gs->networks[0].diverged_at, cs->networks[0].diverged_at);
  EXPECT_EQ(gs->networks[1].diverged_at, -1);
  EXPECT_TRUE(std::isnan(gs->networks[0].test_acc));
  // A diverged network shows no strip on either backend; its twin shows the last step's.
  EXPECT_EQ(gs->networks[0].layers[0].strip.step, -1);
  EXPECT_EQ(cs->networks[0].layers[0].strip.step, -1);
  EXPECT_TRUE(gs->networks[0].layers[0].strip.x.empty());
  EXPECT_EQ(gs->networks[1].layers[0].strip.step, 300);
  EXPECT_EQ(cs->networks[1].layers[0].strip.step, 300);
  const std::vector<float> gl = gpu->take_losses(), cl = cpu->take_losses();
  ASSERT_EQ(gl.size(), cl.size());
  const int64_t div = gs->networks[0].diverged_at;
  EXPECT_FALSE(std::isfinite(gl[2 * (div - 1)]));
  for (int64_t s = div + 1; s <= 300; ++s) ASSERT_TRUE(std::isnan(gl[2 * (s - 1)])) << "step " << s;
  for (int s = 1; s <= 300; ++s) ASSERT_TRUE(std::isfinite(gl[2 * (s - 1) + 1])) << "BN twin, step " << s;
}

TEST(GpuParity, NewBatchSizeAndNetworkSettingsMidRun) {
  REQUIRE_GL();
  const RunConfig cfg = quad_config("sigmoid", {"optim.momentum=0.9"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto gpu = make_gpu_trainer(cfg, data);
  auto cpu = make_cpu_trainer(cfg, data);
  gpu->train(15);
  cpu->train(15);
  gpu->set_batch(25);
  cpu->set_batch(25);
  // Network 2 switches from LayerNorm to BN with a new learning rate, from the CPU's parameters.
  NetworkConfig nc = cfg.networks[2];
  nc.model.norm.assign(nc.model.hidden.size(), Norm::Batch);
  nc.optim.lr = 0.3;
  const NetworkParams p = convert_params(cpu->params(2), nc.model, nc.bn);
  gpu->set_network(2, nc, p);
  cpu->set_network(2, nc, p);
  gpu->train(20);
  cpu->train(20);
  EXPECT_TRUE(close("losses around the changes", gpu->take_losses(), cpu->take_losses(), 1e-4, 1e-3));
  for (int n = 0; n < 4; ++n) expect_params_close(gpu->params(n), cpu->params(n), "network " + std::to_string(n), 1e-4, 2e-3);
}

TEST(GpuBackend, AutoPicksByRendererAndGpuFallsBackWithTheReason) {
  REQUIRE_GL();
  const bool software = GlContext().is_software();
  const std::string renderer = GlContext().renderer();
  RunConfig cfg = quad_config("tanh");
  const DataSplit data = load_data(cfg.data, cfg.seed);
  std::string why;
  cfg.backend = Backend::Auto;
  auto t = make_trainer(cfg, data, &why);
  if (software) {
    EXPECT_EQ(t->backend_name().rfind("cpu, ", 0), 0u) << t->backend_name();
    EXPECT_NE(why.find(renderer), std::string::npos) << why;
  } else {
    EXPECT_EQ(t->backend_name(), "gpu (" + renderer + ")");
  }
  cfg.backend = Backend::Gpu;
  EXPECT_EQ(make_trainer(cfg, data, &why)->backend_name(), "gpu (" + renderer + ")");
  EXPECT_TRUE(why.empty()) << why;
  // Networks of different shapes cannot share the dispatches: the CPU takes over and says why.
  cfg.networks[1].model.hidden = {30, 20};
  EXPECT_EQ(make_trainer(cfg, data, &why)->backend_name().rfind("cpu, ", 0), 0u);
  EXPECT_NE(why.find("differ in model.hidden"), std::string::npos) << why;
}

TEST(GpuBackend, ShaderErrorsCarryTheDriverLog) {
  REQUIRE_GL();
  GlContext ctx;
  try {
    GlProgram("broken.comp", {{"version", "#version 430 core\n"}, {"broken.comp", "layout(local_size_x = 1) in;\nvoid main() { undefined_name = 1; }\n"}});
    FAIL() << "a broken shader compiled";
  } catch (const GpuError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("broken.comp does not compile"), std::string::npos) << what;
    EXPECT_NE(what.find("undefined_name"), std::string::npos) << "no driver log in: " << what;
  }
}

}  // namespace
}  // namespace bnlab
