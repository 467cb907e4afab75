// test_history_export.cpp — the CSV and JSON of every series hold exactly what the history holds:
// each bucket's step and value (bit for bit through the shortest decimal), lo/hi only where a
// bucket is decimated, histogram shares with their bin edges, per-unit values; a file that cannot
// be written is reported by name and leaves nothing.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/lab_session.h"
#include "core/series_export.h"
#include "tests/test_util.h"

namespace bnlab {
namespace {

RunConfig twins() {
  return resolve_config(nlohmann::json::parse(R"({
    "seed": 2, "backend": "cpu",
    "data": {"kind": "spiral", "classes": 3, "noise": 0.05, "train_size": 600, "test_size": 300},
    "model": {"hidden": [12, 12], "activation": "tanh"},
    "optim": {"lr": 0.1, "batch": 32},
    "log_every": 1, "eval_every": 100,
    "stats": {"probe_size": 100, "bins": 8},
    "networks": [{"name": "plain", "model": {"norm": "none"}}, {"name": "bn", "model": {"norm": "batch"}}]
  })"));
}

// 1,500 steps logged every step: layer series (1,024 buckets) are decimated, the loss is not.
struct Trained {
  RunConfig cfg = twins();
  std::shared_ptr<const LabState> state;
  Trained() {
    LabSession lab(cfg, false);
    lab.step(1500);
    lab.wait_idle();
    state = lab.state();
  }
};
const Trained& trained() {
  static const Trained t;
  return t;
}

struct Row {
  std::string net, layer, series, index, step, value, lo, hi, samples;
};

std::vector<Row> parse_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "network,layer,series,index,step,value,lo,hi,samples");
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    if (!line.empty() && line.back() == ',') f.push_back("");
    EXPECT_EQ(f.size(), 9u) << line;
    if (f.size() == 9) rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]});
  }
  return rows;
}

// The rows of one series, in file order.
std::vector<Row> rows_of(const std::vector<Row>& rows, const std::string& net, const std::string& layer,
                         const std::string& series) {
  std::vector<Row> out;
  for (const Row& r : rows)
    if (r.net == net && r.layer == layer && r.series == series) out.push_back(r);
  return out;
}

bool same_float(const std::string& cell, float v) {
  if (std::isnan(v)) return cell.empty();
  const float f = std::strtof(cell.c_str(), nullptr);
  return std::memcmp(&f, &v, sizeof f) == 0;
}

void expect_rows_match(const std::vector<Row>& rows, const Series& s, const std::string& what) {
  ASSERT_EQ(rows.size(), static_cast<size_t>(s.size())) << what;
  for (int i = 0; i < s.size(); ++i) {
    const Row& r = rows[i];
    EXPECT_EQ(std::strtod(r.step.c_str(), nullptr), s.x()[i]) << what << " bucket " << i;
    EXPECT_TRUE(same_float(r.value, s.mean()[i])) << what << " bucket " << i << ": " << r.value;
    EXPECT_EQ(r.samples, std::to_string(s.samples(i))) << what;
    if (s.samples(i) > 1) {
      EXPECT_TRUE(same_float(r.lo, s.lo()[i])) << what;
      EXPECT_TRUE(same_float(r.hi, s.hi()[i])) << what;
    } else {
      EXPECT_TRUE(r.lo.empty() && r.hi.empty()) << what << ": a raw sample has no lo/hi";
    }
  }
}

