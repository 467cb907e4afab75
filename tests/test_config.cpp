// test_config.cpp — the run config: defaults, --set overrides (dotted keys, lists, per-network),
// rejection messages that name the key, the value and what is allowed, the JSON round trip, and
// the presets.
//
// [SECTION] Helpers
// [SECTION] Defaults
// [SECTION] Overrides
// [SECTION] Rejections
// [SECTION] Round trip and presets

#include <gtest/gtest.h>

#include <algorithm>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"

namespace bnlab {
namespace {

using nlohmann::json;

// [SECTION] Helpers

// A two-network document (no-BN vs BN twins) to apply overrides to.
json twins() {
  return json::parse(R"({
    "data": {"kind": "spiral"},
    "model": {"hidden": [16, 8], "activation": "tanh"},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
}

RunConfig resolve_with(json doc, const std::vector<std::string>& sets) {
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

// The ConfigError message of applying `sets` to `doc` and resolving; fails if nothing throws.
std::string error_of(json doc, const std::vector<std::string>& sets) {
  try {
    resolve_with(std::move(doc), sets);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-ConfigError: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << ::testing::PrintToString(sets);
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << "message: " << (msg) << "\nlacks: " << (part)

// [SECTION] Defaults

TEST(ConfigDefaults, EmptyDocumentResolvesToTheDocumentedDefaults) {
  const RunConfig c = resolve_config(json::object());
  EXPECT_EQ(c.seed, 1u);
  EXPECT_EQ(c.backend, Backend::Auto);
  EXPECT_EQ(c.data.kind, DataKind::Mnist);
  EXPECT_EQ(c.data.train_size, 0);
  EXPECT_TRUE(c.data.shuffle);
  EXPECT_FALSE(c.data.binarize);
  EXPECT_EQ(c.batch, 60);
  EXPECT_EQ(c.steps, 1000);
  EXPECT_EQ(c.eval_every, 500);
  EXPECT_EQ(c.log_every, 100);
  EXPECT_EQ(c.eval_stats, EvalStats::Running);
  EXPECT_EQ(c.stats.probe_size, default_config_json()["stats"]["probe_size"].get<int>());
  EXPECT_GE(c.stats.bins, 64);
  EXPECT_EQ(c.landscape.every, 100);
  EXPECT_EQ(c.landscape.multipliers, (std::vector<double>{0.25, 0.5, 1, 2, 4}));
  ASSERT_EQ(c.networks.size(), 1u);
  const NetworkConfig& n = c.networks[0];
  EXPECT_EQ(n.name, "net");
  EXPECT_EQ(n.model.hidden, (std::vector<int>{100, 100, 100}));
  EXPECT_EQ(n.model.activation, Activation::Sigmoid);
  EXPECT_EQ(n.model.norm, (std::vector<Norm>{Norm::None, Norm::None, Norm::None}));
  EXPECT_EQ(n.model.init, Init::Gaussian);
  EXPECT_DOUBLE_EQ(n.model.init_std, 0.1);
  EXPECT_DOUBLE_EQ(n.bn.momentum, 0.1);
  EXPECT_DOUBLE_EQ(n.bn.eps, 1e-5);
  EXPECT_TRUE(n.bn.learn_affine);
  EXPECT_DOUBLE_EQ(n.bn.gamma, 1.0);
  EXPECT_DOUBLE_EQ(n.bn.beta, 0.0);
  EXPECT_DOUBLE_EQ(n.optim.lr, 0.5);
  EXPECT_DOUBLE_EQ(n.optim.momentum, 0.0);
}

TEST(ConfigDefaults, TheDefaultsDocumentResolvesToTheSame) {
  EXPECT_EQ(to_json(resolve_config(default_config_json())), to_json(resolve_config(json::object())));
}

TEST(ConfigDefaults, UnnamedNetworksGetDistinctNames) {
  const RunConfig c = resolve_config(json::parse(R"({"networks": [{}, {}, {"name": "x"}]})"));
  ASSERT_EQ(c.networks.size(), 3u);
  EXPECT_FALSE(c.networks[0].name.empty());
  EXPECT_NE(c.networks[0].name, c.networks[1].name);
  EXPECT_EQ(c.networks[2].name, "x");
}

// [SECTION] Overrides

TEST(ConfigOverride, DottedKeysReachNestedValues) {
  const RunConfig c = resolve_with(twins(), {"optim.lr=0.25", "data.noise=0.3", "seed=7", "data.shuffle=false",
                                             "bn.affine=frozen", "eval_stats=batch"});
  EXPECT_DOUBLE_EQ(c.networks[0].optim.lr, 0.25);
  EXPECT_DOUBLE_EQ(c.networks[1].optim.lr, 0.25);
  EXPECT_DOUBLE_EQ(c.data.noise, 0.3);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_FALSE(c.data.shuffle);
  EXPECT_FALSE(c.networks[1].bn.learn_affine);
  EXPECT_EQ(c.eval_stats, EvalStats::Batch);
}

// A --set value is raw bytes: one that is not UTF-8 is refused with a message that shows it, not
// with an exception thrown while writing the message (found by fuzz_config).
TEST(ConfigOverride, ValueThatIsNotUtf8IsRefusedWithAMessage) {
  nlohmann::json doc = nlohmann::json::object();
  apply_override(doc, "networks=\xff\xfe");
  try {
    resolve_config(doc);
    FAIL() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("networks="), std::string::npos) << e.what();
  }
}

TEST(ConfigOverride, CommaSeparatedValuesAreLists) {
  const RunConfig c = resolve_with(twins(), {"model.hidden=50,40,30", "networks.0.model.norm=none,batch,layer"});
  EXPECT_EQ(c.networks[0].model.hidden, (std::vector<int>{50, 40, 30}));
  EXPECT_EQ(c.networks[1].model.hidden, (std::vector<int>{50, 40, 30}));
  EXPECT_EQ(c.networks[0].model.norm, (std::vector<Norm>{Norm::None, Norm::Batch, Norm::Layer}));
  EXPECT_EQ(c.networks[1].model.norm, (std::vector<Norm>{Norm::Batch, Norm::Batch, Norm::Batch}));
}

TEST(ConfigOverride, ScalarWhereAListIsExpectedIsAOneEntryList) {
  const RunConfig c = resolve_with(twins(), {"model.hidden=100"});
  EXPECT_EQ(c.networks[0].model.hidden, std::vector<int>{100});
  EXPECT_EQ(c.networks[1].model.norm, std::vector<Norm>{Norm::Batch});
}

TEST(ConfigOverride, ScalarWrappingAlsoWorksPerNetwork) {
  // networks.1.model.hidden=64 should mean [64], as model.hidden=64 does.
  const RunConfig c = resolve_with(twins(), {"networks.1.model.hidden=64"});
  EXPECT_EQ(c.networks[0].model.hidden, (std::vector<int>{16, 8}));
  EXPECT_EQ(c.networks[1].model.hidden, std::vector<int>{64});
}

TEST(ConfigOverride, PerNetworkOverrideTouchesOnlyThatNetwork) {
  const RunConfig c = resolve_with(twins(), {"networks.1.optim.lr=2", "networks.0.bn.momentum=0.3",
                                             "networks.1.model.activation=relu"});
  EXPECT_DOUBLE_EQ(c.networks[0].optim.lr, 0.5);
  EXPECT_DOUBLE_EQ(c.networks[1].optim.lr, 2.0);
  EXPECT_DOUBLE_EQ(c.networks[0].bn.momentum, 0.3);
  EXPECT_DOUBLE_EQ(c.networks[1].bn.momentum, 0.1);
  EXPECT_EQ(c.networks[0].model.activation, Activation::Tanh);
  EXPECT_EQ(c.networks[1].model.activation, Activation::Relu);
  // The shared section still applies where the network does not override it.
  const RunConfig d = resolve_with(twins(), {"networks.1.optim.lr=2", "optim.lr=0.125"});
  EXPECT_DOUBLE_EQ(d.networks[0].optim.lr, 0.125);
  EXPECT_DOUBLE_EQ(d.networks[1].optim.lr, 2.0);
}

TEST(ConfigOverride, LaterSetsWin) {
  const RunConfig c = resolve_with(twins(), {"optim.lr=0.1", "optim.lr=0.2"});
  EXPECT_DOUBLE_EQ(c.networks[0].optim.lr, 0.2);
}

TEST(ConfigOverride, IndexPastTheEndIsRejected) {
  json doc = twins();
  try {
    apply_override(doc, "networks.2.optim.lr=2");
    ADD_FAILURE() << "accepted networks.2 of a two-network run";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_HAS(msg, "networks.2");
    EXPECT_HAS(msg, "past the end");
    EXPECT_HAS(msg, "2 entries");
  }
}

TEST(ConfigOverride, MalformedAssignmentIsRejected) {
  json doc = twins();
  EXPECT_THROW(apply_override(doc, "optim.lr"), ConfigError);
  EXPECT_THROW(apply_override(doc, "=3"), ConfigError);
}

// [SECTION] Rejections

TEST(ConfigReject, UnknownKeyNamesItAndListsTheAllowedKeys) {
  const std::string msg = error_of(twins(), {"optim.lrr=0.1"});
  EXPECT_HAS(msg, "optim.lrr");
  EXPECT_HAS(msg, "lr");
  EXPECT_HAS(msg, "momentum");
  EXPECT_HAS(msg, "batch");
  const std::string top = error_of(twins(), {"step=10"});
  EXPECT_HAS(top, "'step'");
  EXPECT_HAS(top, "steps");
  const std::string net = error_of(twins(), {"networks.1.model.hiden=4"});
  EXPECT_HAS(net, "networks.1.model.hiden");
  EXPECT_HAS(net, "hidden");
}

TEST(ConfigReject, WrongTypeNamesKeyValueAndType) {
  const std::string msg = error_of(twins(), {"steps=abc"});
  EXPECT_HAS(msg, "steps");
  EXPECT_HAS(msg, "abc");
  EXPECT_HAS(msg, "integer");
  const std::string b = error_of(twins(), {"data.shuffle=maybe"});
  EXPECT_HAS(b, "data.shuffle");
  EXPECT_HAS(b, "maybe");
  EXPECT_HAS(b, "true/false");
  const std::string f = error_of(twins(), {"steps=2.5"});
  EXPECT_HAS(f, "steps");
  EXPECT_HAS(f, "2.5");
  const std::string l = error_of(twins(), {"model.hidden=10,abc"});
  EXPECT_HAS(l, "model.hidden");
  EXPECT_HAS(l, "integer");
  const std::string n = error_of(twins(), {"optim.lr=null"});
  EXPECT_HAS(n, "optim.lr");
  EXPECT_HAS(n, "number");
}

TEST(ConfigReject, LearningRateMustBePositive) {
  for (const char* v : {"0", "-0.5"}) {
    const std::string msg = error_of(twins(), {std::string("optim.lr=") + v});
    EXPECT_HAS(msg, "optim.lr=" + std::string(v));
    EXPECT_HAS(msg, "(0, 100]");
  }
  // A per-network value is named by its own key.
  const std::string msg = error_of(twins(), {"networks.1.optim.lr=0"});
  EXPECT_HAS(msg, "networks.1.optim.lr=0");
}

TEST(ConfigReject, WidthZeroIsRejected) {
  const std::string msg = error_of(twins(), {"model.hidden=50,0"});
  EXPECT_HAS(msg, "model.hidden");
  EXPECT_HAS(msg, "=0");
  EXPECT_HAS(msg, "1 … 4096");
  const std::string empty = error_of(json::parse(R"({"model": {"hidden": []}})"), {});
  EXPECT_HAS(empty, "model.hidden");
}

TEST(ConfigReject, BadEnumListsTheAllowedValues) {
  const std::string a = error_of(twins(), {"model.activation=softmax"});
  EXPECT_HAS(a, "model.activation=softmax");
  EXPECT_HAS(a, "sigmoid | tanh | relu | linear");
  const std::string n = error_of(twins(), {"networks.1.model.norm=group"});
  EXPECT_HAS(n, "networks.1.model.norm");
  EXPECT_HAS(n, "group");
  EXPECT_HAS(n, "none | batch | layer");
  const std::string d = error_of(twins(), {"data.kind=cifar"});
  EXPECT_HAS(d, "data.kind=cifar");
  EXPECT_HAS(d, "mnist | mnist-10k | fashion-mnist | spiral | blobs | idx");
  const std::string i = error_of(twins(), {"model.init=uniform"});
  EXPECT_HAS(i, "gaussian | xavier | he");
  const std::string f = error_of(twins(), {"bn.affine=fixed"});
  EXPECT_HAS(f, "bn.affine=fixed");
  EXPECT_HAS(f, "learn | frozen");
  const std::string e = error_of(twins(), {"eval_stats=train"});
  EXPECT_HAS(e, "running | batch");
}

TEST(ConfigReject, BatchOfOneWithBatchNorm) {
  const std::string msg = error_of(twins(), {"optim.batch=1"});
  EXPECT_HAS(msg, "optim.batch=1");
  EXPECT_HAS(msg, "batch normalization");
  // Without BN a batch of one is fine.
  const RunConfig c = resolve_with(twins(), {"optim.batch=1", "networks.1.model.norm=layer"});
  EXPECT_EQ(c.batch, 1);
}

TEST(ConfigReject, PerNetworkBatchIsRejected) {
  const std::string msg = error_of(twins(), {"networks.1.optim.batch=32"});
  EXPECT_HAS(msg, "networks.1.optim.batch");
  EXPECT_HAS(msg, "shared");
}

TEST(ConfigReject, DuplicateNetworkNames) {
  const std::string msg = error_of(twins(), {"networks.1.name=plain"});
  EXPECT_HAS(msg, "plain");
  EXPECT_HAS(msg, "name");
}

TEST(ConfigReject, OtherRanges) {
  EXPECT_HAS(error_of(twins(), {"bn.momentum=1.5"}), "bn.momentum=1.5");
  EXPECT_HAS(error_of(twins(), {"bn.eps=0"}), "bn.eps=0");
  EXPECT_HAS(error_of(twins(), {"optim.momentum=1"}), "optim.momentum=1");
  EXPECT_HAS(error_of(twins(), {"eval_every=0"}), "eval_every=0");
  EXPECT_HAS(error_of(twins(), {"log_every=0"}), "log_every=0");
  EXPECT_HAS(error_of(twins(), {"steps=-1"}), "steps=-1");
  EXPECT_HAS(error_of(twins(), {"stats.typical_unit=8"}), "stats.typical_unit=8");
  EXPECT_HAS(error_of(twins(), {"stats.bins=4"}), "stats.bins=4");
  EXPECT_HAS(error_of(twins(), {"data.train_size=-5"}), "data.train_size=-5");
  EXPECT_HAS(error_of(twins(), {"model.init_std=0"}), "model.init_std=0");
  EXPECT_HAS(error_of(twins(), {"networks.0.model.norm=batch,none,none"}), "networks.0.model.norm");
  EXPECT_HAS(error_of(twins(), {"networks.0.name=a/b"}), "a/b");
  EXPECT_HAS(error_of(twins(), {"data.kind=idx"}), "data.train_images");
  EXPECT_HAS(error_of(twins(), {"landscape.every=-1"}), "landscape.every=-1");
  EXPECT_HAS(error_of(twins(), {"landscape.every=0.5"}), "landscape.every");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=[]"}), "landscape.multipliers=[]");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=1,0"}), "landscape.multipliers=0");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=1,-2"}), "landscape.multipliers=-2");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=1,1e9"}), "(0, 100]");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=2,1,2"}), "appears twice");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"}), "1 … 16");
  EXPECT_HAS(error_of(twins(), {"landscape.multipliers=a,b"}), "landscape.multipliers");
}

