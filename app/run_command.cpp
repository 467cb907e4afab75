// run_command.cpp — `bnlab run` and `bnlab presets`.
//
// [SECTION] Progress and Ctrl-C
// [SECTION] Summary
// [SECTION] The command

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <set>

#include "app/commands.h"
#include "core/backend.h"
#include "core/dataset.h"
#include "core/lessons.h"
#include "core/param_files.h"
#include "core/run.h"
#include "core/run_writer.h"
#include "core/speedup.h"
#include "core/trainer.h"

namespace bnlab {

// [SECTION] Progress and Ctrl-C

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_sigint(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// A progress bar on a terminal; a line every few seconds in a log.
void print_progress(int64_t done, int64_t total, double rate) {
  static const bool tty = isatty(STDERR_FILENO);
  static double last_line = -1;
  static int64_t last_done = -1;
  if (done == last_done) return;
  last_done = done;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1;
  if (tty) {
    char bar[31];
    const int filled = static_cast<int>(frac * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    std::fprintf(stderr, "\r[%s] %lld/%lld steps  %.0f steps/s  ETA %.0fs   ", bar, static_cast<long long>(done),
                 static_cast<long long>(total), rate, eta);
    if (done == total) std::fputc('\n', stderr);
  } else if (done == total || frac - last_line >= 0.1) {
    std::fprintf(stderr, "%lld/%lld steps  %.0f steps/s  ETA %.0fs\n", static_cast<long long>(done),
                 static_cast<long long>(total), rate, eta);
    last_line = frac;
  }
}

// [SECTION] Summary

// `train_examples`: the size of the training set, which caps the subset train accuracy is measured on.
void print_accuracy_table(const RunConfig& cfg, const RunSummary& s, int train_examples) {
  std::vector<const StepStats*> evals;
  for (const auto& snap : s.snapshots)
    if (snap.networks[0].has_eval) evals.push_back(&snap);
  if (evals.empty()) return;
  // The paper's milestones when the run reaches them, else five evenly spaced evaluations.
  std::set<const StepStats*> shown;
  for (int64_t m : {1000, 5000, 10000, 50000})
    for (const StepStats* e : evals)
      if (e->step == m) shown.insert(e);
  if (shown.size() < 3)
    for (size_t k = 0; k < 5; ++k) shown.insert(evals[k * (evals.size() - 1) / 4]);
  shown.insert(evals.back());
  std::vector<const StepStats*> cols(shown.begin(), shown.end());
  std::sort(cols.begin(), cols.end(), [](auto* a, auto* b) { return a->step < b->step; });

  const auto table = [&](const char* title, float NetworkStats::*acc) {
    std::printf("\n%s\n  %-14s", title, "step");
    for (auto* c : cols) std::printf("%9lld", static_cast<long long>(c->step));
    std::printf("\n");
    for (size_t n = 0; n < cfg.networks.size(); ++n) {
      std::printf("  %-14s", cfg.networks[n].name.c_str());
      for (auto* c : cols) std::printf("%9.4f", static_cast<double>(c->networks[n].*acc));
      const int64_t div = s.snapshots.back().networks[n].diverged_at;
      if (div >= 0) std::printf("   diverged at step %lld", static_cast<long long>(div));
      std::printf("\n");
    }
  };
  table("test accuracy (eval mode)", &NetworkStats::test_acc);
  char title[96];
  std::snprintf(title, sizeof title, "train accuracy (eval mode, the first %d training examples)",
                std::min(cfg.eval_train_size, train_examples));
  table(title, &NetworkStats::train_acc);
}

// "bn reached baseline's final test accuracy at step N: k× fewer steps" for every ordered pair.
void print_speedups(const RunConfig& cfg, const std::vector<PairSpeedup>& pairs, const Chance& chance) {
  if (pairs.empty()) return;
  std::printf("\nspeed-up (test accuracy as the mean of the last %d evaluations; the reference's final value as the target)\n",
              kSpeedupWindow);
  for (const PairSpeedup& p : pairs) {
    const std::string& ref = cfg.networks[p.reference].name;
    const std::string& other = cfg.networks[p.other].name;
    if (p.s.at_chance)
      std::printf("  %s: %s never learned (%.4f, chance %.4f): no speed-up to measure\n", other.c_str(), ref.c_str(),
                  p.s.target, chance.accuracy);
    else if (p.s.reference_step < 0)
      std::printf("  %s: %s has no final accuracy to reach\n", other.c_str(), ref.c_str());
    else if (!p.s.reached())
      std::printf("  %s did not reach %s's final test accuracy %.4f (%s: step %lld)\n", other.c_str(), ref.c_str(),
                  p.s.target, ref.c_str(), static_cast<long long>(p.s.reference_step));
    else
      std::printf("  %s reached %s's final test accuracy %.4f at step %lld (%s: step %lld): %.1f× fewer steps\n",
                  other.c_str(), ref.c_str(), p.s.target, static_cast<long long>(p.s.step), ref.c_str(),
                  static_cast<long long>(p.s.reference_step), p.s.factor);
  }
}

// The paper's Figure 1b/c in numbers: the typical unit of the last hidden layer.
void print_typical_unit(const RunConfig& cfg, const RunSummary& s) {
  if (s.snapshots.size() < 2) return;
  std::printf("\ntypical unit %d of the last hidden layer: 15/50/85th percentiles of its nonlinearity input\n",
              cfg.stats.typical_unit);
  std::printf("  %-14s %-24s %-24s %s\n", "network", "first logged step", "end", "range over training");
  for (size_t n = 0; n < cfg.networks.size(); ++n) {
    // From the first logged step after 0: step 0 shows the initialization, not training.
    const auto& first = s.snapshots[1].networks[n].layers.back().unit_pct;
    const auto& last = s.snapshots.back().networks[n].layers.back().unit_pct;
    float lo[3] = {1e30f, 1e30f, 1e30f}, hi[3] = {-1e30f, -1e30f, -1e30f};
    for (size_t k = 1; k < s.snapshots.size(); ++k)
      for (int p = 0; p < 3; ++p) {
        const float v = s.snapshots[k].networks[n].layers.back().unit_pct[p + 1];
        lo[p] = std::min(lo[p], v);
        hi[p] = std::max(hi[p], v);
      }
    char a[64], b[64];
    std::snprintf(a, sizeof a, "%+.2f %+.2f %+.2f", static_cast<double>(first[1]), static_cast<double>(first[2]),
                  static_cast<double>(first[3]));
    std::snprintf(b, sizeof b, "%+.2f %+.2f %+.2f", static_cast<double>(last[1]), static_cast<double>(last[2]),
                  static_cast<double>(last[3]));
    std::printf("  %-14s %-24s %-24s %.2f %.2f %.2f\n", cfg.networks[n].name.c_str(), a, b,
                static_cast<double>(hi[0] - lo[0]), static_cast<double>(hi[1] - lo[1]),
                static_cast<double>(hi[2] - lo[2]));
  }
}

// The "why BN works" meters (core/landscape.h) in numbers: per network, the median over every
// measurement of the run (single measurements are noisy: one mini-batch each).
void print_meters(const RunConfig& cfg, const RunSummary& s) {
  if (s.landscape.empty()) return;
  auto median = [&](size_t n, auto value) {
    std::vector<float> v;
    for (const LandscapeStats& m : s.landscape)
      if (m.networks[n].measured && std::isfinite(value(m.networks[n]))) v.push_back(value(m.networks[n]));
    if (v.empty()) return std::nan("");
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return static_cast<double>(v[v.size() / 2]);
  };
  size_t layers = 0;
  for (const auto& n : s.landscape[0].networks) layers = std::max(layers, n.ics.size());
  std::printf("\nwhy BN works (Santurkar et al. 2018): medians over %zu measurements, steps %lld to %lld\n",
              s.landscape.size(), static_cast<long long>(s.landscape.front().step),
              static_cast<long long>(s.landscape.back().step));
  std::printf("  %-14s %10s %10s %10s", "network", "loss_var", "gradpred", "beta");
  auto layer = [&](size_t l) { return l + 1 == layers ? std::string("out") : std::to_string(l + 1); };
  for (size_t l = 1; l < layers; ++l) std::printf(" %10s", ("ics_l2@" + layer(l)).c_str());
  for (size_t l = 1; l < layers; ++l) std::printf(" %11s", ("ics_cos@" + layer(l)).c_str());
  std::printf("\n");
  for (size_t n = 0; n < cfg.networks.size(); ++n) {
    std::printf("  %-14s %10.4g %10.4g %10.4g", cfg.networks[n].name.c_str(),
                median(n, [](const NetworkLandscape& x) { return x.loss_max() - x.loss_min(); }),
                median(n, [](const NetworkLandscape& x) { return x.gradpred_max(); }),
                median(n, [](const NetworkLandscape& x) { return x.beta_smooth; }));
    for (size_t l = 1; l < layers; ++l)
      std::printf(" %10.4g", median(n, [l](const NetworkLandscape& x) { return l < x.ics.size() ? x.ics[l].l2 : kNaN; }));
    for (size_t l = 1; l < layers; ++l)
      std::printf(" %11.4f", median(n, [l](const NetworkLandscape& x) { return l < x.ics.size() ? x.ics[l].cos : kNaN; }));
    std::printf("\n");
  }
  std::printf("  loss_var = max − min of L(θ − ηg) over η; gradpred = max ‖∇L(θ) − ∇L(θ − ηg)‖; beta = effective "
              "β-smoothness; ics_* per layer (landscape.csv has every value)\n");
}

std::string default_out_dir(const RunArgs& a) {
  if (!a.config_file.empty()) return "runs/" + std::filesystem::path(a.config_file).stem().string();
  return "runs/" + (a.preset.empty() ? std::string("paper-fig1") : a.preset);
}

}  // namespace

// [SECTION] The command

int run_command(const RunArgs& args) {
  try {
    std::vector<std::string> sets = args.sets;
    if (!args.backend.empty()) sets.push_back("backend=" + args.backend);
    const RunConfig cfg = build_config(args.preset, args.config_file, sets);
    const DataSplit data = load_data(cfg.data, cfg.seed);
    const std::string out = args.out_dir.empty() ? default_out_dir(args) : args.out_dir;

    std::string why;
    std::unique_ptr<Trainer> trainer = make_trainer(cfg, data, &why);
    std::vector<NetworkParams> init;  // (networks) from --init-params; empty: the seed's
    if (!args.init_params.empty()) {
      init = load_run_params(args.init_params, cfg.networks, data.train.dim, data.train.classes);
      for (int n = 0; n < trainer->network_count(); ++n) trainer->set_params(n, init[n]);
    }

    std::fprintf(stderr, "bnlab run → %s\n  data: %s\n  backend: %s%s%s\n  %zu network(s), %lld steps, batch %d\n",
                 out.c_str(), data.description.c_str(), trainer->backend_name().c_str(), why.empty() ? "" : " — ",
                 why.c_str(), cfg.networks.size(), static_cast<long long>(cfg.steps), cfg.batch);
    for (const NetworkConfig& n : cfg.networks) std::fprintf(stderr, "    %s\n", describe_network(n).c_str());

    if (!args.save_params.empty()) {
      // Found out now, not after a long run whose result would then be lost.
      std::error_code ec;
      std::filesystem::create_directories(args.save_params, ec);
      if (ec) throw std::runtime_error("--save-params " + args.save_params + ": cannot create the directory: " + ec.message());
    }
    RunWriter writer(out, cfg);
    std::signal(SIGINT, on_sigint);
    RunOptions opt;
    opt.stop = &g_stop;
    opt.progress = print_progress;
    opt.writer = &writer;
    // A GPU lost mid-run: the same run on the CPU reference, from the same starting point.
    opt.gpu_fallback = [&] {
      std::unique_ptr<Trainer> cpu = make_cpu_trainer(cfg, data);
      for (size_t n = 0; n < init.size(); ++n) cpu->set_params(static_cast<int>(n), init[n]);
      return cpu;
    };
    opt.message = [](const std::string& m) { std::fprintf(stderr, "\n%s\n", m.c_str()); };
    const RunSummary summary = run_training(*trainer, cfg, opt);
    writer.close();  // throws if the last rows did not reach the disk: then the run failed
    if (summary.fallback) trainer.reset();  // the GPU's; the run ended on summary.fallback
    Trainer& finished = summary.fallback ? *summary.fallback : *trainer;
    std::signal(SIGINT, SIG_DFL);
    const Chance chance = chance_of(data.test.y);
    const std::vector<PairSpeedup> pairs = all_speedups(summary.snapshots, static_cast<int>(cfg.networks.size()), chance);
    writer.write_speedups(pairs, chance);

    if (!args.save_params.empty()) {
      std::vector<NetworkParams> params;
      std::vector<std::string> names;
      for (int n = 0; n < finished.network_count(); ++n) {
        params.push_back(finished.params(n));
        names.push_back(cfg.networks[n].name);
      }
      save_run_params(args.save_params, names, params);
    }

    std::printf("%s %lld steps in %.1f s (%.0f steps/s for all %zu networks together)\n",
                summary.stopped ? "stopped after" : "trained", static_cast<long long>(summary.steps_done),
                summary.seconds, static_cast<double>(summary.steps_done) / summary.seconds, cfg.networks.size());
    print_accuracy_table(cfg, summary, data.train.size());
    print_speedups(cfg, pairs, chance);
    print_typical_unit(cfg, summary);
    print_meters(cfg, summary);
    std::printf("\nfiles: %s/{config.json,metrics.csv,train_loss.csv,layers.csv,histograms.csv,speedup.csv%s}\n", out.c_str(),
                cfg.landscape.every > 0 ? ",landscape.csv" : "");
    return summary.stopped ? 130 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnlab run: %s\n", e.what());
    return 2;
  }
}

int presets_command() {
  // The lessons in their order (lesson 1 is paper-fig1), then the other presets by name.
  std::vector<std::pair<int, PresetInfo>> numbered;  // (lesson number, or INT_MAX for none; preset)
  for (PresetInfo& p : list_presets()) {
    const std::optional<Lesson> l = lesson_of(p.name);
    numbered.emplace_back(l ? l->number : INT_MAX, std::move(p));
  }
  std::stable_sort(numbered.begin(), numbered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  int width = 0;
  for (const auto& [number, p] : numbered) width = std::max(width, static_cast<int>(p.name.size()));
  for (const auto& [number, p] : numbered) std::printf("%-*s  %s\n", width, p.name.c_str(), p.summary.c_str());
  return 0;
}

}  // namespace bnlab
