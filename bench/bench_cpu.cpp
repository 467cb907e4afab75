// bench_cpu.cpp — steps/s of the CPU reference on the paper network (784-100-100-100-10 sigmoid).
//
// Cases: batch 60 and 256 × no-BN and BN × statistics off and every 100 steps, one network,
// one thread. The cases run interleaved, round after round, so that a noisy neighbour on this
// shared machine slows them all alike; the table reports the median round.
//
//   ./build/bench_cpu [rounds=5] [csv=bench/results/cpu.csv]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/run.h"
#include "core/trainer.h"

using namespace bnlab;

namespace {

struct Case {
  int batch;
  bool bn;
  int64_t log_every;  // 0 = statistics off
  std::vector<double> rates;
};

double measure(const DataSplit& data, const Case& c) {
  RunConfig cfg = build_config("paper-fig1", "", {});
  cfg.batch = c.batch;
  cfg.networks.resize(1);
  cfg.networks[0].model.norm.assign(3, c.bn ? Norm::Batch : Norm::None);
  const int64_t steps = c.batch == 60 ? 3000 : 800;
  auto trainer = make_cpu_trainer(cfg, data);
  trainer->train(50);  // warm caches and allocator
  const auto t0 = std::chrono::steady_clock::now();
  if (c.log_every == 0) {
    trainer->train(steps);
  } else {
    for (int64_t done = 0; done < steps; done += c.log_every) {
      trainer->train(c.log_every);
      trainer->request_snapshot(false);
      trainer->poll_snapshot(true);
    }
  }
  trainer->take_losses();
  return static_cast<double>(steps) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 5;
  const std::string csv = argc > 2 ? argv[2] : "bench/results/cpu.csv";
  const DataSplit data = load_data(build_config("paper-fig1", "", {}).data, 1);

  std::vector<Case> cases;
  for (int batch : {60, 256})
    for (bool bn : {false, true})
      for (int64_t log_every : {0, 100}) cases.push_back({batch, bn, log_every, {}});
  for (int r = 0; r < rounds; ++r)
    for (auto& c : cases) c.rates.push_back(measure(data, c));

  std::filesystem::create_directories(std::filesystem::path(csv).parent_path());
  FILE* f = std::fopen(csv.c_str(), "w");
  if (f) std::fprintf(f, "batch,bn,stats_every,median_steps_per_s,min,max,rounds\n");
  std::printf("CPU reference, paper network, 1 thread, %d rounds (median [min–max] steps/s)\n", rounds);
  std::printf("  batch  BN   stats       steps/s\n");
  for (auto& c : cases) {
    std::sort(c.rates.begin(), c.rates.end());
    const double med = c.rates[c.rates.size() / 2];
    std::printf("  %5d  %-3s  %-9s  %7.0f  [%.0f–%.0f]\n", c.batch, c.bn ? "yes" : "no",
                c.log_every ? "every 100" : "off", med, c.rates.front(), c.rates.back());
    if (f)
      std::fprintf(f, "%d,%d,%lld,%.1f,%.1f,%.1f,%d\n", c.batch, c.bn, static_cast<long long>(c.log_every), med,
                   c.rates.front(), c.rates.back(), rounds);
  }
  if (f) std::fclose(f);
  std::printf("written: %s\n", csv.c_str());
}