TEST(ConfigReject, NegativeSeedIsRejectedNotWrapped) {
  // seed is unsigned: −1 must not silently become 18446744073709551615.
  const std::string msg = error_of(twins(), {"seed=-1"});
  EXPECT_HAS(msg, "seed");
}

// Every numeric key is checked on the value as written, before it is converted: nothing wraps
// (4294967297 to width 1, 4294967356 to batch 60) or overflows a cast (-1.0 to a seed of 2^64 − 1).
TEST(ConfigReject, OutOfRangeNumbersAreRefusedAsWritten) {
  EXPECT_HAS(error_of(twins(), {"model.hidden=4294967297"}), "model.hidden=4294967297: every width must be in 1 … 4096");
  EXPECT_HAS(error_of(twins(), {"optim.batch=4294967356"}), "optim.batch=4294967356: must be in 1 … 65536");
  EXPECT_HAS(error_of(twins(), {"seed=-1.0"}), "seed=-1.0: must be a whole number in 0 … 18446744073709551615");
  EXPECT_HAS(error_of(twins(), {"data.train_size=1e10"}), "data.train_size=10000000000.0: must be in 0 … 1000000000");
  EXPECT_HAS(error_of(twins(), {"eval_every=18446744073709551615"}), "eval_every=18446744073709551615: must be in 1 … 1000000000");
  EXPECT_HAS(error_of(twins(), {"stats.typical_unit=4294967296"}), "stats.typical_unit=4294967296: must be in 0 … 4095");
  EXPECT_HAS(error_of(twins(), {"data.classes=4294967298"}), "data.classes=4294967298: must be in 2 … 100");
  EXPECT_EQ(resolve_with(twins(), {"seed=18446744073709551615"}).seed, 18446744073709551615u);
  EXPECT_EQ(resolve_with(twins(), {"seed=1e6"}).seed, 1000000u);
}

