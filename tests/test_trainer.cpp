// test_trainer.cpp — the CPU Trainer over several networks: bit-exact determinism, twins from
// identical weights, learning, divergence of one network while its twin carries on, refusals,
// BN's evaluation statistics, and starting at step N (seek) on both backends.
//
// [SECTION] Helpers
// [SECTION] Determinism
// [SECTION] Twins and learning
// [SECTION] Divergence
// [SECTION] Refusals and evaluation statistics
// [SECTION] Starting at a step

#include <gtest/gtest.h>

#include "tests/test_util.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "core/batches.h"
#include "core/config.h"
#include "core/gl_context.h"
#include "core/gpu_trainer.h"
#include "core/dataset.h"
#include "core/network.h"
#include "core/rng.h"
#include "core/trainer.h"

namespace bnlab {
namespace {

using nlohmann::json;

// [SECTION] Helpers

// Spiral twins, small enough that hundreds of steps take milliseconds.
RunConfig spiral_twins(const std::vector<std::string>& sets = {}) {
  json doc = json::parse(R"({
    "seed": 3,
    "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [24, 24], "activation": "tanh", "init": "gaussian", "init_std": 0.5},
    "optim": {"lr": 0.1, "momentum": 0.9, "batch": 32},
    "stats": {"probe_size": 200},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

// Every field of two snapshots, bit for bit.
void expect_same_snapshot(const StepStats& a, const StepStats& b) {
  ASSERT_EQ(a.step, b.step);
  ASSERT_EQ(a.networks.size(), b.networks.size());
  for (size_t n = 0; n < a.networks.size(); ++n) {
    const NetworkStats &x = a.networks[n], &y = b.networks[n];
    EXPECT_EQ(x.diverged_at, y.diverged_at);
    EXPECT_EQ(x.has_eval, y.has_eval);
    EXPECT_TRUE(same_bits(x.test_loss, y.test_loss)) << "step " << a.step << " net " << n;
    EXPECT_TRUE(same_bits(x.test_acc, y.test_acc)) << "step " << a.step << " net " << n;
    EXPECT_TRUE(same_bits(x.train_acc, y.train_acc)) << "step " << a.step << " net " << n;
    ASSERT_EQ(x.layers.size(), y.layers.size());
    for (size_t l = 0; l < x.layers.size(); ++l) {
      const LayerStats &p = x.layers[l], &q = y.layers[l];
      for (int k = 0; k < 5; ++k) {
        EXPECT_TRUE(same_bits(p.pct[k], q.pct[k])) << "step " << a.step << " net " << n << " layer " << l;
        EXPECT_TRUE(same_bits(p.unit_pct[k], q.unit_pct[k])) << "step " << a.step << " net " << n << " layer " << l;
      }
      for (auto [u, v] : {std::pair{p.mean, q.mean}, {p.std, q.std}, {p.saturation, q.saturation},
                          {p.grad_norm, q.grad_norm}, {p.weight_norm, q.weight_norm},
                          {p.update_ratio, q.update_ratio}, {p.gamma_mean, q.gamma_mean},
                          {p.gamma_std, q.gamma_std}, {p.beta_mean, q.beta_mean}, {p.beta_std, q.beta_std}})
        EXPECT_TRUE(same_bits(u, v)) << "step " << a.step << " net " << n << " layer " << l;
      for (int t = 0; t < kTapCount; ++t) {
        EXPECT_EQ(p.hist[t].counts, q.hist[t].counts);
        EXPECT_EQ(p.hist[t].underflow, q.hist[t].underflow);
        EXPECT_EQ(p.hist[t].overflow, q.hist[t].overflow);
      }
    }
  }
}

struct Trace {
  std::vector<float> losses;  // (steps, networks)
  std::vector<StepStats> snapshots;
  std::vector<NetworkParams> params;
};

// Trains `steps` steps, a snapshot (with eval) every `every` steps.
Trace run(const RunConfig& cfg, const DataSplit& data, int steps, int every) {
  auto t = make_cpu_trainer(cfg, data);
  Trace tr;
  for (int s = 0; s < steps; s += every) {
    t->request_snapshot(true);
    while (auto snap = t->poll_snapshot(false)) tr.snapshots.push_back(std::move(*snap));
    t->train(every);
    const auto l = t->take_losses();
    tr.losses.insert(tr.losses.end(), l.begin(), l.end());
  }
  t->request_snapshot(true);
  while (auto snap = t->poll_snapshot(true)) tr.snapshots.push_back(std::move(*snap));
  EXPECT_EQ(t->step(), steps);
  for (int n = 0; n < t->network_count(); ++n) tr.params.push_back(t->params(n));
  return tr;
}

// [SECTION] Determinism

TEST(TrainerDeterminism, SameConfigGivesBitIdenticalLossesAndSnapshots) {
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  const Trace a = run(cfg, data, 300, 50);
  const DataSplit data2 = load_data(cfg.data, cfg.seed);  // data made afresh from the seed too
  const Trace b = run(cfg, data2, 300, 50);
  ASSERT_EQ(a.losses.size(), 600u);
  EXPECT_TRUE(same_bits(a.losses, b.losses));
  ASSERT_EQ(a.snapshots.size(), 7u);
  ASSERT_EQ(b.snapshots.size(), 7u);
  for (size_t k = 0; k < a.snapshots.size(); ++k) expect_same_snapshot(a.snapshots[k], b.snapshots[k]);
  for (size_t n = 0; n < a.params.size(); ++n)
    for (size_t l = 0; l < a.params[n].layers.size(); ++l) {
      EXPECT_TRUE(same_bits(a.params[n].layers[l].weight, b.params[n].layers[l].weight));
      EXPECT_TRUE(same_bits(a.params[n].layers[l].running_var, b.params[n].layers[l].running_var));
    }
}

// Five networks (momentum, noisy BN, LayerNorm among them) on 1, 2 and 3 threads: losses,
// snapshots and parameters bit for bit the same; 130 steps between snapshots cross the
// trainer's 64-step chunks. In process, so that ThreadSanitizer sees the pool at work.
TEST(TrainerThreads, ThreadCountsGiveBitIdenticalLossesSnapshotsAndParameters) {
  RunConfig cfg = spiral_twins({"bn.noise_mean=0.2", "bn.noise_std=0.2"});
  for (const char* norm : {"layer", "batch", "none"}) {
    cfg.networks.push_back(cfg.networks[1]);
    cfg.networks.back().name = std::string("extra-") + norm;
    cfg.networks.back().model.norm.assign(2, norm == std::string("layer") ? Norm::Layer
                                             : norm == std::string("batch") ? Norm::Batch : Norm::None);
  }
  const DataSplit data = load_data(cfg.data, cfg.seed);
  cfg.threads = 1;
  const Trace one = run(cfg, data, 390, 130);
  for (int threads : {2, 3}) {
    cfg.threads = threads;
    EXPECT_EQ(make_cpu_trainer(cfg, data)->backend_name(), "cpu, " + std::to_string(threads) + " threads");
    const Trace many = run(cfg, data, 390, 130);
    EXPECT_TRUE(same_bits(one.losses, many.losses)) << threads << " threads";
    ASSERT_EQ(one.snapshots.size(), many.snapshots.size());
    for (size_t k = 0; k < one.snapshots.size(); ++k) expect_same_snapshot(one.snapshots[k], many.snapshots[k]);
    for (size_t n = 0; n < one.params.size(); ++n)
      for (size_t l = 0; l < one.params[n].layers.size(); ++l) {
        EXPECT_TRUE(same_bits(one.params[n].layers[l].weight, many.params[n].layers[l].weight)) << n << " " << l;
        EXPECT_TRUE(same_bits(one.params[n].layers[l].running_var, many.params[n].layers[l].running_var)) << n << " " << l;
      }
  }
  cfg.threads = 8;  // never more threads than networks
  EXPECT_EQ(make_cpu_trainer(cfg, data)->backend_name(), "cpu, 5 threads");
}

// The sparse first layer on 1 and 3 threads: the training set's non-zero lists are written by
// every worker (a share of the examples each) and each step's batch is gathered by one worker for
// all; the runs agree bit for bit. Examples 664 and 665, the last of the first worker's share, are
// all zero, so that the entries before them end the share (a branch-free write past them would
// land in the next worker's); 1332 and 1333 sit on either side of the second boundary.
TEST(TrainerThreads, SparseListsAndSharedBatchesGiveBitIdenticalRuns) {
  RunConfig cfg = resolve_config(json::parse(R"({
    "backend": "cpu", "data": {"kind": "mnist-10k", "train_size": 2000, "test_size": 200},
    "optim": {"batch": 60}, "stats": {"probe_size": 100}, "eval_train_size": 200,
    "networks": [{"name": "plain"}, {"name": "bn", "model": {"norm": "batch"}}, {"name": "ln", "model": {"norm": "layer"}}]
  })"));
  DataSplit data = load_data(cfg.data, cfg.seed);
  for (int i : {664, 665, 1332, 1333}) std::fill_n(data.train.x.begin() + static_cast<std::ptrdiff_t>(i) * data.train.dim, data.train.dim, 0.0f);
  cfg.threads = 1;
  const Trace one = run(cfg, data, 200, 100);
  cfg.threads = 3;
  const Trace three = run(cfg, data, 200, 100);
  EXPECT_TRUE(same_bits(one.losses, three.losses));
  ASSERT_EQ(one.snapshots.size(), three.snapshots.size());
  for (size_t k = 0; k < one.snapshots.size(); ++k) expect_same_snapshot(one.snapshots[k], three.snapshots[k]);
  for (size_t n = 0; n < one.params.size(); ++n)
    for (size_t l = 0; l < one.params[n].layers.size(); ++l)
      EXPECT_TRUE(same_bits(one.params[n].layers[l].weight, three.params[n].layers[l].weight)) << n << " " << l;
}

TEST(TrainerDeterminism, DifferentSeedGivesDifferentLosses) {
  const RunConfig a_cfg = spiral_twins();
  const RunConfig b_cfg = spiral_twins({"seed=4"});
  const DataSplit a_data = load_data(a_cfg.data, a_cfg.seed);
  const DataSplit b_data = load_data(b_cfg.data, b_cfg.seed);
  const Trace a = run(a_cfg, a_data, 100, 100);
  const Trace b = run(b_cfg, b_data, 100, 100);
  ASSERT_EQ(a.losses.size(), b.losses.size());
  int differ = 0;
  for (size_t i = 0; i < a.losses.size(); ++i) differ += a.losses[i] != b.losses[i];
  EXPECT_GT(differ, 150);
  // Same data but a different seed still changes the weights and the batch order.
  const Trace c = run(b_cfg, a_data, 100, 100);
  int differ_c = 0;
  for (size_t i = 0; i < a.losses.size(); ++i) differ_c += a.losses[i] != c.losses[i];
  EXPECT_GT(differ_c, 150);
}

TEST(TrainerDeterminism, ChunkingDoesNotChangeTheResult) {
  // train(300) in one call or in uneven pieces: the same batches, the same losses.
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto a = make_cpu_trainer(cfg, data);
  a->train(300);
  auto b = make_cpu_trainer(cfg, data);
  for (int k : {1, 7, 92, 100, 50, 50}) b->train(k);
  EXPECT_EQ(a->step(), 300);
  EXPECT_EQ(b->step(), 300);
  EXPECT_TRUE(same_bits(a->take_losses(), b->take_losses()));
  EXPECT_TRUE(b->take_losses().empty()) << "take_losses must hand losses over only once";
}

// [SECTION] Twins and learning

TEST(TrainerTwins, NoBnAndBnStartFromIdenticalWeights) {
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  ASSERT_EQ(t->network_count(), 2);
  const NetworkParams a = t->params(0), b = t->params(1);
  ASSERT_EQ(a.layers.size(), 3u);
  ASSERT_EQ(b.layers.size(), 3u);
  for (size_t l = 0; l < a.layers.size(); ++l) {
    EXPECT_TRUE(same_bits(a.layers[l].weight, b.layers[l].weight)) << "layer " << l;
    EXPECT_FALSE(a.layers[l].weight.empty());
  }
  EXPECT_FALSE(a.layers[0].bias.empty());
  EXPECT_TRUE(b.layers[0].bias.empty());
  EXPECT_EQ(b.layers[0].gamma.size(), 24u);
  // After training they differ: they really are two networks.
  t->train(20);
  EXPECT_FALSE(same_bits(t->params(0).layers[0].weight, t->params(1).layers[0].weight));
}

TEST(TrainerTwins, BothNetworksSeeTheSameBatches) {
  // Two identical networks in one run must produce identical losses every step.
  const RunConfig cfg = spiral_twins({"networks.1.model.norm=none"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->train(200);
  const auto l = t->take_losses();
  ASSERT_EQ(l.size(), 400u);
  for (size_t s = 0; s < 200; ++s) ASSERT_TRUE(same_bits(l[2 * s], l[2 * s + 1])) << "step " << s + 1;
}

TEST(TrainerLearning, LossDecreasesAndAccuracyRisesOnTheSpiral) {
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  const Trace tr = run(cfg, data, 1500, 1500);
  ASSERT_EQ(tr.losses.size(), 3000u);
  for (int n = 0; n < 2; ++n) {
    double first = 0, last = 0;
    for (int s = 0; s < 50; ++s) first += tr.losses[2 * s + n], last += tr.losses[2 * (1450 + s) + n];
    EXPECT_LT(last, 0.6 * first) << "network " << n << ": mean loss of the first 50 steps " << first / 50
                                 << ", of the last 50 " << last / 50;
    const NetworkStats& start = tr.snapshots.front().networks[n];
    const NetworkStats& end = tr.snapshots.back().networks[n];
    ASSERT_TRUE(start.has_eval && end.has_eval);
    EXPECT_GT(end.test_acc, 0.8f) << "network " << n;
    EXPECT_GT(end.test_acc, start.test_acc + 0.2f) << "network " << n;
    EXPECT_LT(end.test_loss, start.test_loss) << "network " << n;
    EXPECT_EQ(end.diverged_at, -1);
  }
}

TEST(TrainerLearning, LossDecreasesOnMnist) {
  const RunConfig cfg = resolve_config(json::parse(R"({
    "backend": "cpu", "data": {"kind": "mnist-10k", "train_size": 2000, "test_size": 500},
    "model": {"hidden": [32], "activation": "sigmoid", "init_std": 0.1},
    "optim": {"lr": 0.5, "batch": 60}, "stats": {"probe_size": 100},
    "networks": [{"name": "plain"}, {"name": "bn", "model": {"norm": "batch"}}]
  })"));
  const DataSplit data = load_data(cfg.data, cfg.seed);
  const Trace tr = run(cfg, data, 300, 300);
  for (int n = 0; n < 2; ++n) {
    const NetworkStats& start = tr.snapshots.front().networks[n];
    const NetworkStats& end = tr.snapshots.back().networks[n];
    EXPECT_LT(start.test_acc, 0.3f);
    EXPECT_GT(end.test_acc, 0.7f) << "network " << n;
    EXPECT_LT(end.test_loss, 0.7f * start.test_loss) << "network " << n;
  }
}

// On MNIST the first layer works on each example's non-zero inputs only (about a fifth): a
// changed summation order only, so losses and weights stay within float round-off of the dense
// products' over 300 steps, for a plain and a BN network.
TEST(TrainerSparseInput, SparseFirstLayerTrainsLikeTheDenseOne) {
  const RunConfig cfg = resolve_config(json::parse(R"({
    "backend": "cpu", "data": {"kind": "mnist-10k", "train_size": 2000, "test_size": 500},
    "optim": {"batch": 60}, "stats": {"probe_size": 100},
    "networks": [{"name": "plain"}, {"name": "bn", "model": {"norm": "batch"}}]
  })"));
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto sparse = make_cpu_trainer(cfg, data, true), dense = make_cpu_trainer(cfg, data, false);
  sparse->train(300);
  dense->train(300);
  const std::vector<float> a = sparse->take_losses(), b = dense->take_losses();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) ASSERT_NEAR(a[k], b[k], 1e-4f * std::abs(b[k])) << "loss " << k;
  for (int n = 0; n < 2; ++n) {
    const NetworkParams p = sparse->params(n), q = dense->params(n);
    for (size_t l = 0; l < p.layers.size(); ++l)
      for (size_t i = 0; i < p.layers[l].weight.size(); ++i)
        ASSERT_NEAR(p.layers[l].weight[i], q.layers[l].weight[i], 1e-4f) << "net " << n << " layer " << l << " weight " << i;
  }
}

// Train accuracy is test accuracy's measurement on the first eval_train_size training examples:
// with the shipped test digits as both sets it equals test accuracy on the same first rows, bit
// for bit, on both backends (the GPU within two flipped examples of the CPU).
TEST(TrainerLearning, TrainAccuracyIsMeasuredOnTheFirstTrainingExamples) {
  const std::string t10k = std::string(BNLAB_SOURCE_DIR) + "/assets/mnist/t10k-";
  auto config = [&](int eval_train_size, int test_size) {
    return resolve_config(json::parse(R"({
      "backend": "cpu", "data": {"kind": "idx", "train_images": ")" + t10k + R"(images-idx3-ubyte.gz",
        "train_labels": ")" + t10k + R"(labels-idx1-ubyte.gz", "test_images": ")" + t10k + R"(images-idx3-ubyte.gz",
        "test_labels": ")" + t10k + R"(labels-idx1-ubyte.gz", "test_size": )" + std::to_string(test_size) + R"(},
      "model": {"hidden": [32, 32], "activation": "sigmoid", "init_std": 0.1},
      "optim": {"lr": 0.5, "batch": 60}, "stats": {"probe_size": 100}, "eval_train_size": )" +
                                      std::to_string(eval_train_size) + R"(,
      "networks": [{"name": "plain"}, {"name": "bn", "model": {"norm": "batch"}}]
    })"));
  };
  // The training set is the full 2,000; test sets of the first 700 and of all 2,000 rows.
  const RunConfig first700 = config(700, 700), all = config(5000, 0);
  const DataSplit d700 = load_data(first700.data, 1), dall = load_data(all.data, 1);
  const Trace a = run(first700, d700, 200, 100), b = run(all, dall, 200, 100);
  ASSERT_EQ(a.snapshots.size(), b.snapshots.size());
  for (size_t k = 0; k < a.snapshots.size(); ++k)
    for (int n = 0; n < 2; ++n) {
      const NetworkStats &x = a.snapshots[k].networks[n], &y = b.snapshots[k].networks[n];
      EXPECT_TRUE(same_bits(x.train_acc, x.test_acc)) << "first 700, step " << a.snapshots[k].step << " net " << n;
      EXPECT_TRUE(same_bits(y.train_acc, y.test_acc)) << "all (capped at 2,000), step " << b.snapshots[k].step;
    }
  EXPECT_GT(a.snapshots.back().networks[1].train_acc, 0.5f);
  // Not the test accuracy of another subset: the first 700 and all 2,000 differ.
  EXPECT_NE(a.snapshots.back().networks[0].train_acc, b.snapshots.back().networks[0].train_acc);
  try {
    GlContext probe;
  } catch (const GpuError& e) {
    GTEST_SKIP() << "CPU part passed; no OpenGL 4.3 compute context: " << e.what();
  }
  auto gpu = make_gpu_trainer(first700, d700);
  auto cpu = make_cpu_trainer(first700, d700);
  gpu->train(50);
  cpu->train(50);
  gpu->request_snapshot(true);
  cpu->request_snapshot(true);
  const auto gs = gpu->poll_snapshot(true), cs = cpu->poll_snapshot(true);
  for (int n = 0; n < 2; ++n) EXPECT_NEAR(gs->networks[n].train_acc, cs->networks[n].train_acc, 2.0 / 700 + 1e-6);
}

// Examples that are all zeros make batches without a single non-zero input: the sparse first
// layer's pre-activation is the bias alone; finite losses, the same on 1 and 2 threads.
TEST(TrainerSparseInput, AllZeroExamplesTrain) {
  RunConfig cfg = spiral_twins();
  DataSplit data = load_data(cfg.data, cfg.seed);
  std::fill(data.train.x.begin(), data.train.x.end(), 0.0f);
  std::vector<float> first;
  for (int threads : {1, 2}) {
    cfg.threads = threads;
    auto t = make_cpu_trainer(cfg, data);
    t->train(20);
    const std::vector<float> losses = t->take_losses();
    ASSERT_EQ(losses.size(), 40u);
    for (float l : losses) EXPECT_TRUE(std::isfinite(l));
    if (threads == 1) first = losses;
    else EXPECT_TRUE(same_bits(first, losses));
  }
}

TEST(TrainerSnapshots, ProbeStatisticsDoNotDisturbTraining) {
  // Snapshots between steps (probe passes, evaluation) must not change what training does.
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  const Trace often = run(cfg, data, 200, 10);
  const Trace never = run(cfg, data, 200, 200);
  EXPECT_TRUE(same_bits(often.losses, never.losses));
  for (size_t n = 0; n < 2; ++n)
    for (size_t l = 0; l < 3; ++l)
      EXPECT_TRUE(same_bits(often.params[n].layers[l].running_mean, never.params[n].layers[l].running_mean));
}

TEST(TrainerSnapshots, SnapshotShapeAndNormStatistics) {
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->request_snapshot(false);
  t->train(5);
  t->request_snapshot(true);
  auto s0 = t->poll_snapshot(true), s1 = t->poll_snapshot(true);
  ASSERT_TRUE(s0 && s1);
  EXPECT_FALSE(t->poll_snapshot(false).has_value());
  EXPECT_EQ(s0->step, 0);
  EXPECT_EQ(s1->step, 5);
  EXPECT_FALSE(s0->networks[0].has_eval);
  EXPECT_TRUE(std::isnan(s0->networks[0].test_acc));
  EXPECT_TRUE(s1->networks[1].has_eval);
  for (int n = 0; n < 2; ++n) {
    ASSERT_EQ(s1->networks[n].layers.size(), 2u);
    for (const LayerStats& ls : s1->networks[n].layers) {
      EXPECT_TRUE(std::isnan(s0->networks[n].layers[0].grad_norm)) << "no gradient before step 1";
      EXPECT_GT(ls.grad_norm, 0.f);
      EXPECT_GT(ls.weight_norm, 0.f);
      EXPECT_GT(ls.update_ratio, 0.f);
      uint32_t total = ls.hist[kTapPreNorm].underflow + ls.hist[kTapPreNorm].overflow;
      for (uint32_t c : ls.hist[kTapPreNorm].counts) total += c;
      EXPECT_EQ(total, 200u * 24u) << "probe_size × width";
      EXPECT_EQ(ls.hist[kTapPreNorm].counts.size(), 64u);
    }
  }
  EXPECT_TRUE(std::isnan(s1->networks[0].layers[0].gamma_mean)) << "no γ without normalization";
  EXPECT_FALSE(std::isnan(s1->networks[1].layers[0].gamma_mean));
  // The BN network's nonlinearity input is normalized over the probe set: mean ≈ mean β.
  EXPECT_NEAR(s1->networks[1].layers[0].mean, s1->networks[1].layers[0].beta_mean, 0.05);
}

// The strip of one mini-batch (stats.h BatchStrip): the last training step's batch at the typical
// unit, through Algorithm 1 — checked against a forward pass written out here in double from the
// parameters before that step, and against the paper's formulas on the strip's own numbers.
TEST(TrainerSnapshots, BatchStripIsTheLastTrainingStepThroughAlgorithm1) {
  const RunConfig cfg = spiral_twins({"stats.typical_unit=5"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->request_snapshot(false);
  t->train(70);  // more than one chunk of steps (cpu_trainer.cpp)
  const NetworkParams before[2] = {t->params(0), t->params(1)};  // θ before step 71
  t->train(1);
  t->request_snapshot(true);   // probe and evaluation passes: they must not change the strip
  t->request_snapshot(false);  // nor a second probe pass with no step between
  const auto s0 = t->poll_snapshot(true), s1 = t->poll_snapshot(true), s2 = t->poll_snapshot(true);
  ASSERT_TRUE(s0 && s1 && s2);
  EXPECT_EQ(s0->networks[1].layers[0].strip.step, -1) << "no step yet: no strip";
  EXPECT_TRUE(s0->networks[1].layers[0].strip.x.empty());

  // Step 71's batch, drawn the way the trainer draws it.
  BatchOrder order(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed);
  order.skip(70);
  const int32_t* idx = order.next();
  const int m = cfg.batch, unit = cfg.stats.typical_unit;
  std::vector<int32_t> labels(m);
  Eigen::MatrixXd u(data.train.dim, m);  // (dim, m)
  for (int j = 0; j < m; ++j) {
    labels[j] = data.train.y[idx[j]];
    for (int f = 0; f < data.train.dim; ++f) u(f, j) = data.train.example(idx[j])[f];
  }
  for (int n = 0; n < 2; ++n) {
    const NetworkConfig& nc = cfg.networks[n];
    Eigen::MatrixXd in = u;  // (width of the layer below, m)
    for (size_t l = 0; l < nc.model.hidden.size(); ++l) {
      SCOPED_TRACE(nc.name + " layer " + std::to_string(l));
      const LayerParams& lp = before[n].layers[l];
      const BatchStrip& st = s2->networks[n].layers[l].strip;
      // By hand: x = W u + b, and BN over the batch (biased variance) for the bn network.
      const Eigen::MatrixXd W = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
                                    lp.weight.data(), lp.out, lp.in).cast<double>();
      Eigen::MatrixXd x = W * in;  // (out, m)
      if (!lp.bias.empty())
        for (int o = 0; o < lp.out; ++o) x.row(o).array() += lp.bias[o];
      Eigen::MatrixXd z = x;
      if (lp.norm == Norm::Batch)
        for (int o = 0; o < lp.out; ++o) {
          const double mu = x.row(o).mean(), var = (x.row(o).array() - mu).square().mean();
          z.row(o) = ((x.row(o).array() - mu) / std::sqrt(var + nc.bn.eps) * lp.gamma[o] + lp.beta[o]).matrix();
        }
      in = z.array().tanh().matrix();

      EXPECT_EQ(st.step, 71);
      EXPECT_EQ(st.norm, nc.model.norm[l]);
      EXPECT_EQ(st.labels, labels);
      ASSERT_EQ(st.x.size(), static_cast<size_t>(m)) << "one value per example of the training batch";
      for (int j = 0; j < m; ++j) EXPECT_NEAR(st.x[j], x(unit, j), 1e-4 * (1 + std::abs(x(unit, j)))) << "example " << j;
      // Algorithm 1 on the strip's own numbers.
      double mean = 0, var = 0;
      for (float v : st.x) mean += v;
      mean /= m;
      for (float v : st.x) var += (v - mean) * (v - mean);
      var /= m;  // biased, as BN normalizes
      EXPECT_NEAR(st.mu, mean, 1e-5 * (std::abs(mean) + std::sqrt(var)));
      if (lp.norm != Norm::Batch) {
        EXPECT_TRUE(st.xhat.empty() && st.y.empty()) << "no BN: x only";
        EXPECT_TRUE(std::isnan(st.gamma) && std::isnan(st.beta));
        EXPECT_NEAR(st.sigma, std::sqrt(var), 1e-5 * std::sqrt(var)) << "the batch's own spread, no ε";
        continue;
      }
      EXPECT_NEAR(st.sigma * st.sigma, var + nc.bn.eps, 1e-4 * (var + nc.bn.eps)) << "σ² = biased variance + ε";
      EXPECT_EQ(st.gamma, lp.gamma[unit]) << "γ the step used, before its update";
      EXPECT_EQ(st.beta, lp.beta[unit]);
      ASSERT_EQ(st.xhat.size(), static_cast<size_t>(m));
      ASSERT_EQ(st.y.size(), static_cast<size_t>(m));
      for (int j = 0; j < m; ++j) {
        const double xhat = (st.x[j] - st.mu) / st.sigma, y = st.gamma * xhat + st.beta;
        EXPECT_NEAR(st.xhat[j], xhat, 1e-4 * (1 + std::abs(xhat))) << "x̂ = (x − μ)/σ, example " << j;
        EXPECT_NEAR(st.y[j], y, 1e-4 * (1 + std::abs(y))) << "y = γ x̂ + β, example " << j;
        EXPECT_NEAR(st.y[j], z(unit, j), 1e-4 * (1 + std::abs(z(unit, j)))) << "example " << j;
      }
    }
    // The first snapshot after the step holds the same strip as the second.
    EXPECT_EQ(s1->networks[n].layers[0].strip.x, s2->networks[n].layers[0].strip.x);
  }
}

// [SECTION] Divergence

TEST(TrainerDivergence, NoBnNetworkDivergesWhileItsBnTwinCarriesOn) {
  // Linear units with lr 1: without BN the weights grow geometrically and overflow within a few
  // steps; BN renormalizes every layer and keeps training.
  const RunConfig cfg = spiral_twins({"model.activation=linear", "optim.lr=1", "optim.momentum=0",
                                      "model.init_std=1"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->request_snapshot(true);
  t->train(300);
  t->request_snapshot(true);
  const auto losses = t->take_losses();
  ASSERT_EQ(losses.size(), 600u);
  t->poll_snapshot(true);
  const auto end = t->poll_snapshot(true);
  ASSERT_TRUE(end.has_value());
  const int64_t div = end->networks[0].diverged_at;
  ASSERT_GE(div, 1) << "the no-BN network did not diverge";
  ASSERT_LE(div, 300);
  EXPECT_FALSE(std::isfinite(losses[2 * (div - 1)])) << "the step marked diverged has a NaN/Inf loss";
  for (int64_t s = 1; s < div; ++s) EXPECT_TRUE(std::isfinite(losses[2 * (s - 1)])) << "step " << s;
  for (int64_t s = div + 1; s <= 300; ++s) ASSERT_TRUE(std::isnan(losses[2 * (s - 1)])) << "step " << s;
  EXPECT_EQ(end->networks[1].diverged_at, -1);
  for (int s = 1; s <= 300; ++s) ASSERT_TRUE(std::isfinite(losses[2 * (s - 1) + 1])) << "BN twin, step " << s;
  // The diverged network's parameters stay as they were when it stopped; its twin keeps learning.
  const NetworkParams frozen = t->params(0);
  t->train(10);
  EXPECT_TRUE(same_bits(t->params(0).layers[0].weight, frozen.layers[0].weight));
  const auto more = t->take_losses();
  for (int s = 0; s < 10; ++s) {
    EXPECT_TRUE(std::isnan(more[2 * s]));
    EXPECT_TRUE(std::isfinite(more[2 * s + 1]));
  }
}

TEST(TrainerDivergence, DivergedNetworkReportsNoTestAccuracy) {
  // A network marked diverged has NaN weights: a test accuracy for it (argmax of NaN
  // probabilities = always class 0) would be a made-up number. It should be NaN, like its loss.
  const RunConfig cfg = spiral_twins({"model.activation=linear", "optim.lr=1", "optim.momentum=0",
                                      "model.init_std=1"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->train(100);
  t->request_snapshot(true);
  const auto s = t->poll_snapshot(true);
  ASSERT_TRUE(s.has_value());
  ASSERT_GE(s->networks[0].diverged_at, 1);
  EXPECT_TRUE(std::isnan(s->networks[0].test_loss));
  EXPECT_TRUE(std::isnan(s->networks[0].test_acc)) << "diverged network reports test_acc " << s->networks[0].test_acc;
}

// [SECTION] Refusals and evaluation statistics

TEST(TrainerRefusal, BatchLargerThanTheTrainingSet) {
  const RunConfig cfg = spiral_twins({"data.train_size=50", "optim.batch=64"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  try {
    make_cpu_trainer(cfg, data);
    ADD_FAILURE() << "accepted a batch of 64 from 50 examples";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("optim.batch=64"), std::string::npos) << msg;
    EXPECT_NE(msg.find("50"), std::string::npos) << msg;
  }
  // Exactly the training set is fine: one batch per epoch.
  const RunConfig ok = spiral_twins({"data.train_size=64", "optim.batch=64"});
  const DataSplit ok_data = load_data(ok.data, ok.seed);
  auto t = make_cpu_trainer(ok, ok_data);
  t->train(3);
  EXPECT_EQ(t->take_losses().size(), 6u);
}

TEST(TrainerEvalStats, BatchAndRunningStatisticsGiveDifferentTestLossForBn) {
  // Early in training the running statistics (momentum 0.1 from (0, 1)) lag far behind the batch
  // statistics, so evaluation differs; the no-BN network does not care.
  const RunConfig running = spiral_twins();
  const RunConfig batch = spiral_twins({"eval_stats=batch"});
  const DataSplit data = load_data(running.data, running.seed);
  auto a = make_cpu_trainer(running, data);
  auto b = make_cpu_trainer(batch, data);
  a->train(5);
  b->train(5);
  a->request_snapshot(true);
  b->request_snapshot(true);
  const auto sa = a->poll_snapshot(true), sb = b->poll_snapshot(true);
  ASSERT_TRUE(sa && sb);
  EXPECT_GT(std::abs(sa->networks[1].test_loss - sb->networks[1].test_loss), 1e-3f)
      << "running " << sa->networks[1].test_loss << " batch " << sb->networks[1].test_loss;
  EXPECT_NEAR(sa->networks[0].test_loss, sb->networks[0].test_loss, 1e-5f);
  EXPECT_EQ(sa->networks[0].test_acc, sb->networks[0].test_acc);
  // Evaluation touches neither the running statistics nor the training that follows.
  EXPECT_TRUE(same_bits(a->params(1).layers[0].running_mean, b->params(1).layers[0].running_mean));
  a->train(5);
  b->train(5);
  EXPECT_TRUE(same_bits(a->take_losses(), b->take_losses()));
}

TEST(TrainerParams, SetParamsThenParamsRoundTrips) {
  const RunConfig cfg = spiral_twins();
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto a = make_cpu_trainer(cfg, data);
  a->train(50);
  auto b = make_cpu_trainer(cfg, data);
  for (int n = 0; n < 2; ++n) b->set_params(n, a->params(n));
  for (int n = 0; n < 2; ++n) {
    // params() returns by value: hold the copies, not references into temporaries.
    const NetworkParams pa = a->params(n), pb = b->params(n);
    for (size_t l = 0; l < 3; ++l) {
      const LayerParams &x = pa.layers[l], &y = pb.layers[l];
      EXPECT_TRUE(same_bits(x.weight, y.weight));
      EXPECT_TRUE(same_bits(x.bias, y.bias));
      EXPECT_TRUE(same_bits(x.gamma, y.gamma));
      EXPECT_TRUE(same_bits(x.running_var, y.running_var));
    }
  }
  a->request_snapshot(true);
  b->request_snapshot(true);
  const auto sa = a->poll_snapshot(true), sb = b->poll_snapshot(true);
  for (int n = 0; n < 2; ++n) {
    EXPECT_TRUE(same_bits(sa->networks[n].test_loss, sb->networks[n].test_loss));
    EXPECT_TRUE(same_bits(sa->networks[n].layers[1].pct[2], sb->networks[n].layers[1].pct[2]));
  }
}

// [SECTION] Starting at a step

TEST(BatchOrderSkip, SkipLeavesTheOrderWhereDrawingWould) {
  // Batches that divide the set and batches that leave a remainder; skips within an epoch, to
  // an epoch's exact end, and across many epochs; shuffled and not.
  for (bool shuffle : {true, false})
    for (int batch : {25, 32, 100})
      for (int64_t k : {0, 1, 3, 4, 5, 8, 24, 25, 26, 101}) {
        BatchOrder drawn(100, batch, shuffle, 7), skipped(100, batch, shuffle, 7);
        for (int64_t i = 0; i < k; ++i) drawn.next();
        skipped.skip(k);
        for (int i = 0; i < 10; ++i) {
          const int32_t *a = drawn.next(), *b = skipped.next();
          ASSERT_TRUE(std::equal(a, a + batch, b))
              << "batch " << batch << ", shuffle " << shuffle << ", skip " << k << ", then draw " << i;
        }
      }
}

// Rng::discard(k) leaves the stream where k draws would, for counts within a word and across many.
TEST(BatchOrderSkip, DiscardEqualsDrawing) {
  for (uint64_t k : {0, 1, 2, 63, 64, 99, 1000, 123457}) {
    Rng drawn(42, kStreamDataOrder), discarded(42, kStreamDataOrder);
    for (uint64_t i = 0; i < k; ++i) drawn.next();
    discarded.discard(k);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(drawn.next(), discarded.next()) << "after " << k << " draws";
  }
}

// A step as far as an int64 goes is reached at once (a session file may name any step): skipping
// costs O(log steps), not O(steps). Two such seeks in a row agree with each other.
TEST(BatchOrderSkip, AnyStepIsReachedAtOnce) {
  BatchOrder a(1000, 60, true, 3), b(1000, 60, true, 3);
  a.skip(9000000000000000000);
  b.skip(8999999999999999999);
  b.next();
  const int32_t *x = a.next(), *y = b.next();
  EXPECT_TRUE(std::equal(x, x + 60, y));
}

// A run of `steps` steps straight, and the same run interrupted at `split`: its parameters
// moved into a new trainer that seeks to `split` and trains the rest. `make` makes a trainer.
template <class Make>
void expect_seek_continues_exactly(const RunConfig& cfg, const DataSplit& data, Make make, int split, int steps) {
  auto straight = make(cfg, data);
  straight->train(steps);
  const std::vector<float> ref = straight->take_losses();

  auto first = make(cfg, data);
  first->train(split);
  std::vector<float> losses = first->take_losses();
  auto second = make(cfg, data);
  for (int n = 0; n < first->network_count(); ++n) second->set_params(n, first->params(n));
  second->seek(split);
  EXPECT_EQ(second->step(), split);
  second->train(steps - split);
  EXPECT_EQ(second->step(), steps);
  const std::vector<float> rest = second->take_losses();
  losses.insert(losses.end(), rest.begin(), rest.end());
  ASSERT_EQ(losses.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_TRUE(same_bits(losses[i], ref[i])) << "step " << i / 2 + 1 << " net " << i % 2 << ": " << losses[i]
                                               << " vs " << ref[i];
  for (int n = 0; n < straight->network_count(); ++n) {
    const NetworkParams ps = straight->params(n), pc = second->params(n);
    for (size_t l = 0; l < 3; ++l) {
      const LayerParams &x = ps.layers[l], &y = pc.layers[l];
      EXPECT_TRUE(same_bits(x.weight, y.weight)) << "net " << n << " layer " << l;
      EXPECT_TRUE(same_bits(x.bias, y.bias)) << "net " << n << " layer " << l;
      EXPECT_TRUE(same_bits(x.gamma, y.gamma)) << "net " << n << " layer " << l;
      EXPECT_TRUE(same_bits(x.running_mean, y.running_mean)) << "net " << n << " layer " << l;
      EXPECT_TRUE(same_bits(x.running_var, y.running_var)) << "net " << n << " layer " << l;
    }
  }
  // Snapshots are stamped with the continued step.
  second->request_snapshot(false);
  const auto snap = second->poll_snapshot(true);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->step, steps);
}

TEST(TrainerSeek, ContinuingInANewTrainerEqualsTrainingStraightThrough) {
  // Momentum 0: nothing but parameters (BN running statistics included) and the data order
  // carry a run, so the continuation is bit-exact. 150 steps of 32 from 600 examples end inside
  // the 9th epoch.
  const RunConfig cfg = spiral_twins({"optim.momentum=0"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  expect_seek_continues_exactly(
      cfg, data, [](const RunConfig& c, const DataSplit& d) { return make_cpu_trainer(c, d); }, 150, 300);
}

TEST(TrainerSeek, AfterABatchSizeChangeTheOrderStartsWhereSetBatchStartedIt) {
  const RunConfig cfg = spiral_twins({"optim.momentum=0"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto straight = make_cpu_trainer(cfg, data);
  straight->train(100);
  straight->set_batch(16);
  straight->train(200);
  const std::vector<float> all = straight->take_losses();
  const std::vector<float> ref(all.begin() + 2 * 150, all.end());  // steps 151..300

  auto first = make_cpu_trainer(cfg, data);
  first->train(100);
  first->set_batch(16);
  first->train(50);
  RunConfig at16 = cfg;
  at16.batch = 16;
  auto second = make_cpu_trainer(at16, data);
  for (int n = 0; n < 2; ++n) second->set_params(n, first->params(n));
  second->seek(150, /*order_start=*/100);
  second->train(150);
  EXPECT_TRUE(same_bits(second->take_losses(), ref));
  EXPECT_THROW(second->seek(10, 20), std::invalid_argument);
  EXPECT_THROW(second->seek(10, -1), std::invalid_argument);
}

TEST(TrainerSeek, WithMomentumOnlyTheVelocityRestarts) {
  // The first continued step's loss comes from the parameters alone: equal. The velocity starts
  // again from zero, so the updates that follow are smaller than straight through (documented in
  // Trainer::seek).
  const RunConfig cfg = spiral_twins();  // momentum 0.9
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto straight = make_cpu_trainer(cfg, data);
  straight->train(60);
  const std::vector<float> ref = straight->take_losses();
  auto first = make_cpu_trainer(cfg, data);
  first->train(50);
  auto second = make_cpu_trainer(cfg, data);
  for (int n = 0; n < 2; ++n) second->set_params(n, first->params(n));
  second->seek(50);
  second->train(10);
  const std::vector<float> rest = second->take_losses();
  EXPECT_TRUE(same_bits(rest[0], ref[100]));
  EXPECT_TRUE(same_bits(rest[1], ref[101]));
  EXPECT_FALSE(same_bits(rest, std::vector<float>(ref.begin() + 100, ref.end())));
}

TEST(TrainerSeek, GpuContinuesLikeTheCpu) {
  try {
    GlContext probe;
  } catch (const GpuError& e) {
    GTEST_SKIP() << "no OpenGL 4.3 compute context: " << e.what();
  }
  const RunConfig cfg = spiral_twins({"optim.momentum=0", "backend=gpu"});
  const DataSplit data = load_data(cfg.data, cfg.seed);
  // 40 steps then 300: the continuation crosses the GPU's 256-step index uploads and its
  // 512-step index ring at a different phase than the straight run.
  expect_seek_continues_exactly(cfg, data, make_gpu_trainer, 40, 340);
}

}  // namespace
}  // namespace bnlab
