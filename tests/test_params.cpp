// test_params.cpp — initial parameters (twins, seeds, init scales), shape checks, and parameter
// directories (.npy per tensor): bit-exact round trips and the refusals that name the tensor.
#include <gtest/gtest.h>

#include "tests/test_util.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/network.h"
#include "core/npy.h"
#include "core/param_files.h"
#include "core/rng.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

ModelConfig make_model(std::vector<int> hidden, Norm norm, Init init = Init::Gaussian) {
  ModelConfig m;
  m.norm.assign(hidden.size(), norm);
  m.hidden = std::move(hidden);
  m.init = init;
  return m;
}

void expect_same_params(const NetworkParams& a, const NetworkParams& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t l = 0; l < a.layers.size(); ++l) {
    const LayerParams &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.in, y.in) << l;
    EXPECT_EQ(x.out, y.out) << l;
    EXPECT_EQ(x.norm, y.norm) << l;
    for (const TensorSlot& t : layer_tensors(x.norm))
      EXPECT_TRUE(same_bits(x.*t.member, y.*t.member)) << tensor_name(static_cast<int>(l), t);
  }
}

// Every tensor gets distinct, non-trivial values, as after training.
void scramble(NetworkParams& p, uint64_t seed) {
  Rng rng(seed);
  for (LayerParams& layer : p.layers)
    for (const TensorSlot& t : layer_tensors(layer.norm))
      for (float& v : layer.*t.member) v = static_cast<float>(rng.normal());
  for (LayerParams& layer : p.layers)
    for (float& v : layer.running_var) v = std::abs(v) + 0.5f;
}

double sample_std(const std::vector<float>& v) {
  double sum = 0, sq = 0;
  for (const float x : v) sum += x;
  const double mean = sum / v.size();
  for (const float x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / v.size());
}

// [Init]

TEST(Init, TwinsShareWeightsAndBatchNormDropsBias) {
  BnConfig bn;
  bn.gamma = 1.5;
  bn.beta = -0.25;
  const NetworkParams plain = init_params(make_model({100, 100, 100}, Norm::None), bn, 784, 10, 7);
  const NetworkParams bnnet = init_params(make_model({100, 100, 100}, Norm::Batch), bn, 784, 10, 7);
  ASSERT_EQ(plain.layers.size(), 4u);
  ASSERT_EQ(bnnet.layers.size(), 4u);
  for (size_t l = 0; l < 4; ++l) {
    EXPECT_TRUE(same_bits(plain.layers[l].weight, bnnet.layers[l].weight)) << l;
    EXPECT_EQ(plain.layers[l].bias, std::vector<float>(plain.layers[l].out, 0.0f)) << l;
    EXPECT_TRUE(plain.layers[l].gamma.empty() && plain.layers[l].running_var.empty()) << l;
  }
  for (size_t l = 0; l < 3; ++l) {
    const LayerParams& layer = bnnet.layers[l];
    EXPECT_EQ(layer.norm, Norm::Batch);
    EXPECT_TRUE(layer.bias.empty()) << l;
    EXPECT_EQ(layer.gamma, std::vector<float>(100, 1.5f));
    EXPECT_EQ(layer.beta, std::vector<float>(100, -0.25f));
    EXPECT_EQ(layer.running_mean, std::vector<float>(100, 0.0f));
    EXPECT_EQ(layer.running_var, std::vector<float>(100, 1.0f));
  }
  const LayerParams& out = bnnet.layers[3];
  EXPECT_EQ(out.norm, Norm::None);
  EXPECT_EQ(out.in, 100);
  EXPECT_EQ(out.out, 10);
  EXPECT_EQ(out.bias, std::vector<float>(10, 0.0f));
  EXPECT_TRUE(out.gamma.empty());
}

TEST(Init, LayerNormKeepsBiasAndHasAffine) {
  const NetworkParams p = init_params(make_model({20}, Norm::Layer), BnConfig{}, 5, 3, 1);
  const LayerParams& layer = p.layers[0];
  EXPECT_EQ(layer.weight.size(), 20u * 5u);
  EXPECT_EQ(layer.bias, std::vector<float>(20, 0.0f));
  EXPECT_EQ(layer.gamma, std::vector<float>(20, 1.0f));
  EXPECT_EQ(layer.beta, std::vector<float>(20, 0.0f));
  EXPECT_TRUE(layer.running_mean.empty() && layer.running_var.empty());
  check_shapes(p, make_model({20}, Norm::Layer), 5, 3);
}