// A list index too long for any integer, a number too large for a double and a key given twice
// each get one message naming what is wrong.
TEST(ConfigReject, HugeIndexOverflowingNumberAndDuplicateKey) {
  EXPECT_HAS(error_of(twins(), {"networks.99999999999999999999.name=a"}), "index 99999999999999999999 is past the end");
  try {
    parse_config_text(R"({"optim": {"lr": 1e400}})", "big.json");
    ADD_FAILURE() << "accepted 1e400";
  } catch (const ConfigError& e) {
    EXPECT_HAS(std::string(e.what()), "big.json: not valid JSON: number overflow parsing '1e400'");
  }
  try {
    parse_config_text(R"({"optim": {"lr": 0.1, "momentum": 0, "lr": 2}, "networks": [{"name": "a"}, {"name": "b"}]})", "twice.json");
    ADD_FAILURE() << "accepted a key given twice";
  } catch (const ConfigError& e) {
    EXPECT_HAS(std::string(e.what()), "twice.json: the key \"lr\" appears twice in one object");
  }
}

TEST(ConfigReject, JsonSyntaxErrorNamesFileLineAndColumn) {
  try {
    parse_config_text("{\n  \"seed\": 1,\n  \"steps\": ,\n}\n", "runs/my.json");
    ADD_FAILURE() << "accepted broken JSON";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_HAS(msg, "runs/my.json");
    EXPECT_HAS(msg, "line 3");
    EXPECT_HAS(msg, "column");
  }
}

