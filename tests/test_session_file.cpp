// test_session_file.cpp — a saved session reads back bit for bit (config, every series with its
// decimation state, histogram tracks, the latest snapshot, units, parameters); reopened, it shows
// the same history at the same step and trains on exactly as the run would have; damaged or
// foreign files are refused with one message naming the file; a failed write leaves nothing.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/session_file.h"
#include "tests/test_util.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;

RunConfig spiral_twins(const std::vector<std::string>& sets = {}) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "seed": 5, "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [16, 16], "activation": "tanh", "init": "gaussian", "init_std": 0.5},
    "optim": {"lr": 0.1, "momentum": 0.0, "batch": 32},
    "log_every": 2, "eval_every": 50,
    "stats": {"probe_size": 100, "bins": 16},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })");
  for (const auto& s : sets) apply_override(doc, s);
  return resolve_config(doc);
}

// A run of `steps` steps, paused, caught whole.
LabSnapshot trained(int64_t steps, const RunConfig& cfg = spiral_twins()) {
  LabSession lab(cfg, /*playing=*/false);
  lab.step(steps);
  lab.wait_idle();
  EXPECT_TRUE(lab.state()->ready) << lab.state()->error;
  return lab.capture();
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("bnlab_session_file_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Same float, or both NaN (JSON keeps no NaN payload).
::testing::AssertionResult SameFloats(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << what << ": sizes " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::isnan(a[i]) && std::isnan(b[i])) && std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << what << "[" << i << "]: " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

void expect_same_series(const Series& a, const Series& b, const std::string& what) {
  const Series::State x = a.state(), y = b.state();
  EXPECT_EQ(x.stride, y.stride) << what;
  EXPECT_EQ(x.open_count, y.open_count) << what;
  EXPECT_EQ(x.x, y.x) << what;
  EXPECT_EQ(x.finite, y.finite) << what;
  EXPECT_TRUE(SameFloats(x.mean, y.mean, what + ".mean"));
  EXPECT_TRUE(SameFloats(x.lo, y.lo, what + ".lo"));
  EXPECT_TRUE(SameFloats(x.hi, y.hi, what + ".hi"));
}

void expect_same_history(const RunHistory& a, const RunHistory& b) {
  EXPECT_EQ(a.last_step(), b.last_step());
  ASSERT_EQ(a.networks().size(), b.networks().size());
  for (size_t n = 0; n < a.networks().size(); ++n) {
    const NetworkHistory &x = a.networks()[n], &y = b.networks()[n];
    const std::string net = "net " + std::to_string(n);
    expect_same_series(x.train_loss, y.train_loss, net + " train_loss");
    expect_same_series(x.test_loss, y.test_loss, net + " test_loss");
    expect_same_series(x.test_acc, y.test_acc, net + " test_acc");
    for (const MeterScalar& m : kMeterScalars) expect_same_series(x.*m.series, y.*m.series, net + " " + m.name);
    ASSERT_EQ(x.ics.size(), y.ics.size());
    for (size_t l = 0; l < x.ics.size(); ++l)
      for (const IcsScalar& f : kIcsScalars) expect_same_series(x.ics[l].*f.series, y.ics[l].*f.series, net + " " + f.name);
    EXPECT_EQ(x.latest_step, y.latest_step);
    EXPECT_EQ(x.diverged_at, y.diverged_at);
    EXPECT_EQ(x.color, y.color);
    ASSERT_EQ(x.layers.size(), y.layers.size());
    for (size_t l = 0; l < x.layers.size(); ++l) {
      const std::string layer = net + " layer " + std::to_string(l);
      for (size_t p = 0; p < kPercentiles.size(); ++p) {
        expect_same_series(x.layers[l].pct[p], y.layers[l].pct[p], layer + " pct");
        expect_same_series(x.layers[l].unit_pct[p], y.layers[l].unit_pct[p], layer + " unit_pct");
      }
      for (const Series LayerHistory::*m : {&LayerHistory::mean, &LayerHistory::saturation, &LayerHistory::grad_norm,
                                             &LayerHistory::update_ratio, &LayerHistory::gamma_mean, &LayerHistory::beta_std})
        expect_same_series(x.layers[l].*m, y.layers[l].*m, layer);
      for (int t = 0; t < kTapCount; ++t) {
        const HistogramTrack::State u = x.layers[l].hist[t].state(), v = y.layers[l].hist[t].state();
        EXPECT_EQ(u.x, v.x) << layer;
        EXPECT_EQ(u.bins, v.bins) << layer;
        EXPECT_EQ(u.stride, v.stride) << layer;
        EXPECT_TRUE(SameFloats(u.values, v.values, layer + " track"));
        EXPECT_EQ(x.latest.layers[l].hist[t].counts, y.latest.layers[l].hist[t].counts) << layer;
      }
      EXPECT_TRUE(SameFloats({x.latest.layers[l].pct.begin(), x.latest.layers[l].pct.end()},
                             {y.latest.layers[l].pct.begin(), y.latest.layers[l].pct.end()}, layer + " latest pct"));
      const BatchStrip &p = x.latest.layers[l].strip, &q = y.latest.layers[l].strip;  // the BN strip
      EXPECT_EQ(p.step, q.step) << layer;
      EXPECT_EQ(p.norm, q.norm) << layer;
      EXPECT_EQ(p.labels, q.labels) << layer;
      EXPECT_TRUE(SameFloats(p.x, q.x, layer + " strip x"));
      EXPECT_TRUE(SameFloats(p.xhat, q.xhat, layer + " strip xhat"));
      EXPECT_TRUE(SameFloats(p.y, q.y, layer + " strip y"));
      EXPECT_TRUE(SameFloats({p.mu, p.sigma, p.gamma, p.beta}, {q.mu, q.sigma, q.gamma, q.beta}, layer + " strip μ σ γ β"));
    }
    ASSERT_EQ(x.units.size(), y.units.size());
    for (size_t l = 0; l < x.units.size(); ++l) {
      EXPECT_TRUE(SameFloats(x.units[l].gamma, y.units[l].gamma, net + " gamma"));
      EXPECT_TRUE(SameFloats(x.units[l].running_var, y.units[l].running_var, net + " running_var"));
    }
  }
}

void expect_same_params(const std::vector<NetworkParams>& a, const std::vector<NetworkParams>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t n = 0; n < a.size(); ++n) {
    ASSERT_EQ(a[n].layers.size(), b[n].layers.size());
    for (size_t l = 0; l < a[n].layers.size(); ++l) {
      const LayerParams &x = a[n].layers[l], &y = b[n].layers[l];
      EXPECT_EQ(x.norm, y.norm);
      EXPECT_TRUE(SameFloats(x.weight, y.weight, "weight"));
      EXPECT_TRUE(SameFloats(x.bias, y.bias, "bias"));
      EXPECT_TRUE(SameFloats(x.gamma, y.gamma, "gamma"));
      EXPECT_TRUE(SameFloats(x.running_mean, y.running_mean, "running_mean"));
    }
  }
}

// 2,300 steps logged every 2: the percentile series (1,024 buckets) have been decimated once, the
// train loss (4,096) not yet — both states must survive.
TEST(SessionFile, RoundTripKeepsEverything) {
  RunConfig cfg = spiral_twins();
  cfg.preset = "spiral-twins";  // not a config key: the file carries it beside the config
  const LabSnapshot a = trained(2300, cfg);
  ASSERT_EQ(a.step, 2300);
  ASSERT_EQ(a.history.networks()[1].layers[0].pct[2].stride(), 2);
  ASSERT_EQ(a.history.networks()[1].train_loss.stride(), 1);
  ASSERT_EQ(a.history.networks()[1].beta_smooth.size(), 23) << "the meters, every 100 steps, are in the session";
  ASSERT_EQ(a.history.networks()[1].ics.size(), 3u);
  ASSERT_EQ(a.history.networks()[1].latest.layers[0].strip.norm, Norm::Batch) << "the BN strip is in the session";
  ASSERT_FALSE(a.history.networks()[1].latest.layers[0].strip.x.empty());
  TempDir dir;
  const std::string path = dir.file("run.bnlab.json");
  save_session(path, a);
  const LabSnapshot b = load_session(path);
  EXPECT_EQ(to_json(a.config), to_json(b.config));
  EXPECT_EQ(b.config.preset, "spiral-twins");
  EXPECT_EQ(b.step, 2300);
  expect_same_history(a.history, b.history);
  expect_same_params(a.params, b.params);
  // Nothing but the file itself: the temporary file was renamed into place.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1);
}

// Reopened, the session shows the saved history at the saved step, paused; stepping on gives
// exactly the losses the original run gives for the same steps (momentum 0: nothing unsaved).
void expect_reopened_trains_on(LabSession& original) {
  original.wait_idle();
  const auto saved = std::make_shared<const LabSnapshot>(decode_session(encode_session(original.capture()), "mem"));
  const int64_t step = saved->step;

  LabSession reopened(saved);
  reopened.wait_idle();
  auto s = reopened.state();
  ASSERT_TRUE(s->ready) << s->error;
  EXPECT_TRUE(s->error.empty()) << s->error;
  EXPECT_FALSE(s->playing);
  EXPECT_EQ(s->step, step);
  expect_same_history(saved->history, s->history);

  original.step(40);
  reopened.step(40);
  original.wait_idle();
  reopened.wait_idle();
  const auto a = original.state(), b = reopened.state();
  EXPECT_EQ(b->step, step + 40);
  for (int n = 0; n < 2; ++n) {
    const Series &x = a->history.networks()[n].train_loss, &y = b->history.networks()[n].train_loss;
    ASSERT_EQ(x.size(), y.size());
    ASSERT_EQ(x.x()[step], static_cast<double>(step + 1));
    for (int k = static_cast<int>(step); k < x.size(); ++k) {
      EXPECT_EQ(x.x()[k], y.x()[k]);
      ASSERT_EQ(std::memcmp(&x.mean()[k], &y.mean()[k], sizeof(float)), 0) << "net " << n << " step " << x.x()[k];
    }
  }
}

TEST(SessionFile, ReopenedSessionTrainsOnAsTheRunWould) {
  LabSession original(spiral_twins(), /*playing=*/false);
  original.step(300);
  expect_reopened_trains_on(original);
}

// After a live batch-size change the data order began at that step: the session keeps it.
TEST(SessionFile, ReopenedSessionKeepsTheDataOrderOfABatchChange) {
  LabSession original(spiral_twins(), /*playing=*/false);
  original.step(100);
  original.wait_idle();  // else the change is applied with the step command, before training
  RunConfig smaller = original.desired();
  smaller.batch = 20;
  original.configure(smaller);
  original.step(150);
  original.wait_idle();
  EXPECT_EQ(original.capture().order_start, 100);
  expect_reopened_trains_on(original);
}

// Parameters that do not fit the data (another dataset's width) start the run afresh, saying why.
TEST(SessionFile, ParamsThatDoNotFitStartAfreshWithAMessage) {
  LabSnapshot s = trained(20);
  for (auto& p : s.params) {
    p.layers[0].in = 3;
    p.layers[0].weight.resize(static_cast<size_t>(p.layers[0].out) * 3, 0.f);
  }
  LabSession lab(std::make_shared<const LabSnapshot>(s));
  lab.wait_idle();
  EXPECT_TRUE(Contains(lab.state()->error, "starts afresh"));
  EXPECT_EQ(lab.state()->step, 0);
}

// A session may name any step: reopening it seeks there at once (it hung, replaying the data
// order epoch by epoch, when a file said 9000000000000000000).
TEST(SessionFile, AnyStepReopensAtOnce) {
  LabSnapshot s = trained(20);
  s.step = 9000000000000000000;
  LabSession lab(std::make_shared<const LabSnapshot>(decode_session(encode_session(s), "far.bnlab.json")));
  lab.wait_idle();
  EXPECT_TRUE(lab.state()->ready) << lab.state()->error;
  EXPECT_EQ(lab.state()->step, 9000000000000000000);
  lab.step(1);
  lab.wait_idle();
  EXPECT_EQ(lab.state()->step, 9000000000000000001);
}

TEST(SessionFile, DamagedOrForeignFilesAreRefusedByName) {
  TempDir dir;
  const std::string good = encode_session(trained(10));
  const std::string path = dir.file("bad.bnlab.json");
  auto load_error = [&](const std::string& text) {
    write_text(path, text);
    const std::string e = error_of([&] { load_session(path); });
    EXPECT_TRUE(Contains(e, path));
    return e;
  };
  EXPECT_TRUE(Contains(load_error("garbage{"), "not JSON"));
  EXPECT_TRUE(Contains(load_error(good.substr(0, good.size() / 2)), "not JSON"));  // truncated
  EXPECT_TRUE(Contains(load_error(R"({"a": 1})"), "not a bnlab session"));
  nlohmann::json doc = nlohmann::json::parse(good);
  doc["version"] = 99;
  EXPECT_TRUE(Contains(load_error(doc.dump()), "version 99 was written by a newer bnlab"));
  doc = nlohmann::json::parse(good);
  doc["history"]["networks"][1]["layers"][0]["p50"]["finite"].push_back(1);
  EXPECT_TRUE(Contains(load_error(doc.dump()), "history.networks[1].layers[0].p50: x, mean, lo, hi and finite differ"));
  doc = nlohmann::json::parse(good);
  doc["params"][0]["layers"][1]["weight"].erase(0);
  EXPECT_TRUE(Contains(load_error(doc.dump()), "params[0] (network 'plain')"));
  doc = nlohmann::json::parse(good);
  doc["config"]["optim"]["lr"] = "fast";
  EXPECT_TRUE(Contains(load_error(doc.dump()), "config"));
  doc = nlohmann::json::parse(good);
  doc["history"]["networks"][0].erase("train_loss");
  EXPECT_TRUE(Contains(load_error(doc.dump()), "\"train_loss\" is missing"));
  EXPECT_TRUE(Contains(error_of([&] { load_session(dir.file("missing.bnlab.json")); }), "cannot open"));
}

// Unwritable places: no such directory, /proc; and a write that fails midway (the file size
// limit standing in for a full disk) leaves the old session intact and no temporary file.
TEST(SessionFile, FailedWriteLeavesNothingHalfWritten) {
  const LabSnapshot s = trained(10);
  EXPECT_TRUE(Contains(error_of([&] { save_session("/nonexistent-bnlab-dir/x.bnlab.json", s); }), "/nonexistent-bnlab-dir/x.bnlab.json"));
  EXPECT_TRUE(Contains(error_of([&] { save_session("/proc/bnlab.bnlab.json", s); }), "/proc/bnlab.bnlab.json"));

  TempDir dir;
  const std::string path = dir.file("kept.bnlab.json");
  write_text(path, "the previous session");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of killing
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      save_session(path, s);
    } catch (const std::runtime_error& e) {
      _exit(std::string(e.what()).find(path) != std::string::npos ? 0 : 2);
    }
    _exit(1);  // no error reported
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the failed write was not reported; 2: the message does not name the file";
  EXPECT_EQ(read_text(path), "the previous session");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1) << "a temporary file was left";
}

}  // namespace
}  // namespace bnlab
