// test_run_cli.cpp — `bnlab run` and `bnlab presets` end to end: the real binary in a temporary
// directory, its files checked row by row, bad input refused with one message and a non-zero
// exit, parameters saved and loaded again, Ctrl-C keeping what was written, a full disk failing
// the run.
//
// [SECTION] Helpers
// [SECTION] A tiny run and its files
// [SECTION] Presets and bad input
// [SECTION] Parameter files
// [SECTION] Ctrl-C

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/npy.h"
#include "tests/test_util.h"

namespace bnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// [SECTION] Helpers

// A fresh directory under the system's temp dir, removed with the fixture.
class RunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("bnlab_cli_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

 public:
  struct Result {
    int code = -1;          // exit code; −1 when the process did not exit normally
    bool signaled = false;  // killed by a signal (a crash)
    std::string out, err;
  };

 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs `bnlab <args>` with stdout and stderr captured.
  Result bnlab(const std::string& args) { return shell(std::string("'") + BNLAB_BINARY + "' " + args); }

  // Runs a shell script (BNLAB names the binary) with stdout and stderr captured.
  Result shell(const std::string& script) {
    const std::string out = path("stdout.txt"), err = path("stderr.txt");
    const std::string cmd = std::string("BNLAB='") + BNLAB_BINARY + "'; ( " + script + " ) >'" + out + "' 2>'" + err +
                            "' </dev/null";
    const int status = std::system(cmd.c_str());
    Result r;
    if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
    r.signaled = WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) >= 128 && WEXITSTATUS(status) != 130);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

  static std::string slurp(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

// A CSV file: the header's columns and the rows, each a column → value map.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::vector<std::string>> cells;
};

Csv read_csv(const std::string& file) {
  Csv csv;
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line)) return csv;
  csv.header = split(line, ',');
  while (std::getline(in, line)) {
    const auto cells = split(line, ',');
    EXPECT_EQ(cells.size(), csv.header.size()) << file << ": " << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size() && i < csv.header.size(); ++i) row[csv.header[i]] = cells[i];
    csv.rows.push_back(row);
    csv.cells.push_back(cells);
  }
  return csv;
}

bool finite_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  return *end == 0 && std::isfinite(v);
}

int lines_of(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n + (!s.empty() && s.back() != '\n');
}

const char* kTiny = "run --preset spiral-twins --set steps=200 --set log_every=50 --set eval_every=100";

// [SECTION] A tiny run and its files