TEST(Init, DeterministicAndSeedDependent) {
  const ModelConfig m = make_model({100, 50}, Norm::Batch);
  const NetworkParams a = init_params(m, BnConfig{}, 784, 10, 42);
  expect_same_params(a, init_params(m, BnConfig{}, 784, 10, 42));
  const NetworkParams b = init_params(m, BnConfig{}, 784, 10, 43);
  for (size_t l = 0; l < a.layers.size(); ++l)
    EXPECT_NE(a.layers[l].weight, b.layers[l].weight) << l;
}

TEST(Init, LayerWeightsDoNotDependOnOtherLayers) {
  const NetworkParams a = init_params(make_model({100, 30}, Norm::None), BnConfig{}, 784, 10, 5);
  const NetworkParams b = init_params(make_model({100, 60}, Norm::Batch), BnConfig{}, 784, 10, 5);
  EXPECT_TRUE(same_bits(a.layers[0].weight, b.layers[0].weight));
}

TEST(Init, ScalesOfGaussianXavierHe) {
  // Layer 0 is (100, 784): 78,400 draws put the sample std within 1% of the true one.
  struct Case {
    Init init;
    double expected;
  };
  for (const Case c : {Case{Init::Gaussian, 0.1}, Case{Init::Xavier, std::sqrt(2.0 / (784 + 100))},
                       Case{Init::He, std::sqrt(2.0 / 784)}}) {
    const NetworkParams p =
        init_params(make_model({100}, Norm::None, c.init), BnConfig{}, 784, 10, 3);
    const std::vector<float>& w = p.layers[0].weight;
    ASSERT_EQ(w.size(), 100u * 784u);
    EXPECT_NEAR(sample_std(w), c.expected, 0.05 * c.expected) << to_string(c.init);
    // The output layer (10, 100) uses the same kind of init.
    const double out_expected = c.init == Init::Gaussian ? 0.1
                                : c.init == Init::Xavier ? std::sqrt(2.0 / 110)
                                                         : std::sqrt(2.0 / 100);
    EXPECT_NEAR(sample_std(p.layers[1].weight), out_expected, 0.15 * out_expected)
        << to_string(c.init);
  }
}

// [Params] check_shapes

TEST(Params, CheckShapesNamesTheTensor) {
  const ModelConfig m = make_model({100, 100}, Norm::None);
  NetworkParams p = init_params(m, BnConfig{}, 784, 10, 1);
  check_shapes(p, m, 784, 10);

  NetworkParams wrong_in = p;
  wrong_in.layers[1].in = 784;
  wrong_in.layers[1].weight.resize(100 * 784);
  EXPECT_EQ(error_of([&] { check_shapes(wrong_in, m, 784, 10); }),
            "layers.1.weight: shape (100, 784) expected (100, 100)");

  NetworkParams short_bias = p;
  short_bias.layers[2].bias.pop_back();
  EXPECT_NE(error_of([&] { check_shapes(short_bias, m, 784, 10); }).find("layers.2.bias: 9 values"),
            std::string::npos);

  NetworkParams bn_with_bias =
      init_params(make_model({100, 100}, Norm::Batch), BnConfig{}, 784, 10, 1);
  bn_with_bias.layers[0].bias.assign(100, 0.0f);
  EXPECT_NE(error_of([&] {
              check_shapes(bn_with_bias, make_model({100, 100}, Norm::Batch), 784, 10);
            }).find("layers.0: bias holds 100 values"),
            std::string::npos);

  EXPECT_NE(error_of([&] {
              check_shapes(p, make_model({100, 100}, Norm::Batch), 784, 10);
            }).find("layers.0: norm 'none' expected 'batch'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              check_shapes(p, make_model({100}, Norm::None), 784, 10);
            }).find("network has 3 layers, the model needs 2"),
            std::string::npos);
}

// [Params] parameter directories

class ParamsDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bnlab_params_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir(const std::string& sub = "") const {
    return (sub.empty() ? dir_ : dir_ / sub).string();
  }
  std::set<std::string> files(const std::string& sub = "") const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir(sub)))
      names.insert(e.path().filename().string());
    return names;
  }
  fs::path dir_;
};

TEST_F(ParamsDir, BatchNormRoundTripIsBitExact) {
  const ModelConfig m = make_model({100, 100, 100}, Norm::Batch);
  NetworkParams p = init_params(m, BnConfig{}, 784, 10, 11);
  scramble(p, 99);
  save_params(dir(), p);
  expect_same_params(p, load_params(dir(), m, BnConfig{}, 784, 10));

  std::set<std::string> expected = {"manifest.json", "layers.3.weight.npy", "layers.3.bias.npy"};
  for (int l = 0; l < 3; ++l)
    for (const char* s : {"weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"})
      expected.insert("layers." + std::to_string(l) + "." + s + ".npy");
  // Exactly these files: in particular no temporary file is left behind.
  EXPECT_EQ(files(), expected);
}