TEST(HistoryExport, CsvHoldsEverySeriesAsTheHistoryDoes) {
  const Trained& t = trained();
  const RunHistory& h = t.state->history;
  const NetworkHistory& bn = h.networks()[1];
  ASSERT_GT(bn.layers[1].pct[3].stride(), 1) << "the test needs decimated buckets";
  const std::vector<Row> rows = parse_csv(series_csv(t.cfg, h));

  expect_rows_match(rows_of(rows, "plain", "", "train_loss"), h.networks()[0].train_loss, "plain train_loss");
  expect_rows_match(rows_of(rows, "bn", "", "test_acc"), bn.test_acc, "bn test_acc");
  expect_rows_match(rows_of(rows, "bn", "2", "p85"), bn.layers[1].pct[3], "bn layer 2 p85");
  expect_rows_match(rows_of(rows, "bn", "1", "unit_p15"), bn.layers[0].unit_pct[1], "bn layer 1 unit_p15");
  expect_rows_match(rows_of(rows, "plain", "2", "update_ratio"), h.networks()[0].layers[1].update_ratio, "update_ratio");
  expect_rows_match(rows_of(rows, "bn", "1", "gamma_std"), bn.layers[0].gamma_std, "gamma_std");
  // The meters: network-wide, and ICS for the hidden layers and the output layer (layer 3).
  ASSERT_FALSE(bn.beta_smooth.empty());
  expect_rows_match(rows_of(rows, "bn", "", "beta_smooth"), bn.beta_smooth, "bn beta_smooth");
  expect_rows_match(rows_of(rows, "plain", "", "gradpred_max"), h.networks()[0].gradpred_max, "plain gradpred_max");
  expect_rows_match(rows_of(rows, "bn", "3", "ics_l2"), bn.ics[2].l2, "bn output layer ics_l2");
  expect_rows_match(rows_of(rows, "plain", "2", "ics_cos"), h.networks()[0].ics[1].cos, "plain layer 2 ics_cos");
  // Every series of every layer is there, for both networks.
  for (const char* name : {"p2", "p50", "p98", "unit_p98", "mean", "std", "saturation", "grad_norm", "weight_norm",
                           "update_ratio", "gamma_mean", "gamma_std", "beta_mean", "beta_std"})
    for (const char* layer : {"1", "2"}) EXPECT_FALSE(rows_of(rows, "plain", layer, name).empty()) << name;

  // The latest histogram: one row per bin, shares of the probe values, bins edge to edge.
  const Histogram& hist = bn.latest.layers[0].hist[kTapNonlinIn];
  const std::vector<Row> bins = rows_of(rows, "bn", "1", "hist.nonlin_in");
  ASSERT_EQ(bins.size(), hist.counts.size());
  double total = hist.underflow + hist.overflow, shares = 0;
  for (uint32_t c : hist.counts) total += c;
  for (size_t k = 0; k < bins.size(); ++k) {
    EXPECT_EQ(bins[k].index, std::to_string(k));
    EXPECT_EQ(bins[k].step, std::to_string(bn.latest_step));
    EXPECT_NEAR(std::stod(bins[k].value), hist.counts[k] / total, 1e-6);
    if (k > 0) {
      EXPECT_EQ(bins[k].lo, bins[k - 1].hi);
    }
    shares += std::stod(bins[k].value);
  }
  EXPECT_NEAR(std::stod(bins.front().lo), hist.lo, 1e-6);
  EXPECT_NEAR(std::stod(bins.back().hi), hist.hi, 1e-6);
  EXPECT_NEAR(shares, (total - hist.underflow - hist.overflow) / total, 1e-5);

  // The heatmap over time: columns × bins rows.
  const HistogramTrack& track = bn.layers[0].hist[kTapOutput];
  EXPECT_EQ(rows_of(rows, "bn", "1", "hist_track.output").size(), static_cast<size_t>(track.columns() * track.bins()));

  // Per unit: γ of every unit of a BN layer; none for the plain network.
  const std::vector<Row> gamma = rows_of(rows, "bn", "2", "gamma");
  ASSERT_EQ(gamma.size(), 12u);
  for (size_t u = 0; u < gamma.size(); ++u) EXPECT_TRUE(same_float(gamma[u].value, bn.units[1].gamma[u]));
  EXPECT_TRUE(rows_of(rows, "plain", "2", "gamma").empty());
  EXPECT_EQ(rows_of(rows, "bn", "1", "running_var").size(), 12u);
}

TEST(HistoryExport, JsonHoldsTheSameSeries) {
  const Trained& t = trained();
  const RunHistory& h = t.state->history;
  const nlohmann::json j = series_json(t.cfg, h);
  EXPECT_EQ(j["format"], "bnlab-data");
  EXPECT_EQ(j["config"], to_json(t.cfg));
  ASSERT_EQ(j["networks"].size(), 2u);
  EXPECT_EQ(j["networks"][1]["name"], "bn");
  const nlohmann::json& p85 = j["networks"][1]["layers"][1]["series"]["p85"];
  const Series& s = h.networks()[1].layers[1].pct[3];
  ASSERT_EQ(p85["value"].size(), static_cast<size_t>(s.size()));
  for (int i = 0; i < s.size(); ++i) {
    EXPECT_EQ(p85["step"][i].get<double>(), s.x()[i]);
    EXPECT_EQ(p85["value"][i].get<float>(), s.mean()[i]);
    EXPECT_EQ(p85["lo"][i].get<float>(), s.lo()[i]);
    EXPECT_EQ(p85["samples"][i].get<int64_t>(), s.samples(i));
  }
  const nlohmann::json& loss = j["networks"][0]["series"]["train_loss"];
  EXPECT_EQ(loss["value"].size(), static_cast<size_t>(h.networks()[0].train_loss.size()));
  EXPECT_EQ(j["networks"][1]["layers"][0]["units"]["gamma"].size(), 12u);
  EXPECT_EQ(j["networks"][1]["series"]["loss_max"]["value"].size(), static_cast<size_t>(h.networks()[1].loss_max.size()));
  ASSERT_EQ(j["networks"][1]["ics"].size(), 3u);
  EXPECT_EQ(j["networks"][1]["ics"][2]["layer"], 3);
  EXPECT_EQ(j["networks"][1]["ics"][2]["series"]["ics_rel"]["value"].size(), static_cast<size_t>(h.networks()[1].ics[2].rel.size()));
  EXPECT_EQ(j["networks"][1]["layers"][0]["histograms"]["output"]["shares"].size(), 8u);
  // Shortest decimals: 0.1f is written 0.1, not 0.100000001490116.
  EXPECT_EQ(json_float(0.1f).dump(), "0.1");
  EXPECT_TRUE(json_float(kNaN).is_null());
}

TEST(HistoryExport, UnwritablePathIsReportedAndLeavesNothing) {
  const Trained& t = trained();
  const std::string path = "/proc/bnlab-data.csv";
  EXPECT_TRUE(Contains(error_of([&] { save_series_csv(path, t.cfg, t.state->history); }), path));
  EXPECT_TRUE(Contains(error_of([&] { save_series_json("/nonexistent-bnlab/x.json", t.cfg, t.state->history); }),
                       "/nonexistent-bnlab/x.json"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace bnlab
