// test_lessons.cpp — the guided lessons and the features they need: the lesson blocks, every
// lesson training on both backends, the numbers lessons 10, 13 and 14 quote, noisy BN's draws, zero
// initialization's symmetry, and the lab's "undo normalization" and "open" commands.
//
// [SECTION] Helpers
// [SECTION] Lesson blocks
// [SECTION] Every lesson trains on both backends
// [SECTION] The numbers lessons 10, 13 and 14 quote
// [SECTION] Noisy BN draws
// [SECTION] Zero initialization
// [SECTION] The lab's lesson commands

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/bn_noise.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/gpu_trainer.h"
#include "core/lab_session.h"
#include "core/lessons.h"
#include "core/mnist_install.h"
#include "core/run.h"
#include "core/speedup.h"
#include "core/trainer.h"
#include "tests/test_util.h"

namespace bnlab {
namespace {

// [SECTION] Helpers

// A lesson's run on a slice of its data, so that every lesson trains in a test's time.
RunConfig small_lesson(const std::string& preset) {
  return build_config(preset, "", {"data.train_size=600", "data.test_size=200", "stats.probe_size=64"});
}

bool gl_available(std::string* why) {
  try {
    GlContext probe;
    return true;
  } catch (const GpuError& e) {
    *why = e.what();
    return false;
  }
}

// The networks a lesson means to diverge: lesson 3's no-BN network at 30× the learning rate.
bool meant_to_diverge(const std::string& preset, const std::string& net) {
  return preset == "lesson-3-learning-rates" && net == "none-x30";
}

// [SECTION] Lesson blocks

TEST(Lessons, FourteenLessonsNumberedInOrderWithEveryText) {
  const std::vector<Lesson> all = list_lessons();
  ASSERT_EQ(all.size(), 14u);
  const std::regex year(".*(19|20)[0-9]{2}.*");
  for (size_t i = 0; i < all.size(); ++i) {
    const Lesson& l = all[i];
    SCOPED_TRACE(l.preset);
    EXPECT_EQ(l.number, static_cast<int>(i) + 1);
    if (i == 0) EXPECT_EQ(l.preset, "paper-fig1");  // lesson 1 is the paper's experiment itself
    else EXPECT_EQ(l.preset.rfind("lesson-" + std::to_string(i + 1) + "-", 0), 0u);
    for (const std::string* text : {&l.title, &l.look, &l.try_this, &l.found})
      EXPECT_GE(text->size(), 20u) << *text;
    EXPECT_TRUE(std::regex_match(l.reference, year)) << "the reference names no year: " << l.reference;
    // The config of a lesson preset ignores the lesson block and names its preset.
    EXPECT_EQ(build_config(l.preset, "", {}).preset, l.preset);
  }
}

TEST(Lessons, NeighboursStepThroughInOrderAndStopAtTheEnds) {
  const std::vector<Lesson> all = list_lessons();
  ASSERT_EQ(all.size(), 14u);
  EXPECT_FALSE(neighbour_lesson(all, all.front().preset, -1));
  EXPECT_EQ(neighbour_lesson(all, all.front().preset, +1)->number, 2);
  EXPECT_EQ(neighbour_lesson(all, all[4].preset, -1)->number, 4);
  EXPECT_FALSE(neighbour_lesson(all, all.back().preset, +1));
  EXPECT_FALSE(neighbour_lesson(all, "spiral-twins", +1));
}

TEST(Lessons, PresetsWithoutALessonHaveNone) {
  EXPECT_FALSE(lesson_of("spiral-twins"));
  EXPECT_FALSE(lesson_of("no-such-preset"));
  EXPECT_EQ(build_config("", "", {}).preset, "paper-fig1");  // the default preset is named too
}

// [SECTION] Every lesson trains on both backends

// 30 CPU steps of every lesson: every network stays finite except the one meant to diverge,
// which does; then the first steps again on the GPU, loss for loss. Lesson 5's BN at batch 2 is
// chaotic — x̂ = d/√(d² + ε) of two examples turns rounding differences into a 25× larger gap
// per step (1e-5 at step 2, 1e-2 at step 4) — so there the first 3 steps are compared. Lessons 2
// and 9 start saturated (init σ 4 and 1): on the full MNIST their no-BN losses reach 16–27 by
// step 5, where float rounding of the large logits reaches 1e-3 of the loss; 4 steps there.
TEST(Lessons, EveryLessonTrainsOnBothBackends) {
  std::string why;
  const bool gpu = gl_available(&why);
  for (const Lesson& l : list_lessons()) {
    SCOPED_TRACE(l.preset);
    const RunConfig cfg = small_lesson(l.preset);
    const DataSplit data = load_data(cfg.data, cfg.seed);
    auto cpu = make_cpu_trainer(cfg, data);
    cpu->train(30);
    const std::vector<float> losses = cpu->take_losses();  // (30, networks)
    cpu->request_snapshot(true);
    const auto snap = cpu->poll_snapshot(true);
    ASSERT_TRUE(snap);
    const size_t nets = cfg.networks.size();
    for (size_t n = 0; n < nets; ++n) {
      const std::string& name = cfg.networks[n].name;
      if (meant_to_diverge(l.preset, name)) {
        EXPECT_GE(snap->networks[n].diverged_at, 1) << name << " should diverge within 30 steps";
        continue;
      }
      EXPECT_EQ(snap->networks[n].diverged_at, -1) << name;
      EXPECT_TRUE(std::isfinite(losses[29 * nets + n])) << name;
      EXPECT_TRUE(std::isfinite(snap->networks[n].test_acc)) << name;
    }
    if (!gpu) continue;
    auto g = make_gpu_trainer(cfg, data);
    auto c = make_cpu_trainer(cfg, data);
    const int steps = l.preset == "lesson-5-small-batches" ? 3
                      : l.preset == "lesson-2-saturation" || l.preset == "lesson-9-initialization" ? 4
                                                                                                   : 5;
    g->train(steps);
    c->train(steps);
    const std::vector<float> gl = g->take_losses(), cl = c->take_losses();
    ASSERT_EQ(gl.size(), cl.size());
    for (size_t k = 0; k < gl.size(); ++k)
      EXPECT_NEAR(gl[k], cl[k], 1e-4 + 1e-3 * std::abs(cl[k])) << "step " << k / nets << ", " << cfg.networks[k % nets].name;
  }
  if (!gpu) GTEST_SKIP() << "CPU part passed; no OpenGL 4.3 compute context for the GPU part: " << why;
}

// [SECTION] The numbers lessons 10, 13 and 14 quote

// A lesson that quotes numbers quotes its own run — `bnlab run --preset <lesson> --backend cpu` on
// the full MNIST. The tests train it (meters off: they never change a run, and cost a fifth of its
// time) and check that the text quotes each value and that the run gives it: accuracies within 0.3
// points (30 test or 3 training digits: room for another CPU's float rounding), other values within
// a few percent of themselves.
struct QuotedRun {
  Lesson lesson;
  RunConfig cfg;
  Chance chance;                  // of its test set
  RunSummary run;
  // The snapshot at `step` that holds an evaluation.
  const StepStats& at(int64_t step) const {
    for (const StepStats& s : run.snapshots)
      if (s.step == step && s.networks.at(0).has_eval) return s;
    ADD_FAILURE() << "no evaluation at step " << step;
    return run.snapshots.back();
  }
};

// The lesson's run, when its preset trains `steps` steps on `train_size` training digits and the
// 10,000 test digits (what its text says it quotes); else a failure and nothing.
std::optional<QuotedRun> train_quoted_lesson(const std::string& preset, int64_t steps, int64_t train_size) {
  const std::optional<Lesson> lesson = lesson_of(preset);
  EXPECT_TRUE(lesson) << preset;
  if (!lesson) return std::nullopt;
  const RunConfig cfg = build_config(lesson->preset, "", {"backend=cpu", "landscape.every=0"});
  EXPECT_EQ(cfg.steps, steps) << preset;
  const DataSplit data = load_data(cfg.data, cfg.seed);
  EXPECT_EQ(data.train.size(), train_size) << preset;
  EXPECT_EQ(data.test.size(), 10000) << preset;
  if (cfg.steps != steps || data.train.size() != train_size || data.test.size() != 10000) return std::nullopt;
  auto trainer = make_cpu_trainer(cfg, data);
  return QuotedRun{*lesson, cfg, chance_of(data.test.y), run_training(*trainer, cfg, {})};
}

bool full_mnist_installed() { return std::filesystem::exists(mnist_dir() + "/" + kMnistFiles[0] + ".gz"); }

// Lesson 10: seed 1, 10,000 steps on the full MNIST, the baseline against BN at its learning rate
// and at 5×. The speed-ups the text quotes are speedup.h's, against the baseline's final smoothed
// accuracy, and the order of the three holds exactly: bn-x5 sooner than bn, bn sooner than the
// baseline.
TEST(Lessons, TenQuotesWhatItsRunGives) {
  if (!full_mnist_installed()) GTEST_SKIP() << "the full MNIST is not installed (third_party/setup-debian.sh installs it)";
  const std::optional<QuotedRun> q = train_quoted_lesson("lesson-10-fewer-steps", 10000, 60000);
  ASSERT_TRUE(q);
  enum { kBaseline, kBn, kBnX5 };
  ASSERT_EQ(q->cfg.networks.at(kBnX5).name, "bn-x5");
  const AccuracyCurve baseline = test_accuracy_curve(q->run.snapshots, kBaseline);
  const Speedup bn = speedup(baseline, test_accuracy_curve(q->run.snapshots, kBn), q->chance);
  const Speedup x5 = speedup(baseline, test_accuracy_curve(q->run.snapshots, kBnX5), q->chance);
  const std::string& look = q->lesson.look;
  EXPECT_TRUE(Contains(look, "final test accuracy (96.9%, the mean of the last 5 evaluations)"));
  EXPECT_NEAR(100 * bn.target, 96.9, 0.3);
  EXPECT_TRUE(Contains(look, "at step 5,750 where the baseline needed 8,250: 1.4× fewer steps"));
  EXPECT_NEAR(bn.reference_step, 8250, 250);  // one evaluation either way
  EXPECT_NEAR(bn.step, 5750, 250);
  EXPECT_NEAR(bn.factor, 1.4, 0.1);
  EXPECT_TRUE(Contains(look, "bn-x5, at 5× the learning rate, at step 4,000: 2.1× fewer"));
  EXPECT_NEAR(x5.step, 4000, 250);
  EXPECT_NEAR(x5.factor, 2.1, 0.15);
  EXPECT_LT(x5.step, bn.step);
  EXPECT_LT(bn.step, bn.reference_step);
}

// Lesson 13: seed 1, 5,000 steps on the full MNIST, ten sigmoid layers of 100 with and without BN.
// Beside the quoted values, the claims the text makes: none's gradient norm falls from the output
// down, layer after layer, by the quoted ratio overall; none stays at chance (one class for every
// digit, so at most the most frequent class's share, 11.35%) at every evaluation to the end.
TEST(Lessons, ThirteenQuotesWhatItsRunGives) {
  if (!full_mnist_installed()) GTEST_SKIP() << "the full MNIST is not installed (third_party/setup-debian.sh installs it)";
  const std::optional<QuotedRun> q = train_quoted_lesson("lesson-13-deeper-networks", 5000, 60000);
  ASSERT_TRUE(q);
  enum { kNone, kBn };
  ASSERT_EQ(q->cfg.networks.at(kBn).name, "bn");
  const std::string& look = q->lesson.look;
  const auto& at1k = q->at(1000).networks;
  const std::vector<LayerStats>& none = at1k.at(kNone).layers;
  ASSERT_EQ(none.size(), 10u);
  // Gradient norms of none at step 1,000: the output end, the input end, their ratio.
  EXPECT_TRUE(Contains(look, "0.053 at layer 10, 1.5e-07 at layer 1 (360,000× less)"));
  EXPECT_NEAR(none[9].grad_norm, 0.053, 0.053 * 0.03);
  EXPECT_NEAR(none[0].grad_norm, 1.5e-07, 1.5e-07 * 0.05);
  EXPECT_NEAR(none[9].grad_norm / none[0].grad_norm, 360000, 360000 * 0.05);
  // "About 4× per layer", each step down dividing it by 1.8 to 7.
  EXPECT_TRUE(Contains(look, "falls about 4× per layer from the output down (1.8× to 7× from one layer to the next)"));
  double fall_lo = INFINITY, fall_hi = 0;
  for (size_t l = 0; l + 1 < none.size(); ++l) {
    const double fall = none[l + 1].grad_norm / none[l].grad_norm;
    fall_lo = std::min(fall_lo, fall), fall_hi = std::max(fall_hi, fall);
  }
  EXPECT_NEAR(fall_lo, 1.8, 1.8 * 0.03);
  EXPECT_NEAR(fall_hi, 7.0, 7.0 * 0.03);
  EXPECT_NEAR(std::pow(none[9].grad_norm / none[0].grad_norm, 1.0 / 9), 4.0, 0.25);
  // BN's gradient norms stay within the quoted range in every layer.
  EXPECT_TRUE(Contains(look, "bn's stays between 0.24 and 0.54"));
  float lo = INFINITY, hi = 0;
  for (const LayerStats& l : at1k.at(kBn).layers) lo = std::min(lo, l.grad_norm), hi = std::max(hi, l.grad_norm);
  EXPECT_NEAR(lo, 0.24, 0.005);
  EXPECT_NEAR(hi, 0.54, 0.005);
  // Test accuracy: none at chance at every evaluation after the untrained one, at the quoted
  // values; BN's two quotes.
  EXPECT_TRUE(Contains(look, "mostly 1 (the 1s are 11.35% of the test set), at some evaluations another (9.8–10.3%)"));
  float none_lo = INFINITY, none_hi = 0;
  int evaluations = 0;
  for (const StepStats& s : q->run.snapshots) {
    if (s.step == 0 || !s.networks[kNone].has_eval) continue;
    const float acc = s.networks[kNone].test_acc;
    ++evaluations;
    EXPECT_LT(acc, q->chance.threshold()) << "step " << s.step;
    if (std::abs(acc - 0.1135f) < 1e-6f) continue;  // answered 1 for every digit
    none_lo = std::min(none_lo, acc), none_hi = std::max(none_hi, acc);
  }
  EXPECT_EQ(evaluations, 10);  // steps 500, 1,000, …, 5,000
  EXPECT_NEAR(100 * none_lo, 9.8, 0.05);
  EXPECT_NEAR(100 * none_hi, 10.3, 0.05);
  EXPECT_TRUE(Contains(look, "bn 90.0% at 1,000, 95.9% at 5,000"));
  EXPECT_NEAR(100 * at1k.at(kBn).test_acc, 90.0, 0.3);
  EXPECT_NEAR(100 * q->at(5000).networks.at(kBn).test_acc, 95.9, 0.3);
}

// Lesson 14: seed 1, 3,000 steps on the first 1,000 training digits of the full MNIST, tested on
// all 10,000. Beside the quoted values, the claims the text makes exactly: the order of the four
// on the test set, BN first to fit the training set.
TEST(Lessons, FourteenQuotesWhatItsRunGives) {
  if (!full_mnist_installed()) GTEST_SKIP() << "the full MNIST is not installed (third_party/setup-debian.sh installs it)";
  const std::optional<QuotedRun> q = train_quoted_lesson("lesson-14-bn-as-a-regularizer", 3000, 1000);
  ASSERT_TRUE(q);
  const RunConfig& cfg = q->cfg;
  const Lesson& lesson = q->lesson;
  const auto at = [&](int64_t step) -> const StepStats& { return q->at(step); };
  enum { kNone, kDropout, kBn, kBnDropout };
  ASSERT_EQ(cfg.networks.at(kBnDropout).name, "bn-dropout");
  EXPECT_TRUE(Contains(lesson.look, "1,000 training digits, 10,000 test digits"));
  EXPECT_TRUE(Contains(lesson.look, "dropout (p 0.5)"));
  for (int n : {kDropout, kBnDropout})
    for (size_t l = 0; l < 3; ++l) EXPECT_EQ(dropout_p(cfg.networks[n].model, l), 0.5) << cfg.networks[n].name;
  struct Quote {
    int net;
    int64_t step;
    bool train;         // train accuracy, else test accuracy
    const char* text;   // as the lesson quotes it
  };
  const Quote quotes[] = {
      {kNone, 3000, false, "83.7%"},    {kDropout, 3000, false, "85.2%"}, {kBn, 3000, false, "82.8%"},
      {kBnDropout, 3000, false, "80.3%"}, {kNone, 3000, true, "100%"},    {kDropout, 3000, true, "98.5%"},
      {kBn, 3000, true, "100%"},        {kBnDropout, 3000, true, "99.8%"}, {kBn, 1000, true, "100%"},
      {kNone, 1000, true, "99.0%"},
  };
  for (const Quote& quote : quotes) {
    SCOPED_TRACE(cfg.networks[quote.net].name + (quote.train ? " train" : " test") + " at " + std::to_string(quote.step));
    EXPECT_TRUE(Contains(lesson.look, quote.text));
    const NetworkStats& n = at(quote.step).networks.at(quote.net);
    EXPECT_NEAR(100 * (quote.train ? n.train_acc : n.test_acc), std::stod(quote.text), 0.3);
  }
  // Dropout regularizes, BN does not, the two together do worst (test accuracy at step 3,000).
  const auto& end = at(3000).networks;
  EXPECT_GT(end[kDropout].test_acc, end[kNone].test_acc);
  EXPECT_GT(end[kNone].test_acc, end[kBn].test_acc);
  EXPECT_GT(end[kBn].test_acc, end[kBnDropout].test_acc);
  // BN fits the training digits first: all of them at step 1,000, before any other network.
  const auto& early = at(1000).networks;
  EXPECT_EQ(early[kBn].train_acc, 1.0f);
  for (int n : {kNone, kDropout, kBnDropout}) EXPECT_LT(early[n].train_acc, 1.0f) << cfg.networks[n].name;
}

// [SECTION] Noisy BN draws

TEST(NoisyBn, DrawsAreAPureFunctionOfTheirKeyWithinTheirRanges) {
  const BnNoiseKey k{42, 7};
  float mu = 0, sigma = 0, mu2 = 0, sigma2 = 0;
  bn_noise_unit(k, 1, 3, 0.8f, 0.5f, &mu, &sigma);
  bn_noise_unit(k, 1, 3, 0.8f, 0.5f, &mu2, &sigma2);
  EXPECT_EQ(mu, mu2);
  EXPECT_EQ(sigma, sigma2);
  EXPECT_EQ(bn_noise_gauss(k, 1, 3, 5), bn_noise_gauss(k, 1, 3, 5));
  // Over many steps: μ fills (−a, a), σ fills (0, b), and both change from step to step.
  double mu_lo = 1, mu_hi = -1, sigma_lo = 1, sigma_hi = -1;
  int repeats = 0;
  float last = std::nanf("");
  for (int64_t t = 0; t < 2000; ++t) {
    bn_noise_unit({42, t}, 0, 0, 0.8f, 0.5f, &mu, &sigma);
    mu_lo = std::min<double>(mu_lo, mu), mu_hi = std::max<double>(mu_hi, mu);
    sigma_lo = std::min<double>(sigma_lo, sigma), sigma_hi = std::max<double>(sigma_hi, sigma);
    repeats += mu == last;
    last = mu;
  }
  EXPECT_GT(mu_lo, -0.8);
  EXPECT_LT(mu_lo, -0.75);
  EXPECT_LT(mu_hi, 0.8);
  EXPECT_GT(mu_hi, 0.75);
  EXPECT_GT(sigma_lo, 0.0);
  EXPECT_LT(sigma_lo, 0.01);
  EXPECT_LT(sigma_hi, 0.5);
  EXPECT_GT(sigma_hi, 0.49);
  EXPECT_EQ(repeats, 0);
  // The per-example draws are standard normal: mean ≈ 0, variance ≈ 1 over 20,000 of them.
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double g = bn_noise_gauss({1, 3}, 2, i % 100, i / 100);
    sum += g;
    sq += g * g;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(sq / n, 1.0, 0.04);
  // Another seed, another layer or another unit draw differently.
  EXPECT_NE(bn_noise_gauss({1, 3}, 2, 0, 0), bn_noise_gauss({2, 3}, 2, 0, 0));
  EXPECT_NE(bn_noise_gauss({1, 3}, 2, 0, 0), bn_noise_gauss({1, 3}, 1, 0, 0));
  EXPECT_NE(bn_noise_gauss({1, 3}, 2, 0, 0), bn_noise_gauss({1, 3}, 2, 1, 0));
}

TEST(NoisyBn, ConfigKeysAreCheckedAndRoundTrip) {
  const RunConfig cfg = build_config("lesson-8-noisy-batchnorm", "", {});
  const NetworkConfig& noisy = cfg.networks.at(2);
  EXPECT_EQ(noisy.bn.noise_mean, 1.0);
  EXPECT_EQ(noisy.bn.noise_std, 1.0);
  EXPECT_EQ(cfg.networks.at(1).bn.noise_mean, 0.0);
  const RunConfig back = resolve_config(to_json(cfg));
  EXPECT_EQ(back.networks.at(2).bn.noise_std, 1.0);
  EXPECT_TRUE(Contains(error_of([] { build_config("", "", {"bn.noise_std=-1"}); }), "bn.noise_std=-1"));
  EXPECT_TRUE(Contains(error_of([] { build_config("", "", {"bn.noise_mean=11"}); }), "must be in [0, 10]"));
}

// The noise reaches training (the losses differ from plain BN's from the first step on) but not
// evaluation: with the same weights, eval-mode test loss is the same with and without noise.
TEST(NoisyBn, TrainingSeesTheNoiseEvaluationDoesNot) {
  RunConfig cfg = build_config("lesson-8-noisy-batchnorm", "", {"data.train_size=600", "data.test_size=200"});
  cfg.networks.erase(cfg.networks.begin());  // bn and noisy-bn: the same initial weights
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->request_snapshot(true);  // before any step
  const auto s0 = t->poll_snapshot(true);
  ASSERT_TRUE(s0);
  EXPECT_EQ(s0->networks[0].test_loss, s0->networks[1].test_loss);
  // The probe shows what training sees: noisy-bn's nonlinearity inputs are shifted and wider.
  EXPECT_NE(s0->networks[0].layers[2].pct[2], s0->networks[1].layers[2].pct[2]);
  EXPECT_GT(s0->networks[1].layers[0].std, s0->networks[0].layers[0].std);
  t->train(1);
  const std::vector<float> l = t->take_losses();
  EXPECT_NE(l[0], l[1]);
}

// [SECTION] Zero initialization

// Zero weights: every unit of a layer computes the same value and gets the same gradient, so
// after training the rows of each hidden W (and the columns of the next layer's W that read
// those units) are still identical — while the weights did move (sigmoid passes gradient).
void expect_symmetric_after_training(Backend backend) {
  RunConfig cfg = build_config("lesson-9-initialization", "",
                               {"data.train_size=600", "data.test_size=200", "model.activation=sigmoid", "optim.lr=0.5"});
  cfg.networks.resize(1);
  ASSERT_EQ(cfg.networks[0].model.init, Init::Zero);
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = backend == Backend::Gpu ? make_gpu_trainer(cfg, data) : make_cpu_trainer(cfg, data);
  t->train(100);
  const NetworkParams p = t->params(0);
  for (size_t l = 0; l < p.layers.size(); ++l) {
    SCOPED_TRACE("layer " + std::to_string(l));
    const LayerParams& L = p.layers[l];
    double moved = 0;
    for (float w : L.weight) moved = std::max(moved, std::abs(static_cast<double>(w)));
    EXPECT_GT(moved, 1e-5) << "the weights should have moved from 0";
    const double tol = 1e-4 * moved;
    const bool hidden_out = l + 1 < p.layers.size();  // rows: units of a hidden layer
    const bool hidden_in = l > 0;                    // columns: units of the hidden layer below
    for (int o = 0; o < L.out; ++o)
      for (int i = 0; i < L.in; ++i) {
        const float w = L.weight[static_cast<size_t>(o) * L.in + i];
        if (hidden_out) {
          EXPECT_NEAR(w, L.weight[i], tol) << "row " << o << " col " << i;
        }
        if (hidden_in) {
          EXPECT_NEAR(w, L.weight[static_cast<size_t>(o) * L.in], tol) << "row " << o << " col " << i;
        }
      }
  }
}

TEST(ZeroInit, UnitsOfALayerStayIdenticalOnTheCpu) { expect_symmetric_after_training(Backend::Cpu); }

TEST(ZeroInit, UnitsOfALayerStayIdenticalOnTheGpu) {
  std::string why;
  if (!gl_available(&why)) GTEST_SKIP() << "no OpenGL 4.3 compute context: " << why;
  expect_symmetric_after_training(Backend::Gpu);
}

// [SECTION] The lab's lesson commands

// Lesson 4: after undo_normalization, γ = √(running var + ε) and β = running mean, pinned — they
// stay put while training goes on — and the BN network's sigmoids saturate like the baseline's.
TEST(LabLessons, UndoNormalizationPinsGammaBetaToTheRunningStatistics) {
  RunConfig cfg = build_config("lesson-4-undo-normalization", "", {"backend=cpu"});
  LabSession lab(cfg, false);
  lab.step(300);
  lab.wait_idle();
  const float saturation_before = lab.state()->history.networks().at(1).latest.layers.at(0).saturation;
  EXPECT_LT(saturation_before, 0.05f);

  lab.undo_normalization(0);  // the baseline has no BN: refused with a reason
  lab.wait_idle();
  EXPECT_TRUE(Contains(lab.state()->error, "no BatchNorm"));

  lab.undo_normalization(1);
  lab.wait_idle();
  const auto s = lab.state();
  EXPECT_FALSE(s->active.networks[1].bn.learn_affine);
  EXPECT_FALSE(lab.desired().networks[1].bn.learn_affine);
  const std::vector<UnitParams> undone = s->history.networks().at(1).units;
  ASSERT_EQ(undone.size(), 3u);
  const float eps = static_cast<float>(cfg.networks[1].bn.eps);
  for (const UnitParams& u : undone)
    for (size_t j = 0; j < u.gamma.size(); ++j) {
      EXPECT_FLOAT_EQ(u.gamma[j], std::sqrt(u.running_var[j] + eps));
      EXPECT_EQ(u.beta[j], u.running_mean[j]);
    }

  lab.step(100);
  lab.wait_idle();
  const auto later = lab.state();
  const std::vector<UnitParams>& now = later->history.networks().at(1).units;
  for (size_t l = 0; l < now.size(); ++l) {
    EXPECT_EQ(now[l].gamma, undone[l].gamma) << "γ of layer " << l << " is pinned";
    EXPECT_EQ(now[l].beta, undone[l].beta) << "β of layer " << l << " is pinned";
  }
  // The nonlinearity sees the un-normalized x again: most of layer 1's sigmoids saturate, as in
  // the baseline (init σ = 1).
  const float saturation_after = later->history.networks().at(1).latest.layers.at(0).saturation;
  const float baseline = later->history.networks().at(0).latest.layers.at(0).saturation;
  EXPECT_GT(saturation_after, 0.3f);
  EXPECT_GT(saturation_after, 0.5f * baseline);
}

// Opening a lesson replaces the run: its networks, its preset name, step 0 from its own weights.
TEST(LabLessons, OpenReplacesTheRunWithTheLessonsOwn) {
  LabSession lab(build_config("paper-fig1", "", {"backend=cpu", "data.train_size=600", "data.test_size=200"}), false);
  lab.step(20);
  lab.wait_idle();
  RunConfig next = small_lesson("lesson-7-batchnorm-vs-layernorm");
  next.backend = Backend::Cpu;
  lab.open(next);
  EXPECT_EQ(lab.desired().preset, "lesson-7-batchnorm-vs-layernorm");  // at once, for the panel
  lab.wait_idle();
  const auto s = lab.state();
  EXPECT_TRUE(s->error.empty()) << s->error;
  EXPECT_EQ(s->active.preset, "lesson-7-batchnorm-vs-layernorm");
  ASSERT_EQ(s->active.networks.size(), 3u);
  EXPECT_EQ(s->active.networks[2].name, "layernorm");
  EXPECT_EQ(s->step, 0);
  // A bad config is refused and the run goes on.
  RunConfig bad = next;
  bad.batch = 0;
  lab.open(bad);
  lab.wait_idle();
  EXPECT_TRUE(Contains(lab.state()->error, "optim.batch"));
  EXPECT_EQ(lab.desired().preset, "lesson-7-batchnorm-vs-layernorm");
  EXPECT_EQ(lab.state()->active.networks.size(), 3u);
}

}  // namespace
}  // namespace bnlab
