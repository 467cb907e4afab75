// test_dropout.cpp — dropout as PyTorch's nn.Dropout (core/dropout.h) in the CPU reference:
// a tiny network's forward and backward by hand through a known mask, evaluation as the
// identity, the fraction dropped, repeatable runs, and the config keys. The GPU's agreement is in
// test_gpu_parity.cpp, the finite-difference check with a fixed mask in test_gradients.cpp.
//
// [SECTION] A tiny network by hand
// [SECTION] Evaluation and p = 0
// [SECTION] The masks
// [SECTION] Runs
// [SECTION] Config

#include <gtest/gtest.h>

#include "tests/test_util.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/dropout.h"
#include "core/network.h"
#include "core/trainer.h"

namespace bnlab {
namespace {

using nlohmann::json;
using Net = CpuNetwork<double>;
using Mat = Net::Mat;

// [SECTION] A tiny network by hand

// 2 inputs → 4 linear units with dropout p = 0.5 → 2 classes, batch 2. Seed 1, step 0 draws the
// masks (1, 1, 1, 0) for example 0 and (0, 1, 1, 0) for example 1: a known answer of the hash,
// which also pins the masks of every saved run across versions.
NetworkConfig tiny_config() {
  NetworkConfig c;
  c.model.hidden = {4};
  c.model.activation = Activation::Linear;
  c.model.norm = {Norm::None};
  c.model.dropout = {0.5};
  return c;
}

Net tiny_net() {
  const NetworkConfig c = tiny_config();
  NetworkParams p = init_params(c.model, c.bn, 2, 2, 1);
  p.layers[0].weight = {1, 0, 0, 1, 1, 1, 1, -1};  // (4, 2) row-major
  p.layers[0].bias = {0, 0, 0, 0};
  p.layers[1].weight = {1, 0, 1, 0, 0, 1, 0, 1};  // (2, 4): logit 0 = out₀ + out₂, logit 1 = out₁ + out₃
  p.layers[1].bias = {0, 0};
  return Net(c, p);
}

Mat tiny_batch() {
  Mat u(2, 2);
  u << 1, 3,
       2, 1;  // example 0 = (1, 2), example 1 = (3, 1)
  return u;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(Dropout, TheMasksOfSeedOneStepZeroAreKnown) {
  const BnNoiseKey key{1, 0};
  const int want[2][4] = {{1, 1, 1, 0}, {0, 1, 1, 0}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(dropout_keep(key, 0, j, i, 0.5f), want[i][j] == 1) << "example " << i << " unit " << j;
}

TEST(Dropout, ForwardAndBackwardThroughTheMaskByHand) {
  Net net = tiny_net();
  const Mat u = tiny_batch();
  const int32_t labels[2] = {1, 0};
  const BnNoiseKey key{1, 0};
  const double loss = net.forward(u, labels, PassMode::Train, &key);

  // a = W u: (1, 2, 3, −1) and (3, 1, 4, 2); kept elements doubled (1/(1 − 0.5)).
  const auto& L = net.layers()[0];
  Mat a(4, 2), out(4, 2);
  a << 1, 3, 2, 1, 3, 4, -1, 2;
  out << 2, 0, 4, 2, 6, 8, 0, 0;
  EXPECT_EQ(L.a, a);
  EXPECT_EQ(L.out, out);
  EXPECT_EQ(L.keep, (Mat(4, 2) << 2, 0, 2, 2, 2, 2, 0, 0).finished());
  // Logits (8, 4) and (8, 2); labels 1 and 0.
  EXPECT_EQ(net.layers()[1].a, (Mat(2, 2) << 8, 8, 4, 2).finished());
  EXPECT_NEAR(loss, (std::log(1 + std::exp(4.0)) + std::log(1 + std::exp(-6.0))) / 2, 1e-14);

  net.backward(u, labels);
  // ∂ℓ/∂logits = (softmax − onehot)/2: (σ(4), −σ(4))/2 and (−σ(−6), σ(−6))/2. Through W₂ᵀ and
  // the mask (×2 where kept, 0 where dropped): ∂ℓ/∂a = (σ4, −σ4, σ4, 0) and (0, σ−6, −σ−6, 0).
  const double s4 = sigmoid(4), s6 = sigmoid(-6);
  Mat dW1(4, 2);
  dW1 << s4, 2 * s4,
         -s4 + 3 * s6, -2 * s4 + s6,
         s4 - 3 * s6, 2 * s4 - s6,
         0, 0;
  EXPECT_LE((L.dW - dW1).cwiseAbs().maxCoeff(), 1e-15) << L.dW;
  EXPECT_LE((L.db - (Mat(4, 1) << s4, -s4 + s6, s4 - s6, 0).finished()).cwiseAbs().maxCoeff(), 1e-15) << L.db;
  // ∂ℓ/∂W₂ = Σ ∂ℓ/∂logits · outᵀ: the dropped output, not a.
  Mat dW2(2, 4);
  dW2 << s4, 2 * s4 - s6, 3 * s4 - 4 * s6, 0,
         -s4, -2 * s4 + s6, -3 * s4 + 4 * s6, 0;
  EXPECT_LE((net.layers()[1].dW - dW2).cwiseAbs().maxCoeff(), 1e-15) << net.layers()[1].dW;
}

// [SECTION] Evaluation and p = 0

TEST(Dropout, EvaluationIsTheIdentity) {
  Net net = tiny_net();
  const Mat u = tiny_batch();
  const int32_t labels[2] = {1, 0};
  const BnNoiseKey key{1, 0};
  net.forward(u, labels, PassMode::Eval, &key);
  EXPECT_FALSE(net.layers()[0].dropped);
  // Logits W₂ a: (1 + 3, 2 − 1) and (3 + 4, 1 + 2).
  EXPECT_EQ(net.layers()[1].a, (Mat(2, 2) << 4, 7, 1, 3).finished());
}

// A network with every p = 0, or one given no key, computes exactly what one without dropout does.
TEST(Dropout, ZeroProbabilityOrNoKeyChangesNothing) {
  NetworkConfig c = tiny_config();
  c.model.hidden = {6, 5};
  c.model.activation = Activation::Sigmoid;
  c.model.norm = {Norm::Batch, Norm::None};
  c.model.init_std = 0.7;
  const NetworkParams p = init_params(c.model, c.bn, 2, 2, 4);
  NetworkConfig none = c, zero = c, half = c;
  none.model.dropout.clear();
  zero.model.dropout = {0, 0};
  half.model.dropout = {0.5, 0.5};
  const Mat u = (Mat(2, 3) << 0.3, -1, 2, 0.5, 0.1, -0.7).finished();
  const int32_t labels[3] = {0, 1, 1};
  const BnNoiseKey key{9, 3};
  Net a(none, p), b(zero, p), c_half(half, p);
  const double la = a.forward(u, labels, PassMode::Train, &key);
  EXPECT_EQ(la, b.forward(u, labels, PassMode::Train, &key));
  EXPECT_EQ(la, c_half.forward(u, labels, PassMode::Train));  // no key: no draws
  EXPECT_NE(la, c_half.forward(u, labels, PassMode::Train, &key));
  // Evaluation with the same parameters (fresh networks: the Train passes above moved BN's running
  // statistics a different number of times).
  Net fresh_none(none, p), fresh_half(half, p);
  EXPECT_EQ(fresh_none.forward(u, labels, PassMode::Eval, &key), fresh_half.forward(u, labels, PassMode::Eval, &key));
}

// [SECTION] The masks

// Over 200,000 elements the dropped fraction is p within 5 standard deviations, the kept mean of
// a is preserved in expectation, and masks of other steps, layers and examples are independent.
TEST(Dropout, TheDroppedFractionIsP) {
  for (float p : {0.1f, 0.5f, 0.8f}) {
    SCOPED_TRACE(p);
    const BnNoiseKey key{7, 123};
    const int units = 400, examples = 500;
    double dropped = 0, agree_step = 0, agree_layer = 0, agree_example = 0;
    for (int i = 0; i < examples; ++i)
      for (int j = 0; j < units; ++j) {
        const bool k = dropout_keep(key, 2, j, i, p);
        dropped += !k;
        agree_step += k == dropout_keep({7, 124}, 2, j, i, p);
        agree_layer += k == dropout_keep(key, 3, j, i, p);
        agree_example += k == dropout_keep(key, 2, j, (i + 1) % examples, p);
      }
    const double n = double(units) * examples, sd = std::sqrt(p * (1 - p) / n);
    EXPECT_NEAR(dropped / n, p, 5 * sd);
    // Independent masks agree with probability p² + (1 − p)².
    const double same = p * p + (1 - p) * (1 - p), sd_same = std::sqrt(same * (1 - same) / n);
    EXPECT_NEAR(agree_step / n, same, 5 * sd_same);
    EXPECT_NEAR(agree_layer / n, same, 5 * sd_same);
    EXPECT_NEAR(agree_example / n, same, 5 * sd_same);
  }
}

// [SECTION] Runs

RunConfig dropout_run(const std::vector<std::string>& sets = {}) {
  json doc = json::parse(R"({
    "seed": 3, "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [24, 24], "activation": "tanh", "init_std": 0.5, "dropout": [0.3, 0.5]},
    "optim": {"lr": 0.1, "batch": 32},
    "networks": [{"name": "plain"}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

std::vector<float> losses_of(const RunConfig& cfg, int steps) {
  const DataSplit data = load_data(cfg.data, cfg.seed);
  auto t = make_cpu_trainer(cfg, data);
  t->train(steps);
  return t->take_losses();
}

TEST(Dropout, RunsAreRepeatableBitForBitOnAnyThreadCount) {
  const std::vector<float> one = losses_of(dropout_run({"threads=1"}), 60);
  EXPECT_TRUE(same_bits(one, losses_of(dropout_run({"threads=1"}), 60)));
  EXPECT_TRUE(same_bits(one, losses_of(dropout_run({"threads=2"}), 60)));
  // The masks follow the seed: another seed's run differs (with the same data and weights it
  // could not otherwise), and so does a run without dropout.
  EXPECT_FALSE(same_bits(one, losses_of(dropout_run({"model.dropout=0"}), 60)));
}

// [SECTION] Config

TEST(DropoutConfig, OneNumberOrOnePerLayerPerNetwork) {
  const RunConfig c = dropout_run({"networks.1.model.dropout=0.25"});
  EXPECT_EQ(c.networks[0].model.dropout, (std::vector<double>{0.3, 0.5}));
  EXPECT_EQ(c.networks[1].model.dropout, (std::vector<double>{0.25, 0.25}));
  EXPECT_EQ(resolve_config(json::object()).networks[0].model.dropout, (std::vector<double>{0, 0, 0}));
  // config.json spells every layer out and reads back the same.
  const json j = to_json(c);
  EXPECT_EQ(j["networks"][1]["model"]["dropout"], json::parse("[0.25, 0.25]"));
  EXPECT_EQ(resolve_config(j).networks[1].model.dropout, c.networks[1].model.dropout);
}

TEST(DropoutConfig, BadValuesAreRefusedByName) {
  EXPECT_TRUE(Contains(error_of([] { dropout_run({"model.dropout=1"}); }), "model.dropout=1: every p must be in [0, 1)"));
  EXPECT_TRUE(Contains(error_of([] { dropout_run({"networks.1.model.dropout=0.2,-0.1"}); }),
                       "networks.1.model.dropout=[0.2,-0.1]: every p must be in [0, 1)"));
  EXPECT_TRUE(Contains(error_of([] { dropout_run({"model.dropout=0.1,0.2,0.3"}); }),
                       "model.dropout=[0.1,0.2,0.3]: give one entry per hidden layer (2)"));
  EXPECT_TRUE(Contains(error_of([] { dropout_run({"model.dropout=half"}); }), "model.dropout=\"half\": expected a number"));
}

}  // namespace
}  // namespace bnlab