TEST_F(ParamsDir, LayerNormRoundTripIsBitExact) {
  const ModelConfig m = make_model({30, 20}, Norm::Layer);
  NetworkParams p = init_params(m, BnConfig{}, 8, 4, 12);
  scramble(p, 98);
  save_params(dir(), p);
  expect_same_params(p, load_params(dir(), m, BnConfig{}, 8, 4));
  EXPECT_EQ(files(), (std::set<std::string>{
                         "manifest.json", "layers.0.weight.npy", "layers.0.bias.npy",
                         "layers.0.ln.weight.npy", "layers.0.ln.bias.npy", "layers.1.weight.npy",
                         "layers.1.bias.npy", "layers.1.ln.weight.npy", "layers.1.ln.bias.npy",
                         "layers.2.weight.npy", "layers.2.bias.npy"}));
}

TEST_F(ParamsDir, ManifestListsTensorsInStateDictOrder) {
  save_params(dir(), init_params(make_model({6}, Norm::Batch), BnConfig{}, 4, 3, 1));
  std::ifstream f(dir() + "/manifest.json");
  const nlohmann::json j = nlohmann::json::parse(f);
  EXPECT_EQ(j["format"], "bnlab-params-1");
  const nlohmann::json& t = j["tensors"];
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[0], (nlohmann::json{{"name", "layers.0.weight"},
                                  {"file", "layers.0.weight.npy"},
                                  {"shape", {6, 4}},
                                  {"dtype", "float32"}}));
  EXPECT_EQ(t[1]["name"], "layers.0.bn.weight");
  EXPECT_EQ(t[4]["name"], "layers.0.bn.running_var");
  EXPECT_EQ(t[4]["shape"], nlohmann::json::array({6}));
  EXPECT_EQ(t[6]["name"], "layers.1.bias");
}

TEST_F(ParamsDir, OverwritingLeavesNoTemporaries) {
  const ModelConfig m = make_model({10}, Norm::None);
  NetworkParams p = init_params(m, BnConfig{}, 4, 2, 1);
  save_params(dir(), p);
  scramble(p, 5);
  save_params(dir(), p);
  expect_same_params(p, load_params(dir(), m, BnConfig{}, 4, 2));
  EXPECT_EQ(files(),
            (std::set<std::string>{"manifest.json", "layers.0.weight.npy", "layers.0.bias.npy",
                                   "layers.1.weight.npy", "layers.1.bias.npy"}));
}

