// test_session.cpp — the lab's worker: pausing and stepping N gives exactly a headless run of N
// steps; reset gives identical initial weights; live changes apply, others wait for a reset;
// invalid settings are refused; a diverging network stops while its twin carries on; networks
// added, duplicated and removed while training leave the others exactly where they were.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/format.h"
#include "core/lab_session.h"
#include "core/session_file.h"
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
  // The lab leaves one core to the window: twins train on 1 thread on 2 cores, on 2 from 3 cores.
  const int threads = std::min(2, std::max(1, static_cast<int>(std::thread::hardware_concurrency()) - 1));
  EXPECT_EQ(s->backend, "cpu, " + std::to_string(threads) + (threads == 1 ? " thread" : " threads"));
  const std::vector<float> ref = headless_losses(cfg, 237);
  for (int n = 0; n < 2; ++n) {
    const Series& loss = s->history.networks()[n].train_loss;
    ASSERT_EQ(loss.size(), 237);
    for (int k = 0; k < 237; ++k) {
      EXPECT_EQ(loss.x()[k], k + 1);
      ASSERT_EQ(std::memcmp(&loss.mean()[k], &ref[k * 2 + n], sizeof(float)), 0) << "net " << n << " step " << k + 1;
    }
    // Snapshots on every multiple of log_every, plus step 0, evaluated as all are within the
    // early phase (kEarlyPhaseSteps); and where a step request ended: 237, and 1 unless the
    // requests reached the worker together (then one request of 237 steps).
    const Series& median = s->history.networks()[n].layers[1].pct[2];
    EXPECT_GE(median.size(), 25);
    EXPECT_LE(median.size(), 26);
    EXPECT_EQ(median.x()[median.size() - 1], 237);
    EXPECT_EQ(s->history.networks()[n].test_acc.size(), 24);
    EXPECT_EQ(s->history.networks()[n].latest_step, 237);
  }
}

// Asked for the full MNIST where it is not installed, the lab opens on the shipped subset and
// says so (the banner above the views), and what trains names mnist-10k.
TEST(LabSession, MissingFullMnistOpensOnTheSubsetWithANotice) {
  setenv("BNLAB_MNIST_DIR", "/nonexistent/bnlab-mnist", 1);
  RunConfig cfg = spiral_twins({"data.kind=mnist", "data.train_size=0", "data.test_size=0"});
  LabSession lab(cfg, false);
  lab.wait_idle();
  unsetenv("BNLAB_MNIST_DIR");
  auto s = lab.state();
  ASSERT_TRUE(s->ready) << s->error;
  EXPECT_EQ(s->active.data.kind, DataKind::Mnist10k);
  EXPECT_NE(s->data_notice.find("third_party/setup-debian.sh"), std::string::npos) << s->data_notice;
  EXPECT_NE(s->data_notice.find("The lab trains on mnist-10k instead."), std::string::npos) << s->data_notice;
  EXPECT_EQ(s->data_description.rfind("mnist-10k", 0), 0u) << s->data_description;
}

