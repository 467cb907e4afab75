// test_session.cpp — the lab's worker: pausing and stepping N gives exactly a headless run of N
// steps; reset gives identical initial weights; live changes apply, others wait for a reset;
// invalid settings are refused; a diverging network stops while its twin carries on.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "core/dataset.h"
#include "core/lab_session.h"
#include "core/trainer.h"

namespace bnlab {
namespace {

RunConfig spiral_twins(const std::vector<std::string>& sets = {}) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "seed": 3, "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [24, 24], "activation": "tanh", "init": "gaussian", "init_std": 0.5},
    "optim": {"lr": 0.1, "momentum": 0.9, "batch": 32},
    "log_every": 10, "eval_every": 50,
    "stats": {"probe_size": 200},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

// The losses a headless trainer gives for `steps` steps: (steps, networks).
std::vector<float> headless_losses(const RunConfig& cfg, int steps) {
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->train(steps);
  return t->take_losses();
}

TEST(LabSession, PausedSteppingMatchesHeadlessRun) {
  const RunConfig cfg = spiral_twins();
  LabSession lab(cfg, /*playing=*/false);
  lab.step(1);
  lab.step(99);
  lab.step(137);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->ready) << s->error;
  EXPECT_EQ(s->step, 237);
  EXPECT_FALSE(s->playing);
  EXPECT_EQ(s->backend, "cpu");
  const std::vector<float> ref = headless_losses(cfg, 237);
  for (int n = 0; n < 2; ++n) {
    const Series& loss = s->history.networks()[n].train_loss;
    ASSERT_EQ(loss.size(), 237);
    for (int k = 0; k < 237; ++k) {
      EXPECT_EQ(loss.x()[k], k + 1);
      ASSERT_EQ(std::memcmp(&loss.mean()[k], &ref[k * 2 + n], sizeof(float)), 0) << "net " << n << " step " << k + 1;
    }
    // Snapshots on every multiple of log_every, plus step 0; evaluation every 50 and at 0.
    EXPECT_EQ(s->history.networks()[n].layers[1].pct[2].size(), 24);
    EXPECT_EQ(s->history.networks()[n].test_acc.size(), 5);
    EXPECT_EQ(s->history.networks()[n].latest_step, 230);
  }
}

TEST(LabSession, ResetGivesIdenticalStart) {
  LabSession lab(spiral_twins(), false);
  lab.step(20);
  lab.wait_idle();
  auto first = lab.state();
  lab.reset();
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 0);
  lab.step(20);
  lab.wait_idle();
  auto second = lab.state();
  const Series &a = first->history.networks()[1].train_loss, &b = second->history.networks()[1].train_loss;
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.mean(), b.mean(), sizeof(float) * a.size()), 0);
  lab.new_seed();
  lab.step(20);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->active.seed, 4u);
  EXPECT_NE(std::memcmp(a.mean(), lab.state()->history.networks()[1].train_loss.mean(), sizeof(float) * 20), 0);
}

TEST(LabSession, PlayTrainsWithoutBlockingAndPauses) {
  LabSession lab(spiral_twins(), true);
  const auto t0 = std::chrono::steady_clock::now();
  while (lab.state()->step < 300 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(lab.state()->step, 300);
  lab.set_playing(false);
  lab.wait_idle();
  const int64_t at = lab.state()->step;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(lab.state()->step, at);
  EXPECT_GT(lab.state()->steps_per_second, 0);
}

TEST(LabSession, SpeedLimitThrottles) {
  LabSession lab(spiral_twins(), false);
  lab.set_speed_limit(100);
  lab.set_playing(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t steps = lab.state()->step;
  EXPECT_GT(steps, 10);
  EXPECT_LT(steps, 120);  // ≈ 50 in half a second, with a burst of at most 10
}

TEST(LabSession, LiveChangesAndResetFlags) {
  LabSession lab(spiral_twins(), false);
  lab.step(10);
  lab.wait_idle();
  RunConfig d = lab.state()->desired;
  d.networks[0].optim.lr = 0.05;
  d.networks[0].model.norm = {Norm::Batch, Norm::None};  // BN switched on in layer 1, live
  d.networks[1].name = "with-bn";
  d.batch = 16;
  lab.configure(d);
  lab.wait_idle();
  auto s = lab.state();
  EXPECT_TRUE(s->error.empty()) << s->error;
  EXPECT_TRUE(s->needs_reset.empty());
  EXPECT_EQ(s->active.networks[0].optim.lr, 0.05);
  EXPECT_EQ(s->active.networks[0].model.norm[0], Norm::Batch);
  EXPECT_EQ(s->active.networks[1].name, "with-bn");
  EXPECT_EQ(s->active.batch, 16);
  ASSERT_EQ(s->history.networks()[0].units[0].gamma.size(), 24u);

  d.networks[1].model.hidden = {16, 16};
  d.networks[1].model.activation = Activation::Relu;
  lab.configure(d);
  lab.wait_idle();
  s = lab.state();
  ASSERT_EQ(s->needs_reset.size(), 2u);
  EXPECT_NE(s->needs_reset[0].find("hidden widths 24,24 → 16,16"), std::string::npos) << s->needs_reset[0];
  EXPECT_EQ(s->active.networks[1].model.hidden[0], 24);
  lab.reset();
  lab.wait_idle();
  s = lab.state();
  EXPECT_TRUE(s->needs_reset.empty());
  EXPECT_EQ(s->active.networks[1].model.hidden[0], 16);
  EXPECT_EQ(s->history.networks()[1].layers.size(), 2u);

  d.networks[0].optim.lr = -1;
  lab.configure(d);
  lab.wait_idle();
  EXPECT_NE(lab.state()->error.find("lr"), std::string::npos) << lab.state()->error;
  EXPECT_EQ(lab.state()->active.networks[0].optim.lr, 0.05);
}

TEST(LabSession, AffineSliderSetsOneLayer) {
  LabSession lab(spiral_twins(), false);
  lab.set_affine(1, 0, false, 2.5f);
  lab.set_affine(0, 0, false, 2.5f);  // no normalization there: refused with a message
  lab.wait_idle();
  auto s = lab.state();
  for (float g : s->history.networks()[1].units[0].gamma) EXPECT_EQ(g, 2.5f);
  for (float g : s->history.networks()[1].units[1].gamma) EXPECT_EQ(g, 1.f);
  EXPECT_NE(s->error.find("no normalization"), std::string::npos);
}

TEST(LabSession, DivergedNetworkStopsTwinCarriesOn) {
  LabSession lab(spiral_twins({"networks.0.optim.lr=90", "model.activation=linear", "model.init_std=3"}), false);
  lab.step(200);
  lab.wait_idle();
  auto s = lab.state();
  EXPECT_GE(s->history.networks()[0].diverged_at, 1);
  EXPECT_EQ(s->history.networks()[1].diverged_at, -1);
  EXPECT_EQ(s->step, 200);
}

TEST(LabSession, BadDataIsReportedNotThrown) {
  RunConfig cfg = spiral_twins();
  cfg.data.kind = DataKind::Idx;
  cfg.data.train_images = "/nonexistent/train-images";
  cfg.data.train_labels = "/nonexistent/train-labels";
  cfg.data.test_images = "/nonexistent/test-images";
  cfg.data.test_labels = "/nonexistent/test-labels";
  LabSession lab(cfg, true);
  lab.wait_idle();
  auto s = lab.state();
  EXPECT_FALSE(s->ready);
  EXPECT_NE(s->error.find("/nonexistent"), std::string::npos) << s->error;
}

}  // namespace
}  // namespace bnlab