TEST(ConfigReject, ConfigFileProblemsNameTheFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("bnlab_config_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string missing = (dir / "missing.json").string();
  try {
    build_config("", missing, {});
    ADD_FAILURE() << "accepted a missing file";
  } catch (const ConfigError& e) {
    EXPECT_HAS(std::string(e.what()), missing);
  }
  const std::string broken = (dir / "broken.json").string();
  std::ofstream(broken) << "{\"seed\": 1,,}";
  try {
    build_config("", broken, {});
    ADD_FAILURE() << "accepted broken JSON";
  } catch (const ConfigError& e) {
    EXPECT_HAS(std::string(e.what()), broken);
  }
  EXPECT_THROW(build_config("spiral-twins", broken, {}), ConfigError);  // not both
  // A good file plus --set.
  const std::string good = (dir / "good.json").string();
  std::ofstream(good) << twins().dump();
  const RunConfig c = build_config("", good, {"optim.lr=0.3"});
  EXPECT_EQ(c.networks.size(), 2u);
  EXPECT_DOUBLE_EQ(c.networks[1].optim.lr, 0.3);
  fs::remove_all(dir);
}

TEST(ConfigReject, NonObjectDocuments) {
  EXPECT_THROW(resolve_config(json::array({1, 2})), ConfigError);
  EXPECT_THROW(resolve_config(json::parse(R"({"networks": []})")), ConfigError);
  EXPECT_THROW(resolve_config(json::parse(R"({"networks": [1]})")), ConfigError);
  EXPECT_THROW(resolve_config(json::parse(R"({"model": 3})")), ConfigError);
}

// [SECTION] Round trip and presets

void expect_round_trip(const RunConfig& c) {
  const json j = to_json(c);
  const RunConfig back = resolve_config(j);
  EXPECT_EQ(to_json(back).dump(), j.dump());
  // And through text, as config.json is written and read.
  EXPECT_EQ(to_json(resolve_config(parse_config_text(j.dump(2), "config.json"))).dump(), j.dump());
}

TEST(ConfigRoundTrip, ToJsonThenResolveIsIdentity) {
  expect_round_trip(resolve_config(json::object()));
  expect_round_trip(resolve_with(twins(), {"networks.1.optim.lr=2", "networks.0.model.hidden=7,5",
                                           "networks.0.model.norm=layer,none", "bn.affine=frozen", "bn.gamma=1.5",
                                           "bn.beta=-0.25", "optim.lr=0.1", "optim.momentum=0.9", "seed=123456789",
                                           "data.noise=0.07", "eval_stats=batch", "stats.typical_unit=3",
                                           "landscape.every=0", "landscape.multipliers=0.5,3"}));
}

TEST(ConfigPresets, EveryPresetResolvesAndRoundTrips) {
  const auto presets = list_presets();
  ASSERT_GE(presets.size(), 2u);
  bool fig1 = false;
  for (const auto& p : presets) {
    SCOPED_TRACE(p.name);
    EXPECT_FALSE(p.summary.empty());
    const RunConfig c = build_config(p.name, "", {});
    EXPECT_GE(c.networks.size(), 1u);
    expect_round_trip(c);
    fig1 |= p.name == "paper-fig1";
  }
  EXPECT_TRUE(fig1);
}

TEST(ConfigPresets, PaperFig1IsTheDefaultAndMatchesThePaper) {
  const RunConfig c = build_config("", "", {});
  EXPECT_EQ(to_json(c), to_json(build_config("paper-fig1", "", {})));
  EXPECT_EQ(c.data.kind, DataKind::Mnist);
  EXPECT_EQ(c.batch, 60);
  EXPECT_EQ(c.steps, 50000);
  ASSERT_EQ(c.networks.size(), 2u);
  for (const auto& n : c.networks) {
    EXPECT_EQ(n.model.hidden, (std::vector<int>{100, 100, 100}));
    EXPECT_EQ(n.model.activation, Activation::Sigmoid);
    EXPECT_EQ(n.model.init, Init::Gaussian);
  }
  EXPECT_EQ(c.networks[0].model.norm, (std::vector<Norm>{Norm::None, Norm::None, Norm::None}));
  EXPECT_EQ(c.networks[1].model.norm, (std::vector<Norm>{Norm::Batch, Norm::Batch, Norm::Batch}));
}

TEST(ConfigPresets, UnknownPresetListsThePresets) {
  try {
    preset_json("paper-fig2");
    ADD_FAILURE() << "accepted an unknown preset";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_HAS(msg, "paper-fig2");
    for (const auto& p : list_presets()) EXPECT_HAS(msg, p.name);
  }
}

}  // namespace
}  // namespace bnlab

namespace bnlab {
namespace {

// Lesson 3's ×1 / ×5 / ×30 networks keep their multiples when the global rate moves, and the
// factor stops where a rate would leave the slider's range.
TEST(Config, BaseLearningRateScalesEveryNetworkKeepingItsMultiple) {
  RunConfig cfg = build_config("lesson-3-learning-rates", "", {});
  std::vector<double> before;
  for (const auto& n : cfg.networks) before.push_back(n.optim.lr);
  const double base = base_lr(cfg);
  EXPECT_DOUBLE_EQ(base, *std::min_element(before.begin(), before.end()));
  set_base_lr(cfg, base / 10, 1e-4, 10);
  EXPECT_DOUBLE_EQ(base_lr(cfg), base / 10);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_NEAR(cfg.networks[i].optim.lr, before[i] / 10, 1e-12);
  set_base_lr(cfg, 5, 1e-4, 10);  // the largest (×30) stops at 10
  double top = 0;
  for (const auto& n : cfg.networks) top = std::max(top, n.optim.lr);
  EXPECT_NEAR(top, 10, 1e-9);
  EXPECT_NEAR(top / base_lr(cfg), 30, 1e-9);
}

}  // namespace
}  // namespace bnlab