TEST(LabSession, EvaluatesEveryLoggedStepOnlyInTheEarlyPhase) {
  LabSession lab(spiral_twins(), false);
  lab.step(kEarlyPhaseSteps + 200);
  lab.wait_idle();
  const Series& acc = lab.state()->history.networks()[0].test_acc;
  // Steps 0, 10, …, 2000 (log_every 10), then 2050, 2100, 2150, 2200 (eval_every 50).
  ASSERT_EQ(acc.size(), 201 + 4);
  EXPECT_EQ(acc.x()[200], 2000);
  EXPECT_EQ(acc.x()[201], 2050);
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

// Slow motion: at 5 steps/s or less every step's statistics are measured (log_every is 10 here),
// so the bands move with each step; faster, only every log_every.
TEST(LabSession, SlowMotionLogsEveryStep) {
  LabSession lab(spiral_twins(), false);
  lab.set_speed_limit(5);
  lab.set_playing(true);
  const auto t0 = std::chrono::steady_clock::now();
  while (lab.state()->step < 4 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  lab.set_playing(false);
  lab.wait_idle();
  const auto s = lab.state();
  ASSERT_GE(s->step, 4);
  const Series& median = s->history.networks()[0].layers[0].pct[2];
  ASSERT_EQ(median.size(), s->step + 1) << "steps 0…" << s->step << " each measured";
  for (int i = 0; i < median.size(); ++i) EXPECT_EQ(median.x()[i], i);

  LabSession fast(spiral_twins(), false);
  fast.set_speed_limit(50);
  fast.set_playing(true);
  while (fast.state()->step < 15 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(40))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fast.set_playing(false);
  fast.wait_idle();
  const Series& every10 = fast.state()->history.networks()[0].layers[0].pct[2];
  EXPECT_EQ(every10.size(), fast.state()->step / 10 + 1);
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

// The meters' frequency is a live control: no reset, the history takes every measurement.
TEST(LabSession, MeterFrequencyChangesLive) {
  LabSession lab(spiral_twins({"landscape.every=100"}), /*playing=*/false);
  lab.step(50);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->history.networks()[1].beta_smooth.size(), 1);  // step 0
  RunConfig d = lab.desired();
  d.landscape.every = 10;
  lab.configure(d);
  lab.step(50);
  lab.wait_idle();
  auto s = lab.state();
  EXPECT_TRUE(s->needs_reset.empty());
  EXPECT_EQ(s->active.landscape.every, 10);
  const NetworkHistory& bn = s->history.networks()[1];
  ASSERT_EQ(bn.beta_smooth.size(), 6);  // steps 0, 50, 60, 70, 80, 90
  EXPECT_EQ(bn.beta_smooth.x()[1], 50.0);
  EXPECT_EQ(bn.ics[2].l2.size(), 6);
  d.landscape.every = 0;
  lab.configure(d);
  lab.step(50);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->history.networks()[1].beta_smooth.size(), 6);
  d.landscape.multipliers = {1, 2};
  lab.configure(d);
  lab.wait_idle();
  EXPECT_FALSE(lab.state()->needs_reset.empty());
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

// Polls until training has stopped by itself, saying why (or 60 s pass); the last published state.
std::shared_ptr<const LabState> until_paused(LabSession& lab) {
  const auto t0 = std::chrono::steady_clock::now();
  while (lab.state()->paused_why.empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return lab.state();
}

// Pause at step N stops a run playing at full speed exactly there, says why, plays on from there
// when asked, and stops there again after a reset.
TEST(LabSession, PausesAtTheStepAskedForAgainAfterAReset) {
  LabSession lab(spiral_twins(), false);
  lab.set_pause_at(137);
  lab.set_playing(true);
  auto s = until_paused(lab);
  EXPECT_FALSE(s->playing);
  EXPECT_EQ(s->step, 137);
  EXPECT_EQ(s->paused_why, "paused at step 137, as asked");
  lab.step(10);  // goes on from the pause, and clears the reason
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 147);
  EXPECT_EQ(lab.state()->paused_why, "");
  lab.reset();
  lab.set_playing(true);
  s = until_paused(lab);
  EXPECT_EQ(s->step, 137);
  EXPECT_FALSE(s->playing);
  lab.set_pause_at(0);
  lab.set_playing(true);
  const auto t0 = std::chrono::steady_clock::now();
  while (lab.state()->step < 400 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(lab.state()->step, 400) << "pause at step 0 means never";
}

// With "pause if a network diverges" on, the run stops at the chunk where one network diverged,
// while its twin is still healthy; without it, the twin trains on.
TEST(LabSession, PausesWhenANetworkDivergesIfAsked) {
  const RunConfig cfg = spiral_twins({"networks.0.optim.lr=90", "model.activation=linear", "model.init_std=3"});
  LabSession lab(cfg, false);
  lab.set_pause_on_divergence(true);
  lab.set_playing(true);
  const auto s = until_paused(lab);
  ASSERT_EQ(s->history.networks().size(), 2u);
  EXPECT_FALSE(s->playing);
  const int64_t diverged = s->history.networks()[0].diverged_at;
  ASSERT_GE(diverged, 1);
  EXPECT_EQ(s->history.networks()[1].diverged_at, -1);
  EXPECT_LE(s->step, diverged + 10) << "trained on past the chunk it diverged in (log_every 10)";
  EXPECT_EQ(s->paused_why, "plain diverged at step " + with_thousands(diverged) + ": paused, as asked");

  LabSession free_run(cfg, false);
  free_run.set_playing(true);
  const auto t0 = std::chrono::steady_clock::now();
  while (free_run.state()->step < diverged + 500 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(free_run.state()->step, diverged + 500);
  EXPECT_TRUE(free_run.state()->paused_why.empty());
}

// Every edit made while training is an event at the step it took effect, labelled with what
// changed; a slider dragged over many frames is one event with the value it ended on; the events
// follow their networks when the list changes, survive a session's round trip, and a reset
// clears them.
TEST(LabSession, EditsWhileTrainingAreEventsAtTheirSteps) {
  LabSession lab(spiral_twins(), false);
  lab.step(40);
  lab.wait_idle();
  RunConfig d = lab.state()->desired;
  d.networks[0].model.norm = {Norm::Batch, Norm::Batch};
  lab.configure(d);
  for (double lr : {0.09, 0.07, 0.05}) {  // a drag: three frames in a row
    d.networks[1].optim.lr = lr;
    lab.configure(d);
  }
  lab.step(20);
  lab.wait_idle();
  d.batch = 16;
  lab.configure(d);
  d.networks[0].optim.lr = d.networks[1].optim.lr = 0.2;  // the global slider: one event of the run's
  lab.configure(d);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  std::vector<RunEvent> want = {{40, 0, "BN"}, {40, 1, "lr 0.05"}, {60, -1, "batch 16"}, {60, -1, "lr 0.2"}};
  EXPECT_EQ(s->history.events(), want);
  EXPECT_EQ(s->history.networks()[0].norm_since, 40);
  EXPECT_EQ(s->history.networks()[1].norm_since, 0);

  lab.edit_network(NetworkEdit::Remove, 0);  // bn's events are now network 0's; plain's go
  lab.edit_network(NetworkEdit::Duplicate, 0);
  lab.wait_idle();
  s = lab.state();
  want = {{40, 0, "lr 0.05"}, {60, -1, "batch 16"}, {60, -1, "lr 0.2"}, {60, -1, "− plain"}, {60, 1, "+ bn-2"}};
  EXPECT_EQ(s->history.events(), want);

  const LabSnapshot reopened = decode_session(encode_session(lab.capture()), "events.bnlab.json");
  EXPECT_EQ(reopened.history.events(), want);
  lab.reset();
  lab.wait_idle();
  EXPECT_TRUE(lab.state()->history.events().empty());
}

// Undo brings back what a destructive edit lost — a removed network, a reset, a new seed, an
// opened run — with its parameters, step and history; eight edits deep, no further.
TEST(LabSessionUndo, BringsBackWhatAnEditLost) {
  LabSession lab(spiral_twins(), false);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->undo_what, "");
  lab.step(50);
  lab.wait_idle();
  const LabSnapshot before = lab.capture();
  const size_t losses = lab.state()->history.networks()[0].train_loss.size();

  lab.edit_network(NetworkEdit::Remove, 0);
  lab.wait_idle();
  ASSERT_EQ(lab.state()->active.networks.size(), 1u);
  EXPECT_EQ(lab.state()->undo_what, "remove plain at step 50");
  lab.undo();
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_EQ(s->active.networks.size(), 2u);
  EXPECT_EQ(s->active.networks[0].name, "plain");
  EXPECT_EQ(lab.desired().networks.size(), 2u);
  EXPECT_EQ(s->step, 50);
  EXPECT_EQ(s->history.networks()[0].train_loss.size(), losses);
  EXPECT_EQ(s->undo_what, "");
  const LabSnapshot after = lab.capture();
  for (int n = 0; n < 2; ++n) EXPECT_EQ(after.params[n].layers[0].weight, before.params[n].layers[0].weight);

  lab.reset();
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 0);
  lab.undo();
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 50);
  lab.step(10);  // trains on from the restored run
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 60);

  const uint64_t seed = lab.desired().seed;
  lab.new_seed();
  lab.wait_idle();
  EXPECT_EQ(lab.desired().seed, seed + 1);
  lab.undo();
  lab.wait_idle();
  EXPECT_EQ(lab.desired().seed, seed);
  EXPECT_EQ(lab.state()->active.seed, seed);
  EXPECT_EQ(lab.state()->step, 60);

  for (int i = 0; i < kUndoDepth + 2; ++i) lab.reset();
  for (int i = 0; i < kUndoDepth + 2; ++i) lab.undo();
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 0) << "undid more than kUndoDepth edits";
  EXPECT_EQ(lab.state()->undo_what, "");
}

