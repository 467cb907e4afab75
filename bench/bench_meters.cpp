// bench_meters.cpp — what the "why BN works" meters (core/landscape.h) cost in training
// throughput: the paper-fig1 twins (784-100-100-100-10 sigmoid, no BN and BN, batch 60) on the
// shipped MNIST subset, meters every 100 steps with the default multipliers against meters off.
//
// Cases: the CPU reference on one thread (the lab's share of this 2-core machine: cores − 1) and on
// every core, and the GPU engine when a GL 4.3 context is available (it reads the parameters back
// and measures on the CPU). For each case two trainers, meters on and off, train in alternating
// blocks (CPU: 500 steps, GPU: 100 steps; every block holds the same number of measurements), so
// that both see the same moments of a shared machine. A round's ratio is the median block rate
// with the meters on over the median with them off; the table gives the medians over rounds, and
// the cost is 1 − that ratio. Pure training: no statistics, no evaluation (they would dilute the
// cost). The machine and the load average before and after are written with the figures.
//
//   ./build/bench_meters [rounds=5] [out=bench/results/meters]   → out.txt (this table) and out.csv

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_timing.h"
#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/gpu_trainer.h"
#include "core/run.h"
#include "core/trainer.h"

using namespace bnlab;
using namespace bnlab::bench;

namespace {

struct Case {
  std::string backend;  // cpu | gpu
  int threads = 1;      // cpu only
  int64_t block = 500;  // steps per block
  int blocks = 8;       // blocks per trainer and round
  std::vector<double> on = {}, off = {}, ratio = {}, cpu_ratio = {};  // per round: steps/s on, off; on/off by wall and CPU time
};

std::unique_ptr<Trainer> make(const Case& c, const DataSplit& data, int64_t every) {
  RunConfig cfg = build_config("paper-fig1", "", {"threads=" + std::to_string(c.threads), "data.kind=mnist-10k"});
  cfg.landscape.every = every;
  if (c.backend == "gpu") return make_gpu_trainer(cfg, data);
  return make_cpu_trainer(cfg, data);
}

// One round of case c: both trainers from step 0, warmed by one block each, then alternating.
void round(Case& c, const DataSplit& data) {
  std::unique_ptr<Trainer> on = make(c, data, 100), off = make(c, data, 0);
  std::vector<double> wall[2], cpu[2];
  for (int b = -1; b < c.blocks; ++b) {
    int k = 0;
    for (Trainer* t : {on.get(), off.get()}) {
      // take_losses waits for a GPU trainer's queued steps.
      const Rate r = time_it(static_cast<double>(c.block), [&] {
        t->train(c.block);
        t->take_losses();
      });
      t->take_landscape();
      if (b >= 0) {
        wall[k].push_back(r.wall);
        cpu[k].push_back(r.cpu);
      }
      ++k;
    }
  }
  c.on.push_back(median(wall[0]));
  c.off.push_back(median(wall[1]));
  c.ratio.push_back(median(wall[0]) / median(wall[1]));
  c.cpu_ratio.push_back(median(cpu[0]) / median(cpu[1]));
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 5;
  const std::string out = argc > 2 ? argv[2] : "bench/results/meters";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string load_before = load_average();

  const RunConfig probe = build_config("paper-fig1", "", {"data.kind=mnist-10k"});
  const DataSplit data = load_data(probe.data, probe.seed);

  std::vector<Case> cases = {{"cpu", 1}};
  if (cores > 1) cases.push_back({"cpu", cores});
  std::string renderer;
  try {
    renderer = GlContext().renderer();
    cases.push_back({"gpu", 1, 100, 4});
  } catch (const GpuError& e) {
    std::fprintf(stderr, "bench_meters: the GPU engine skipped: %s\n", e.what());
  }

  for (int r = 0; r < rounds; ++r) {
    for (Case& c : cases) round(c, data);
    std::fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
  }

  std::string text;
  char line[512];
  auto put = [&](const char* s) {
    text += s;
    std::fputs(s, stdout);
  };
  std::snprintf(line, sizeof line, "bench_meters: %s, %d cores; %d rounds, medians; load average before %s, after %s\n",
                cpu_model().c_str(), cores, rounds, load_before.c_str(), load_average().c_str());
  put(line);
  put("paper-fig1 twins, batch 60, shipped MNIST subset; meters every 100 steps, multipliers 0.25,0.5,1,2,4\n");
  if (!renderer.empty()) {
    std::snprintf(line, sizeof line, "GL renderer: %s\n", renderer.c_str());
    put(line);
  }
  put("  backend  threads  steps/s off  steps/s on  on/off  cost   on/off per CPU-s\n");
  for (const Case& c : cases) {
    const double ratio = median(c.ratio);
    std::snprintf(line, sizeof line, "  %-7s  %7s  %11.1f  %10.1f  %6.3f  %4.1f%%  %16.3f\n", c.backend.c_str(),
                  c.backend == "gpu" ? "-" : std::to_string(c.threads).c_str(), median(c.off), median(c.on), ratio,
                  100 * (1 - ratio), median(c.cpu_ratio));
    put(line);
  }

  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream txt(out + ".txt"), csv(out + ".csv");
  txt << text;
  csv << "backend,threads,round,steps_per_s_off,steps_per_s_on,ratio,cpu_ratio\n";
  for (const Case& c : cases)
    for (size_t r = 0; r < c.ratio.size(); ++r)
      csv << c.backend << ',' << c.threads << ',' << r << ',' << c.off[r] << ',' << c.on[r] << ',' << c.ratio[r] << ','
          << c.cpu_ratio[r] << '\n';
  txt.close();
  csv.close();
  if (!txt || !csv) {
    std::fprintf(stderr, "bench_meters: could not write %s.txt / %s.csv\n", out.c_str(), out.c_str());
    return 1;
  }
  std::printf("written: %s.txt, %s.csv\n", out.c_str(), out.c_str());
}