TEST_F(ParamsDir, SaveRefusesMalformedNetworkBeforeWriting) {
  NetworkParams p = init_params(make_model({10}, Norm::None), BnConfig{}, 4, 2, 1);
  p.layers[1].bias.resize(3);
  EXPECT_NE(error_of([&] { save_params(dir(), p); }).find("layers.1.bias: 3 values"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(ParamsDir, LoadRefusesWrongShapeNamingTheTensor) {
  save_params(dir(), init_params(make_model({100, 100}, Norm::None), BnConfig{}, 784, 10, 1));
  const std::string e = error_of([&] {
    load_params(dir(), make_model({100, 50}, Norm::None), BnConfig{}, 784, 10);
  });
  EXPECT_EQ(e, (dir_ / "layers.1.weight.npy").string() + ": shape (100, 100) expected (50, 100)");
}

TEST_F(ParamsDir, LoadRefusesMissingDirectoryFileAndWrongDtype) {
  const ModelConfig m = make_model({10}, Norm::Batch);
  EXPECT_NE(error_of([&] {
              load_params(dir(), m, BnConfig{}, 4, 2);
            }).find(dir() + ": parameter directory does not exist"),
            std::string::npos);

  save_params(dir(), init_params(m, BnConfig{}, 4, 2, 1));
  fs::remove(dir_ / "layers.0.bn.running_var.npy");
  EXPECT_NE(error_of([&] {
              load_params(dir(), m, BnConfig{}, 4, 2);
            }).find((dir_ / "layers.0.bn.running_var.npy").string() + ": missing"),
            std::string::npos);

  save_params(dir(), init_params(m, BnConfig{}, 4, 2, 1));
  // A float64 file where float32 belongs, as np.save(np.zeros(10)) would write it.
  std::string f8 = encode_npy({10}, std::vector<float>(10, 0.0f));
  f8.replace(f8.find("<f4"), 3, "<f8");
  f8 += std::string(40, '\0');
  std::ofstream(dir_ / "layers.0.bn.bias.npy", std::ios::binary) << f8;
  EXPECT_NE(error_of([&] {
              load_params(dir(), m, BnConfig{}, 4, 2);
            }).find("layers.0.bn.bias.npy: dtype '<f8' (float64)"),
            std::string::npos);
}

TEST_F(ParamsDir, LoadIgnoresUnknownFiles) {
  const ModelConfig m = make_model({10}, Norm::None);
  const NetworkParams p = init_params(m, BnConfig{}, 4, 2, 1);
  save_params(dir(), p);
  write_npy(dir() + "/layers.0.extra.npy", {3}, {1, 2, 3});
  write_npy(dir() + "/optimizer.momentum.npy", {2}, {1, 2});
  expect_same_params(p, load_params(dir(), m, BnConfig{}, 4, 2));
}

TEST_F(ParamsDir, PinnedAffineMustMatchTheFile) {
  const ModelConfig m = make_model({10}, Norm::Batch);
  NetworkParams p = init_params(m, BnConfig{}, 4, 2, 1);
  save_params(dir(), p);
  BnConfig pinned;
  pinned.learn_affine = false;
  load_params(dir(), m, pinned, 4, 2);  // γ = 1, β = 0 as pinned: fine

  p.layers[0].gamma[3] = 2.0f;
  save_params(dir(), p);
  const std::string msg = error_of([&] { load_params(dir(), m, pinned, 4, 2); });
  EXPECT_TRUE(Contains(msg, "layers.0.bn.weight.npy: γ[3]"));
  // It names the config key as it is spelled (bn.affine), not the field behind it.
  EXPECT_TRUE(Contains(msg, "but bn.affine = frozen pins γ at bn.gamma = 1; set bn.affine = learn"));
}

TEST_F(ParamsDir, RunSubdirectoriesAndSharedDirectory) {
  const ModelConfig plain_model = make_model({16, 16}, Norm::None);
  const ModelConfig bn_model = make_model({16, 16}, Norm::Batch);
  NetworkConfig plain{"plain", plain_model, BnConfig{}, OptimConfig{}};
  NetworkConfig bn{"bn", bn_model, BnConfig{}, OptimConfig{}};
  NetworkParams p0 = init_params(plain_model, BnConfig{}, 8, 3, 1);
  NetworkParams p1 = init_params(bn_model, BnConfig{}, 8, 3, 1);
  scramble(p0, 1);
  scramble(p1, 2);

  save_run_params(dir(), {"plain", "bn"}, {p0, p1});
  EXPECT_EQ(files(), (std::set<std::string>{"plain", "bn"}));
  EXPECT_EQ(network_params_dir(dir(), "bn"), (dir_ / "bn").string());
  const std::vector<NetworkParams> back = load_run_params(dir(), {plain, bn}, 8, 3);
  ASSERT_EQ(back.size(), 2u);
  expect_same_params(p0, back[0]);
  expect_same_params(p1, back[1]);

  // A network without a subdirectory reads the directory itself: one set of tensors starts every
  // network whose shapes fit (here two learning rates of the same BN model).
  const std::string shared = dir("shared");
  save_params(shared, p1);
  NetworkConfig fast = bn;
  fast.name = "fast";
  fast.optim.lr = 2.0;
  EXPECT_EQ(network_params_dir(shared, "fast"), shared);
  const std::vector<NetworkParams> twins = load_run_params(shared, {bn, fast}, 8, 3);
  expect_same_params(p1, twins[0]);
  expect_same_params(p1, twins[1]);

  // The plain twin needs biases a BN directory does not have; the message names the network.
  const std::string e = error_of([&] { load_run_params(shared, {plain}, 8, 3); });
  EXPECT_EQ(
      e.rfind("network 'plain': " + (fs::path(shared) / "layers.0.bias.npy").string() + ": missing",
              0),
      0u)
      << e;
}

TEST_F(ParamsDir, RunRefusesNamesThatAreNotOneDirectory) {
  const NetworkParams p = init_params(make_model({4}, Norm::None), BnConfig{}, 2, 2, 1);
  for (const std::string& name : {std::string(""), std::string(".."), std::string("a/b")})
    EXPECT_NE(error_of([&] {
                save_run_params(dir(), {name}, {p});
              }).find("cannot name a parameter directory"),
              std::string::npos)
        << name;
  EXPECT_NE(error_of([&] {
              save_run_params(dir(), {"a", "a"}, {p, p});
            }).find("appears twice"),
            std::string::npos);
}

}  // namespace
}  // namespace bnlab