// A diverged network given a lower learning rate trains again from its last healthy parameters
// (its own are NaN by then), instead of diverging again at once under a moving mark.
TEST(LabSession, DivergedNetworkTrainsAgainAfterALowerLearningRate) {
  LabSession lab(spiral_twins({"networks.0.optim.lr=90", "model.activation=linear", "model.init_std=3"}), false);
  lab.step(100);
  lab.wait_idle();
  ASSERT_GE(lab.state()->history.networks()[0].diverged_at, 1);
  RunConfig d = lab.desired();
  d.networks[0].optim.lr = 0.001;
  lab.configure(d);
  lab.step(100);
  lab.wait_idle();
  const auto s = lab.state();
  const NetworkHistory& h = s->history.networks()[0];
  EXPECT_EQ(h.diverged_at, -1) << "diverged again";
  EXPECT_EQ(h.latest_step, 200);
  EXPECT_TRUE(std::isfinite(h.train_loss.last()));
}

// An invalid setting (a name with a space and a '!') is refused at once with the reason, and
// does not stay in desired() to block the next, valid change.
TEST(LabSession, InvalidNameDoesNotBlockLaterChanges) {
  LabSession lab(spiral_twins(), false);
  lab.wait_idle();
  RunConfig d = lab.desired();
  d.networks[0].name = " copy!";
  EXPECT_NE(config_problem(d).find("name"), std::string::npos);
  lab.configure(d);
  lab.wait_idle();
  EXPECT_NE(lab.state()->error.find("name"), std::string::npos) << lab.state()->error;
  EXPECT_EQ(lab.desired().networks[0].name, "plain");
  RunConfig next = lab.desired();
  next.networks[0].model.norm = {Norm::Batch, Norm::Batch};
  lab.configure(next);
  lab.wait_idle();
  EXPECT_TRUE(lab.state()->error.empty()) << lab.state()->error;
  EXPECT_EQ(lab.state()->active.networks[0].model.norm[1], Norm::Batch);
}