TEST_F(RunCli, TinyRunWritesConfigMetricsLossesLayersAndHistograms) {
  const std::string out = path("run");
  const Result r = bnlab(std::string(kTiny) + " --out '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(r.signaled);
  // Train accuracy is measured on the whole training set when it is smaller than eval_train_size
  // (10,000), and the summary names the count actually used: the spiral's 2,000.
  EXPECT_TRUE(Contains(r.out, "train accuracy (eval mode, the first 2000 training examples)")) << r.out;
  for (const char* f : {"config.json", "metrics.csv", "train_loss.csv", "layers.csv", "histograms.csv", "landscape.csv"})
    ASSERT_TRUE(fs::exists(out + "/" + f)) << f;

  // config.json: the fully resolved run.
  const json cfg = json::parse(slurp(out + "/config.json"));
  EXPECT_EQ(cfg["steps"], 200);
  EXPECT_EQ(cfg["log_every"], 50);
  EXPECT_EQ(cfg["eval_every"], 100);
  EXPECT_EQ(cfg["data"]["kind"], "spiral");
  ASSERT_EQ(cfg["networks"].size(), 2u);
  EXPECT_EQ(cfg["networks"][0]["name"], "baseline");
  EXPECT_EQ(cfg["networks"][1]["name"], "bn");
  EXPECT_EQ(cfg["networks"][1]["model"]["norm"], json::array({"batch", "batch"}));

  // metrics.csv: one row per network and logged step, test columns on eval steps only.
  const Csv m = read_csv(out + "/metrics.csv");
  EXPECT_EQ(m.header, (std::vector<std::string>{"step", "network", "train_loss", "train_loss_mean", "test_loss",
                                                 "test_acc", "train_acc", "diverged_at"}));
  ASSERT_EQ(m.rows.size(), 10u);
  const Csv losses = read_csv(out + "/train_loss.csv");
  size_t k = 0;
  for (int step : {0, 50, 100, 150, 200}) {
    for (const char* net : {"baseline", "bn"}) {
      const auto& row = m.rows[k++];
      SCOPED_TRACE("step " + std::to_string(step) + " " + net);
      EXPECT_EQ(row.at("step"), std::to_string(step));
      EXPECT_EQ(row.at("network"), net);
      const bool eval = step % 100 == 0;
      EXPECT_EQ(finite_number(row.at("test_acc")), eval) << row.at("test_acc");
      EXPECT_EQ(finite_number(row.at("test_loss")), eval) << row.at("test_loss");
      EXPECT_EQ(finite_number(row.at("train_acc")), eval) << row.at("train_acc");
      if (eval) {
        const double acc = std::stod(row.at("test_acc"));
        EXPECT_GE(acc, 0.0);
        EXPECT_LE(acc, 1.0);
      }
      EXPECT_EQ(row.at("diverged_at"), "");
      if (step == 0) {
        EXPECT_EQ(row.at("train_loss"), "") << "no training loss before the first step";
      } else {
        ASSERT_TRUE(finite_number(row.at("train_loss")));
        // The logged train loss is that step's entry of train_loss.csv; the mean is over the
        // steps since the previous row.
        EXPECT_EQ(row.at("train_loss"), losses.rows.at(step - 1).at(net));
        double sum = 0;
        for (int s = step - 49; s <= step; ++s) sum += std::stod(losses.rows.at(s - 1).at(net));
        EXPECT_NEAR(std::stod(row.at("train_loss_mean")), sum / 50, 1e-5 * (1 + sum / 50));
      }
    }
  }
  // Training helps: the eval accuracy at 200 beats chance on three classes.
  EXPECT_GT(std::stod(m.rows[9].at("test_acc")), 0.4);

  // train_loss.csv: every step.
  EXPECT_EQ(losses.header, (std::vector<std::string>{"step", "baseline", "bn"}));
  ASSERT_EQ(losses.rows.size(), 200u);
  for (size_t s = 0; s < 200; ++s) {
    EXPECT_EQ(losses.rows[s].at("step"), std::to_string(s + 1));
    EXPECT_TRUE(finite_number(losses.rows[s].at("baseline")));
    EXPECT_TRUE(finite_number(losses.rows[s].at("bn")));
  }

  // speedup.csv: both ordered pairs, each naming the reference's final smoothed test accuracy
  // (the mean of its last five evaluations: steps 100 and 200 here, step 0 left out).
  const Csv sp = read_csv(out + "/speedup.csv");
  EXPECT_EQ(sp.header,
            (std::vector<std::string>{"reference", "network", "target_acc", "chance_acc", "reference_step", "step", "factor"}));
  ASSERT_EQ(sp.rows.size(), 2u);
  EXPECT_EQ(sp.rows[0].at("reference"), "baseline");
  EXPECT_EQ(sp.rows[0].at("network"), "bn");
  EXPECT_EQ(sp.rows[1].at("reference"), "bn");
  for (int r = 0; r < 2; ++r) {
    const std::string ref = sp.rows[r].at("reference");
    const double target = (std::stod(m.rows[ref == "baseline" ? 4 : 5].at("test_acc")) +
                           std::stod(m.rows[ref == "baseline" ? 8 : 9].at("test_acc"))) / 2;
    EXPECT_NEAR(std::stod(sp.rows[r].at("target_acc")), target, 1e-6);
    if (!sp.rows[r].at("step").empty()) {
      EXPECT_NEAR(std::stod(sp.rows[r].at("factor")),
                  std::stod(sp.rows[r].at("reference_step")) / std::stod(sp.rows[r].at("step")), 1e-3);
    }
  }

  // layers.csv: per logged step, network and hidden layer.
  const Csv layers = read_csv(out + "/layers.csv");
  ASSERT_EQ(layers.header.size(), 23u);
  EXPECT_EQ(layers.header[3], "p2");
  EXPECT_EQ(layers.header[7], "p98");
  EXPECT_EQ(layers.header[8], "unit_p2");
  ASSERT_EQ(layers.rows.size(), 5u * 2u * 2u);
  for (const auto& row : layers.rows) {
    SCOPED_TRACE(row.at("step") + " " + row.at("network") + " " + row.at("layer"));
    double prev = -1e30;
    for (const char* p : {"p2", "p15", "p50", "p85", "p98"}) {
      ASSERT_TRUE(finite_number(row.at(p)));
      EXPECT_GE(std::stod(row.at(p)), prev) << "percentiles must ascend";
      prev = std::stod(row.at(p));
    }
    EXPECT_TRUE(finite_number(row.at("weight_norm")));
    EXPECT_GE(std::stod(row.at("saturation")), 0.0);
    EXPECT_LE(std::stod(row.at("saturation")), 1.0);
    EXPECT_EQ(finite_number(row.at("grad_norm")), row.at("step") != "0");
    EXPECT_EQ(finite_number(row.at("gamma_mean")), row.at("network") == "bn");
  }

  // histograms.csv: three taps per layer row; every probe value counted exactly once.
  const int probe = std::min(cfg["stats"]["probe_size"].get<int>(),
                             cfg["data"]["test_size"].get<int>() ? cfg["data"]["test_size"].get<int>() : 1000);
  const int bins = cfg["stats"]["bins"].get<int>();
  const Csv hist = read_csv(out + "/histograms.csv");
  EXPECT_EQ(hist.header, (std::vector<std::string>{"step", "network", "layer", "tap", "lo", "hi", "underflow",
                                                    "overflow", "counts"}));
  ASSERT_EQ(hist.rows.size(), 5u * 2u * 2u * 3u);
  for (const auto& row : hist.rows) {
    SCOPED_TRACE(row.at("step") + " " + row.at("network") + " " + row.at("layer") + " " + row.at("tap"));
    const int width = cfg["networks"][0]["model"]["hidden"][std::stoi(row.at("layer"))].get<int>();
    const auto counts = split(row.at("counts"), ' ');
    ASSERT_EQ(static_cast<int>(counts.size()), bins);
    long long total = std::stoll(row.at("underflow")) + std::stoll(row.at("overflow"));
    for (const auto& c : counts) total += std::stoll(c);
    EXPECT_EQ(total, static_cast<long long>(probe) * width);
    EXPECT_LT(std::stod(row.at("lo")), std::stod(row.at("hi")));
  }
  const std::set<std::string> taps = {hist.rows[0].at("tap"), hist.rows[1].at("tap"), hist.rows[2].at("tap")};
  EXPECT_EQ(taps, (std::set<std::string>{"pre_norm", "nonlin_in", "output"}));
}

// Lesson 13's ten sigmoid layers without BN never learn (test accuracy 10–11%, the share of the
// most frequent class 0.1125 on mnist-10k's 2,000 test digits): the summary says there is no
// speed-up to measure rather than a factor over a chance-level target (it printed 6.0× on the
// full set), and speedup.csv leaves that pair's steps and factor empty.
TEST_F(RunCli, AReferenceAtChanceGivesNoSpeedup) {
  const std::string out = path("deep");
  const Result r = bnlab("run --preset lesson-13-deeper-networks --set data.kind=mnist-10k --set steps=1000"
                         " --set eval_every=250 --set landscape.every=0 --backend cpu --out '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "bn: none never learned (")) << r.out;
  EXPECT_TRUE(Contains(r.out, ", chance 0.1125): no speed-up to measure")) << r.out;
  EXPECT_FALSE(Contains(r.out, "fewer steps")) << r.out;
  const Csv sp = read_csv(out + "/speedup.csv");
  ASSERT_EQ(sp.rows.size(), 2u);
  const auto& none_bn = sp.rows[0];
  EXPECT_EQ(none_bn.at("reference"), "none");
  EXPECT_LT(std::stod(none_bn.at("target_acc")), 0.1125 + 3 * std::sqrt(0.1125 / 2000));
  EXPECT_EQ(none_bn.at("chance_acc"), "0.1125");
  EXPECT_EQ(none_bn.at("reference_step"), "");
  EXPECT_EQ(none_bn.at("step"), "");
  EXPECT_EQ(none_bn.at("factor"), "");
  // BN learned: its accuracy is a target, which the chance-level network does not reach.
  const auto& bn_none = sp.rows[1];
  EXPECT_GT(std::stod(bn_none.at("target_acc")), 0.8);
  EXPECT_EQ(bn_none.at("reference_step"), "1000");
  EXPECT_EQ(bn_none.at("step"), "");
}

// landscape.csv: the meters every landscape.every steps, long format; config.json records them.
TEST_F(RunCli, LandscapeCsvHoldsEveryMeterEveryMeasuredStep) {
  const std::string out = path("meters");
  const Result r = bnlab(std::string(kTiny) + " --set landscape.every=40 --set landscape.multipliers=0.5,2 --out '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const json cfg = json::parse(slurp(out + "/config.json"));
  EXPECT_EQ(cfg["landscape"]["every"], 40);
  EXPECT_EQ(cfg["landscape"]["multipliers"], json::array({0.5, 2}));
  const Csv c = read_csv(out + "/landscape.csv");
  EXPECT_EQ(c.header, (std::vector<std::string>{"step", "network", "layer", "quantity", "value"}));
  // Steps 0, 40, …, 160 (step 200 has no update after it), 2 networks, each 5 + 2 network-wide
  // rows and 3 layers (2 hidden + output) × 3 ICS rows.
  ASSERT_EQ(c.rows.size(), 5u * 2 * (7 + 9));
  std::map<std::string, int> per_quantity;
  for (const auto& row : c.rows) {
    ++per_quantity[row.at("quantity")];
    EXPECT_EQ(std::stoll(row.at("step")) % 40, 0);
    EXPECT_FALSE(row.at("value").empty()) << row.at("quantity");
    const bool layered = row.at("quantity").rfind("ics_", 0) == 0;
    EXPECT_EQ(row.at("layer").empty(), !layered);
  }
  for (const char* q : {"loss_min", "loss_max", "gradpred_min", "gradpred_max", "beta_smooth", "loss_at_0.5", "loss_at_2"})
    EXPECT_EQ(per_quantity[q], 10) << q;
  for (const char* q : {"ics_l2", "ics_cos", "ics_rel"}) EXPECT_EQ(per_quantity[q], 30) << q;

  // Off: no file, and the other files as before.
  const std::string off = path("meters-off");
  ASSERT_EQ(bnlab(std::string(kTiny) + " --set landscape.every=0 --out '" + off + "'").code, 0);
  EXPECT_FALSE(fs::exists(off + "/landscape.csv"));
  EXPECT_EQ(slurp(off + "/train_loss.csv"), slurp(out + "/train_loss.csv"));
}

TEST_F(RunCli, EvalStepsOffTheLogGridAndTheLastStepAreLogged) {
  // log every 50, evaluate every 75, stop at 160: rows at 0, 50, 75, 100, 150, 160; test columns
  // at 0, 75, 150 and the last step.
  const std::string out = path("run");
  const Result r = bnlab("run --preset spiral-twins --set steps=160 --set log_every=50 --set eval_every=75 --out '" +
                         out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const Csv m = read_csv(out + "/metrics.csv");
  std::vector<std::string> steps, evals;
  for (const auto& row : m.rows) {
    if (row.at("network") != "bn") continue;
    steps.push_back(row.at("step"));
    if (!row.at("test_acc").empty()) evals.push_back(row.at("step"));
  }
  EXPECT_EQ(steps, (std::vector<std::string>{"0", "50", "75", "100", "150", "160"}));
  EXPECT_EQ(evals, (std::vector<std::string>{"0", "75", "150", "160"}));
  EXPECT_EQ(read_csv(out + "/train_loss.csv").rows.size(), 160u);
}

TEST_F(RunCli, ConfigJsonReproducesTheRunByteForByte) {
  const std::string a = path("a"), b = path("b");
  const Result r1 = bnlab(std::string(kTiny) + " --out '" + a + "'");
  ASSERT_EQ(r1.code, 0) << r1.err;
  const Result r2 = bnlab("run --config '" + a + "/config.json' --out '" + b + "'");
  ASSERT_EQ(r2.code, 0) << r2.err;
  for (const char* f : {"config.json", "metrics.csv", "train_loss.csv", "layers.csv", "histograms.csv"}) {
    const std::string x = slurp(a + "/" + f), y = slurp(b + "/" + f);
    EXPECT_FALSE(x.empty()) << f;
    EXPECT_TRUE(x == y) << f << " differs between the run and its config.json replay";
  }
  // A different seed really changes the numbers (the comparison above is not vacuous).
  const std::string c = path("c");
  const Result r3 = bnlab("run --config '" + a + "/config.json' --set seed=2 --out '" + c + "'");
  ASSERT_EQ(r3.code, 0) << r3.err;
  EXPECT_NE(slurp(a + "/train_loss.csv"), slurp(c + "/train_loss.csv"));
}

// Lesson 3's six networks (one diverges at step 11) on 1, 2 and 3 threads: every file the run
// writes, parameters included, is the same byte for byte (config.json apart from its `threads`).
// 150 steps between snapshots make train() cross the trainer's 64-step chunks, and 3,000 examples
// make the data order start new epochs inside them.
TEST_F(RunCli, ThreadCountsGiveByteIdenticalFiles) {
  const std::string run =
      "run --preset lesson-3-learning-rates --set steps=300 --set log_every=150 --set eval_every=300"
      " --set data.train_size=3000 --set data.test_size=500 --backend cpu";
  std::map<std::string, std::string> first;  // file → contents, of the 1-thread run
  for (int threads : {1, 2, 3}) {
    const std::string out = path("t" + std::to_string(threads));
    const Result r = bnlab(run + " --set threads=" + std::to_string(threads) + " --out '" + out + "' --save-params '" +
                           out + "/params'");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.err.find("cpu, " + std::to_string(threads) + (threads == 1 ? " thread\n" : " threads\n")) !=
                std::string::npos)
        << r.err;
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(out))
      if (e.is_regular_file()) files[fs::relative(e.path(), out).string()] = slurp(e.path().string());
    json cfg = json::parse(files.at("config.json"));
    EXPECT_EQ(cfg["threads"], threads);
    cfg.erase("threads");
    files["config.json"] = cfg.dump();
    if (threads == 1) {
      EXPECT_GE(files.size(), 5u + 6 * 4);  // the run's files and every network's parameters
      EXPECT_NE(files.at("metrics.csv").find(",11\n"), std::string::npos) << "none-x30 should diverge at step 11";
      first = files;
      continue;
    }
    ASSERT_EQ(files.size(), first.size());
    for (const auto& [name, text] : first) EXPECT_TRUE(files.at(name) == text) << name << " differs with " << threads << " threads";
  }
}

// [SECTION] Presets and bad input

// Lesson 1 (paper-fig1) first, the lessons in order, every summary starting in one column.
TEST_F(RunCli, PresetsListsTheLessonsInOrderInColumns) {
  const Result r = bnlab("presets");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> lines = split(r.out, '\n');
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("paper-fig1 ", 0), 0u) << r.out;
  EXPECT_EQ(lines[1].rfind("lesson-2-", 0), 0u) << r.out;
  bool spiral = false;
  size_t column = std::string::npos;
  for (const auto& line : lines) {
    if (line.empty()) continue;
    spiral |= line.rfind("spiral-twins ", 0) == 0;
    const size_t summary = line.find_first_not_of(' ', line.find(' '));
    if (column == std::string::npos) column = summary;
    EXPECT_EQ(summary, column) << line;
  }
  EXPECT_TRUE(spiral) << r.out;
}

// Runs a bad command: it must exit non-zero without a crash and say one clear thing on stderr.
void expect_refused(const RunCli::Result& r, const std::vector<std::string>& mentions, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_FALSE(r.signaled) << "crashed: " << r.err;
  EXPECT_NE(r.code, 0);
  EXPECT_GT(r.code, 0) << "did not exit normally";
  EXPECT_EQ(lines_of(r.err), 1) << "expected one message on stderr, got:\n" << r.err;
  for (const auto& m : mentions) EXPECT_NE(r.err.find(m), std::string::npos) << "stderr lacks '" << m << "':\n" << r.err;
}

TEST_F(RunCli, BadConfigValuesAreRefusedWithOneMessage) {
  const std::string out = " --out '" + path("out") + "'";
  expect_refused(bnlab("run --preset spiral-twins --set optim.lrr=1" + out), {"optim.lrr", "lr"}, "unknown key");
  expect_refused(bnlab("run --preset spiral-twins --set optim.lr=0" + out), {"optim.lr=0", "(0, 100]"}, "lr = 0");
  expect_refused(bnlab("run --preset spiral-twins --set model.hidden=32,0" + out), {"model.hidden", "0"}, "width 0");
  expect_refused(bnlab("run --preset nope" + out), {"nope", "paper-fig1"}, "unknown preset");
  expect_refused(bnlab("run --preset spiral-twins --set optim.batch=5000" + out), {"optim.batch=5000", "2000"},
                 "batch larger than the data");
  expect_refused(bnlab("run --preset spiral-twins --set stats.probe_size=5000" + out),
                 {"stats.probe_size=5000", "1000"}, "probe set larger than the test set");
  expect_refused(bnlab("run --preset spiral-twins --set data.train_size=100000000" + out),
                 {"data.train_size=100000000", "100000000"}, "a synthetic set too large to make");
  EXPECT_FALSE(fs::exists(path("out") + "/metrics.csv")) << "a refused run must not leave output files";
}

// Option ranges are stated as a person would write them, not as 309-digit floating-point limits.
TEST_F(RunCli, OptionRangesAreStatedPlainly) {
  const Result r = bnlab("--frames 0");
  EXPECT_EQ(r.code, 105) << r.err;  // CLI11's code for a value out of range
  EXPECT_TRUE(r.err.find("--frames") != std::string::npos && r.err.find("not in range 1 to 1000000") != std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
}

TEST_F(RunCli, BadConfigFilesAreRefusedWithOneMessage) {
  const std::string out = " --out '" + path("out") + "'";
  const std::string bad = path("bad.json");
  std::ofstream(bad) << "{\n  \"seed\": 1,\n  \"steps\": ,\n}\n";
  expect_refused(bnlab("run --config '" + bad + "'" + out), {bad, "JSON"}, "malformed JSON");
  const std::string missing = path("missing.json");
  expect_refused(bnlab("run --config '" + missing + "'" + out), {missing}, "missing config file");
}

TEST_F(RunCli, MalformedJsonMessageGivesLineAndColumn) {
  const std::string bad = path("bad.json");
  std::ofstream(bad) << "{\n  \"seed\": 1,\n  \"steps\": ,\n}\n";
  const Result r = bnlab("run --config '" + bad + "' --out '" + path("out") + "'");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
}

TEST_F(RunCli, BadIdxDataIsRefusedNamingTheFile) {
  const std::string out = " --out '" + path("out") + "'";
  const std::string missing = path("nope-images.idx");
  auto idx_args = [&](const std::string& images) {
    return std::string(" --set data.kind=idx --set data.train_images='") + images + "' --set data.train_labels='" +
           images + "' --set data.test_images='" + images + "' --set data.test_labels='" + images + "'";
  };
  expect_refused(bnlab("run --preset spiral-twins" + idx_args(missing) + out), {missing}, "missing IDX file");
  const std::string garbled = path("garbled.idx");
  std::ofstream(garbled, std::ios::binary) << "this is not an IDX file at all";
  expect_refused(bnlab("run --preset spiral-twins" + idx_args(garbled) + out), {garbled}, "garbled IDX file");
  const std::string truncated = path("truncated.idx");
  std::ofstream(truncated, std::ios::binary) << std::string("\0\0\x08\x03\0\0\0\x0a\0\0\0\x1c\0\0\0\x1c\x01\x02", 18);
  expect_refused(bnlab("run --preset spiral-twins" + idx_args(truncated) + out), {truncated}, "truncated IDX file");
}

// Without the full MNIST, run and figure stop at once with one line: how to install it, and how
// to go on with the shipped subset; nothing is written.
TEST_F(RunCli, MissingFullMnistNamesTheInstallCommand) {
  const std::string env = "BNLAB_MNIST_DIR='" + path("no-mnist") + "' ";
  const std::vector<std::string> says = {"data.kind=mnist", "third_party/setup-debian.sh", "--set data.kind=mnist-10k"};
  expect_refused(shell(env + "\"$BNLAB\" run --preset paper-fig1 --set data.kind=mnist --out '" + path("out") + "'"),
                 says, "bnlab run");
  expect_refused(shell(env + "\"$BNLAB\" figure --preset paper-fig1 --set data.kind=mnist --set steps=10 --out '" +
                       path("fig.png") + "'"),
                 says, "bnlab figure");
  EXPECT_FALSE(fs::exists(path("out")));
  EXPECT_FALSE(fs::exists(path("fig.png")));
}

TEST_F(RunCli, PinnedTinyGammaRunsToTheEnd) {
  // γ pinned at 1e-39 (allowed: |γ| ≤ 1000) makes every BN unit's nonlinearity input spread over
  // ~1e-39: the snapshot statistics must cope with that, not crash the run.
  const Result r = bnlab("run --preset spiral-twins --set steps=10 --set bn.affine=frozen --set bn.gamma=1e-39 --out '" +
                         path("run") + "'");
  EXPECT_FALSE(r.signaled) << "crashed, exit status " << r.code;
  EXPECT_EQ(r.code, 0) << r.err;
}

// [SECTION] Parameter files

TEST_F(RunCli, SavedParamsStartANewRunWhereTheOldOneEnded) {
  const std::string params = path("params");
  const Result r1 = bnlab("run --preset spiral-twins --set steps=200 --set log_every=100 --set eval_every=100 "
                          "--save-params '" + params + "' --out '" + path("first") + "'");
  ASSERT_EQ(r1.code, 0) << r1.err;
  ASSERT_TRUE(fs::exists(params + "/baseline/layers.0.weight.npy"));
  ASSERT_TRUE(fs::exists(params + "/bn/layers.0.bn.running_var.npy"));

  const Result r2 = bnlab("run --preset spiral-twins --set steps=0 --init-params '" + params + "' --out '" +
                          path("second") + "'");
  ASSERT_EQ(r2.code, 0) << r2.err;
  const Csv m1 = read_csv(path("first") + "/metrics.csv");
  const Csv m2 = read_csv(path("second") + "/metrics.csv");
  ASSERT_EQ(m2.rows.size(), 2u);
  ASSERT_GE(m1.rows.size(), 2u);
  for (size_t n = 0; n < 2; ++n) {
    const auto& last = m1.rows[m1.rows.size() - 2 + n];
    const auto& start = m2.rows[n];
    ASSERT_EQ(last.at("step"), "200");
    ASSERT_EQ(start.at("step"), "0");
    ASSERT_EQ(last.at("network"), start.at("network"));
    EXPECT_EQ(start.at("test_acc"), last.at("test_acc")) << start.at("network");
    EXPECT_EQ(start.at("test_loss"), last.at("test_loss")) << start.at("network");
  }
  // The probe statistics of the loaded weights equal the saved run's last ones.
  const Csv l1 = read_csv(path("first") + "/layers.csv");
  const Csv l2 = read_csv(path("second") + "/layers.csv");
  ASSERT_EQ(l2.rows.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto& a = l1.rows[l1.rows.size() - 4 + i];
    const auto& b = l2.rows[i];
    for (const char* col : {"network", "layer", "p2", "p50", "p98", "unit_p50", "mean", "std", "saturation",
                            "weight_norm", "gamma_mean", "beta_std"})
      EXPECT_EQ(a.at(col), b.at(col)) << col << " row " << i;
  }
  // And they are not the initial weights: a fresh 0-step run measures something else.
  const Result r3 = bnlab("run --preset spiral-twins --set steps=0 --out '" + path("fresh") + "'");
  ASSERT_EQ(r3.code, 0) << r3.err;
  EXPECT_NE(read_csv(path("fresh") + "/metrics.csv").rows[0].at("test_loss"), m2.rows[0].at("test_loss"));
}

TEST_F(RunCli, WrongShapeParamsAreRefusedNamingTheTensor) {
  const std::string params = path("params");
  const Result r1 = bnlab("run --preset spiral-twins --set steps=0 --save-params '" + params + "' --out '" +
                          path("first") + "'");
  ASSERT_EQ(r1.code, 0) << r1.err;
  const std::string file = params + "/baseline/layers.0.weight.npy";
  ASSERT_TRUE(fs::exists(file));
  write_npy(file, {3, 32}, std::vector<float>(96, 0.5f));  // (in, out) instead of (out, in)
  const Result r2 = bnlab("run --preset spiral-twins --set steps=10 --init-params '" + params + "' --out '" +
                          path("second") + "'");
  expect_refused(r2, {"layers.0.weight", "baseline", "(3, 32)", "(32, 2)"}, "wrong shape");
  // A float64 file is refused too, naming it.
  const std::string gamma = params + "/bn/layers.1.bn.weight.npy";
  ASSERT_TRUE(fs::exists(gamma));
  std::string bytes = slurp(gamma);
  const auto pos = bytes.find("<f4");
  ASSERT_NE(pos, std::string::npos);
  bytes.replace(pos, 3, "<f8");
  write_npy(file, {32, 2}, std::vector<float>(64, 0.5f));
  std::ofstream(gamma, std::ios::binary | std::ios::trunc) << bytes;
  const Result r3 = bnlab("run --preset spiral-twins --set steps=10 --init-params '" + params + "' --out '" +
                          path("third") + "'");
  expect_refused(r3, {"layers.1.bn.weight"}, "wrong dtype");
}

// [SECTION] Ctrl-C

TEST_F(RunCli, InterruptStopsCleanlyAndKeepsTheFiles) {
  const std::string out = path("run");
  // SIGINT after one second into a run far too long to finish.
  const Result r = shell("\"$BNLAB\" run --preset spiral-twins --set steps=100000000 --set log_every=100 --out '" + out +
                         "' & pid=$!; sleep 1; kill -INT $pid; wait $pid");
  EXPECT_EQ(r.code, 130) << r.err;
  const std::string metrics = slurp(out + "/metrics.csv");
  ASSERT_FALSE(metrics.empty());
  EXPECT_EQ(metrics.back(), '\n') << "the last row is complete";
  const Csv m = read_csv(out + "/metrics.csv");
  ASSERT_GE(m.rows.size(), 4u) << "a second of training logs more than step 0";
  // The final row is the step where it stopped; train_loss.csv reaches that step.
  const Csv losses = read_csv(out + "/train_loss.csv");
  ASSERT_FALSE(losses.rows.empty());
  EXPECT_EQ(losses.rows.back().at("step"), m.rows.back().at("step"));
}

// [SECTION] A full disk, a second run into the same directory

// A second run into a directory a run is writing into is refused, naming the directory; the first
// run's files stay its own (config.json its settings, every row whole).
TEST_F(RunCli, ASecondRunIntoTheSameDirectoryIsRefused) {
  const std::string out = path("run");
  const Result r = shell("\"$BNLAB\" run --preset spiral-twins --set steps=100000000 --out '" + out +
                         "' >/dev/null 2>&1 & pid=$!; for i in $(seq 600); do [ -s '" + out +
                         "/layers.csv' ] && break; sleep 0.1; done; \"$BNLAB\" run --preset spiral-twins --set steps=100 --out '" +
                         out + "'; code=$?; kill -INT $pid; wait $pid; exit $code");
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--out " + out + ": another bnlab run is writing into this directory"), std::string::npos) << r.err;
  EXPECT_NE(slurp(out + "/config.json").find("\"steps\": 100000000"), std::string::npos);
  EXPECT_GE(read_csv(out + "/metrics.csv").rows.size(), 2u);  // read_csv checks every row's columns
  // Once the first run ended, the directory is free again.
  EXPECT_EQ(bnlab("run --preset spiral-twins --set steps=10 --out '" + out + "'").code, 0);
}

// A run whose files cannot be written fails naming the file, instead of reporting success. Here
// layers.csv is /dev/full, where every write fails with ENOSPC.
TEST_F(RunCli, AFileThatCannotBeWrittenFailsTheRun) {
  const std::string out = path("run");
  fs::create_directories(out);
  fs::create_symlink("/dev/full", out + "/layers.csv");
  const Result r = bnlab(std::string(kTiny) + " --out '" + out + "'");
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(out + "/layers.csv: cannot write: No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("trained"), std::string::npos) << r.out;
}

// A disk that fills mid-run: a 200 kB tmpfs (mounting needs root, as CI has). The run stops with
// exit code 2 naming the file that did not fit.
TEST_F(RunCli, ADiskThatFillsMidRunFailsTheRun) {
  const std::string disk = path("disk");
  fs::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=200k") != 0)
    GTEST_SKIP() << "cannot mount a small tmpfs (needs root): " << std::strerror(errno)
                 << "; AFileThatCannotBeWrittenFailsTheRun covers the check with /dev/full";
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount(dir.c_str()); }
  } unmount{disk};
  const std::string out = disk + "/run";
  const Result r = bnlab("run --preset spiral-twins --set steps=3000 --set log_every=50 --out '" + out + "'");
  EXPECT_FALSE(r.signaled) << r.err;
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(out + "/"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("trained"), std::string::npos) << r.out;
  EXPECT_NE(slurp(out + "/config.json").find("\"steps\": 3000"), std::string::npos);
}

}  // namespace
}  // namespace bnlab