// Under a speed limit the readout is steps per second of wall-clock time, not of training time.
TEST(LabSession, StepsPerSecondReadoutFollowsTheSpeedLimit) {
  LabSession lab(spiral_twins(), false);
  lab.set_speed_limit(20);
  lab.set_playing(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  const double rate = lab.state()->steps_per_second;
  EXPECT_GT(rate, 8);
  EXPECT_LT(rate, 30);
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

// [SECTION] Networks added, duplicated and removed while training

// Momentum 0: then moving the networks into a new trainer (Worker::set_networks) changes nothing
// at all, and every comparison below can be bit for bit.
RunConfig plain_sgd_twins() { return spiral_twins({"optim.momentum=0"}); }

// Train loss of `net` at steps first..last of a history, bit for bit against `ref` (steps,
// networks) starting at step 1, network `ref_net` of `ref_nets`.
void expect_losses(const Series& loss, int64_t first, int64_t last, const std::vector<float>& ref, int ref_net,
                   int ref_nets) {
  ASSERT_EQ(loss.size(), last - first + 1);
  for (int64_t k = 0; k < loss.size(); ++k) {
    ASSERT_EQ(loss.x()[k], first + k);
    const float want = ref[(first + k - 1) * ref_nets + ref_net];
    ASSERT_EQ(std::memcmp(&loss.mean()[k], &want, sizeof(float)), 0)
        << "step " << first + k << ": " << loss.mean()[k] << " vs " << want;
  }
}

TEST(LabSessionNetworks, DuplicateContinuesFromTheSourceAndRestartsNothing) {
  const RunConfig cfg = plain_sgd_twins();
  const std::vector<float> ref = headless_losses(cfg, 230);
  LabSession lab(cfg, false);
  lab.step(100);
  lab.wait_idle();  // commands sent together apply before the steps are trained
  lab.edit_network(NetworkEdit::Duplicate, 1);
  EXPECT_EQ(lab.desired().networks.size(), 3u);  // the controls see the new list at once
  lab.step(130);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  EXPECT_TRUE(s->needs_reset.empty());
  EXPECT_EQ(s->step, 230);
  ASSERT_EQ(s->active.networks.size(), 3u);
  EXPECT_EQ(s->active.networks[2].name, "bn-2");
  EXPECT_EQ(s->active.networks[2].model.norm[0], Norm::Batch);
  const auto& nets = s->history.networks();
  ASSERT_EQ(nets.size(), 3u);
  // The twins' whole series, before and after, are those of a run that never had a third network.
  expect_losses(nets[0].train_loss, 1, 230, ref, 0, 2);
  expect_losses(nets[1].train_loss, 1, 230, ref, 1, 2);
  // The copy starts at step 101 with bn's parameters and batches: bn's losses from there on.
  expect_losses(nets[2].train_loss, 101, 230, ref, 1, 2);
  // It was measured as it joined, with an evaluation equal to its source's at that step.
  ASSERT_GE(nets[2].test_acc.size(), 1);
  EXPECT_EQ(nets[2].test_acc.x()[0], 100);
  EXPECT_EQ(nets[2].test_acc.last(), nets[1].test_acc.last());
  EXPECT_EQ(nets[2].latest_step, 230);
  EXPECT_EQ(nets[0].color, 0);
  EXPECT_EQ(nets[1].color, 1);
  EXPECT_EQ(nets[2].color, 2);
  // A second copy of either is named apart.
  lab.edit_network(NetworkEdit::Duplicate, 2);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->active.networks[3].name, "bn-3");
}

TEST(LabSessionNetworks, RemoveKeepsTheOthersHistoriesAndColours) {
  const RunConfig cfg = plain_sgd_twins();
  const std::vector<float> ref = headless_losses(cfg, 150);
  LabSession lab(cfg, false);
  lab.step(100);
  lab.wait_idle();
  lab.edit_network(NetworkEdit::Remove, 0);
  lab.step(50);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  EXPECT_EQ(s->step, 150);
  ASSERT_EQ(s->active.networks.size(), 1u);
  EXPECT_EQ(s->active.networks[0].name, "bn");
  const NetworkHistory& bn = s->history.networks().at(0);
  expect_losses(bn.train_loss, 1, 150, ref, 1, 2);
  EXPECT_EQ(bn.layers[1].pct[2].x()[0], 0);  // its snapshots from step 0 are still there
  EXPECT_EQ(bn.color, 1) << "bn keeps its colour when the network before it goes";
  // The last network cannot be removed.
  lab.edit_network(NetworkEdit::Remove, 0);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->active.networks.size(), 1u);
  EXPECT_EQ(lab.desired().networks.size(), 1u);
  // A reset restarts the same network in the same colour.
  lab.reset();
  lab.wait_idle();
  EXPECT_EQ(lab.state()->history.networks().at(0).color, 1);
}

TEST(LabSessionNetworks, AddedNetworkStartsFromTheSeedsInitialWeightsAtTheCurrentStep) {
  const RunConfig cfg = plain_sgd_twins();
  LabSession lab(cfg, false);
  lab.step(100);
  lab.wait_idle();
  lab.edit_network(NetworkEdit::Add);
  lab.step(20);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  ASSERT_EQ(s->active.networks.size(), 3u);
  EXPECT_EQ(s->active.networks[2].name, "net3");
  // A headless run with the three networks from the start, its new one reset to its step-0
  // weights at step 100: the added network's losses.
  RunConfig three = cfg;
  three.networks.push_back(s->active.networks[2]);
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(three, data);
  const NetworkParams initial = t->params(2);
  t->train(100);
  t->set_params(2, initial);
  t->train(20);
  const std::vector<float> all = t->take_losses();
  expect_losses(s->history.networks()[2].train_loss, 101, 120, all, 2, 3);
  expect_losses(s->history.networks()[0].train_loss, 1, 120, all, 0, 3);
  EXPECT_EQ(s->history.networks()[2].color, 2);
}

TEST(LabSessionNetworks, ConfigureWithAnotherListMatchesNetworksByName) {
  LabSession lab(plain_sgd_twins(), false);
  lab.step(50);
  lab.wait_idle();
  RunConfig d = lab.desired();
  std::swap(d.networks[0], d.networks[1]);  // bn first now
  d.networks.push_back(d.networks[1]);
  d.networks[2].name = "fresh";
  lab.configure(d);
  lab.step(10);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  EXPECT_TRUE(s->needs_reset.empty());
  ASSERT_EQ(s->history.networks().size(), 3u);
  EXPECT_EQ(s->history.networks()[0].color, 1);  // "bn" kept its history and colour
  EXPECT_EQ(s->history.networks()[0].train_loss.size(), 60);
  EXPECT_EQ(s->history.networks()[1].color, 0);
  EXPECT_EQ(s->history.networks()[2].train_loss.size(), 10);
  EXPECT_EQ(s->history.networks()[2].color, 2);
  // The count alone never needs a reset.
  RunConfig one = s->active;
  one.networks.pop_back();
  EXPECT_TRUE(reset_reasons(s->active, one).empty());
}

TEST(LabSessionNetworks, DuplicateOnTheGpuTrainsLikeItsSource) {
  try {
    GlContext probe;
  } catch (const GpuError& e) {
    GTEST_SKIP() << "no OpenGL 4.3 compute context: " << e.what();
  }
  LabSession lab(spiral_twins({"optim.momentum=0", "backend=gpu"}), false);
  lab.step(40);
  lab.wait_idle();
  lab.edit_network(NetworkEdit::Duplicate, 0);
  lab.step(60);
  lab.wait_idle();
  auto s = lab.state();
  ASSERT_TRUE(s->error.empty()) << s->error;
  EXPECT_EQ(s->backend.rfind("gpu", 0), 0u) << s->backend;
  EXPECT_EQ(s->step, 100);
  const Series &src = s->history.networks()[0].train_loss, &dup = s->history.networks()[2].train_loss;
  ASSERT_EQ(src.size(), 100);
  ASSERT_EQ(dup.size(), 60);
  EXPECT_EQ(std::memcmp(src.mean() + 40, dup.mean(), 60 * sizeof(float)), 0);
}

}  // namespace
}  // namespace bnlab
