// bench_cpu.cpp — the CPU reference on the paper network (784-100-100-100-10 sigmoid, batch 60):
// threads, networks and the sparse first layer.
//
// [SECTION] Cases
// [SECTION] The yardstick: a hand-written one-thread Eigen loop
// [SECTION] Report
//
// 1. Threads: 1, 2 and 6 networks (paper-fig1's twins: no BN and BN alternating) on 1 … cores
//    threads, with and without the sparse first layer, statistics every 100 steps and evaluation
//    every 500 as `bnlab run` does; network-steps/s and the ratio to one thread.
// 2. The yardstick: the same network trained by a plain one-thread Eigen loop (no statistics, no
//    BN), what one core gives when nothing else is done.
// 3. The sparse first layer on the shipped MNIST subset, the full MNIST (when installed),
//    Fashion-MNIST and a dense synthetic set (blobs in 784 dimensions): one network, one thread,
//    statistics off, on and off in alternating blocks of 100 steps.
// All cases run interleaved, round after round, so that a busy neighbour on a shared machine slows
// them alike; ratios are taken within a round and the table gives medians over the rounds. The
// machine (CPU model, cores) and the load average before and after are written with the figures.
// Beside the wall-clock rate each case also gives network-steps per second of the process's CPU
// time: on a loaded machine that still shows the work a step costs (the sparse layer's gain, the
// pool's overhead), though not how far threads overlap.
//
//   ./build/bench_cpu [rounds=5] [out=bench/results/cpu]   → out.txt (this table) and out.csv

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <Eigen/Dense>

#include "bench/bench_timing.h"
#include "core/dataset.h"
#include "core/run.h"
#include "core/trainer.h"

using namespace bnlab;
using namespace bnlab::bench;

namespace {

// [SECTION] Cases

struct Case {
  std::string section;  // "threads", "yardstick", "sparse"
  std::string data;     // mnist-10k | mnist | fashion-mnist | blobs
  int networks = 1;
  int threads = 1;
  bool sparse = true;
  bool run_like = true;  // statistics every 100 and evaluation every 500, as bnlab run
  std::vector<double> net_steps = {};  // network-steps/s per round
  std::vector<double> cpu_steps = {};  // network-steps per CPU second, per round
};

RunConfig config_for(const Case& c) {
  std::vector<std::string> sets = {"threads=" + std::to_string(c.threads), "data.kind=" + c.data};
  if (c.data == "blobs") {
    for (const char* s : {"data.dim=784", "data.classes=10", "data.train_size=8000", "data.test_size=2000"})
      sets.push_back(s);
  }
  RunConfig cfg = build_config("paper-fig1", "", sets);
  const NetworkConfig twin[2] = {cfg.networks[0], cfg.networks[1]};
  cfg.networks.clear();
  for (int n = 0; n < c.networks; ++n) {
    cfg.networks.push_back(twin[n % 2]);
    cfg.networks.back().name = "net" + std::to_string(n);
  }
  return cfg;
}

// Network-steps/s of one case.
Rate measure(const DataSplit& data, const Case& c) {
  const RunConfig cfg = config_for(c);
  auto t = make_cpu_trainer(cfg, data, c.sparse);
  t->train(50);  // warm caches, allocator and threads
  t->take_losses();
  const int64_t steps = std::max<int64_t>(500, 3000 / c.networks);
  return time_it(static_cast<double>(steps * c.networks), [&] {
    if (!c.run_like) {
      t->train(steps);
    } else {
      for (int64_t done = 0; done < steps; done += 100) {
        t->train(100);
        t->request_snapshot((t->step() % 500) == 0);
        t->poll_snapshot(true);
      }
    }
    t->take_losses();
  });
}

// The sparse first layer on and off for one network on one thread, in alternating blocks of 100
// steps (20 each), so that both see the same moments of a busy machine; medians of the blocks.
void measure_sparse_pair(const DataSplit& data, Case& on, Case& off) {
  const RunConfig cfg = config_for(on);
  auto a = make_cpu_trainer(cfg, data, true), b = make_cpu_trainer(cfg, data, false);
  a->train(50);
  b->train(50);
  std::vector<double> wall[2], cpu[2];
  for (int block = 0; block < 20; ++block) {
    int k = 0;
    for (Trainer* t : {a.get(), b.get()}) {
      const Rate r = time_it(100, [&] { t->train(100); });
      wall[k].push_back(r.wall);
      cpu[k++].push_back(r.cpu);
      t->take_losses();
    }
  }
  on.net_steps.push_back(median(wall[0]));
  on.cpu_steps.push_back(median(cpu[0]));
  off.net_steps.push_back(median(wall[1]));
  off.cpu_steps.push_back(median(cpu[1]));
}

// [SECTION] The yardstick: a hand-written one-thread Eigen loop

// The paper network without BN, plain SGD, forward and backward written out; gathers its batches
// from the same data in order. Steps/s.
Rate yardstick(const Dataset& d, int steps) {
  using Mat = Eigen::MatrixXf;
  using Vec = Eigen::VectorXf;
  const int m = 60, widths[5] = {d.dim, 100, 100, 100, d.classes};
  std::vector<Mat> W(4), dW(4), a(5), dz(4);
  std::vector<Vec> b(4);
  for (int l = 0; l < 4; ++l) {
    W[l] = Mat::Random(widths[l + 1], widths[l]) * 0.1f;
    b[l] = Vec::Zero(widths[l + 1]);
  }
  a[0].resize(d.dim, m);
  const float lr = 0.5f;
  int next = 0;
  auto step = [&] {
    for (int j = 0; j < m; ++j, next = (next + 1) % d.size()) std::copy_n(d.example(next), d.dim, a[0].col(j).data());
    const int first = (next - m + d.size()) % d.size();
    for (int l = 0; l < 4; ++l) {
      a[l + 1].noalias() = W[l] * a[l];
      a[l + 1].colwise() += b[l];
      if (l < 3) a[l + 1] = (1.0f + (-a[l + 1].array()).exp()).inverse().matrix();
    }
    Mat& p = a[4];  // softmax, then ∂ℓ/∂logits = (p − onehot)/m
    p = (p.rowwise() - p.colwise().maxCoeff()).array().exp().matrix();
    p.array().rowwise() /= p.colwise().sum().array();
    dz[3] = p;
    for (int j = 0; j < m; ++j) dz[3](d.y[(first + j) % d.size()], j) -= 1.0f;
    dz[3] /= static_cast<float>(m);
    for (int l = 3; l >= 0; --l) {
      dW[l].noalias() = dz[l] * a[l].transpose();
      if (l > 0) {
        dz[l - 1].noalias() = W[l].transpose() * dz[l];
        dz[l - 1].array() *= a[l].array() * (1.0f - a[l].array());
      }
      b[l] -= lr * dz[l].rowwise().sum();
      W[l] -= lr * dW[l];
    }
  };
  for (int s = 0; s < 50; ++s) step();
  return time_it(steps, [&] {
    for (int s = 0; s < steps; ++s) step();
  });
}

// [SECTION] Report

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 5;
  const std::string out = argc > 2 ? argv[2] : "bench/results/cpu";
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string load_before = load_average();

  std::vector<Case> cases;
  for (int nets : {1, 2, 6})
    for (bool sparse : {true, false})
      for (int threads = 1; threads <= cores; ++threads) cases.push_back({"threads", "mnist-10k", nets, threads, sparse});
  cases.push_back({"yardstick", "mnist-10k", 1, 1, false, false});
  for (const char* data : {"mnist-10k", "mnist", "fashion-mnist", "blobs"})
    for (bool sparse : {true, false}) cases.push_back({"sparse", data, 1, 1, sparse, false});

  std::vector<std::pair<std::string, DataSplit>> datasets;
  for (const char* name : {"mnist-10k", "mnist", "fashion-mnist", "blobs"}) {
    try {
      Case probe{"sparse", name, 1, 1, true, false};
      const RunConfig cfg = config_for(probe);
      datasets.emplace_back(name, load_data(cfg.data, cfg.seed));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_cpu: %s skipped: %s\n", name, e.what());
    }
  }
  auto data_of = [&](const std::string& name) -> const DataSplit* {
    for (const auto& [n, d] : datasets)
      if (n == name) return &d;
    return nullptr;
  };

  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < cases.size(); ++i) {
      Case& c = cases[i];
      const DataSplit* d = data_of(c.data);
      if (!d) continue;
      if (c.section == "sparse") {  // cases come in pairs: on, then off
        measure_sparse_pair(*d, c, cases[++i]);
        continue;
      }
      const Rate rate = c.section == "yardstick" ? yardstick(d->train, 3000) : measure(*d, c);
      c.net_steps.push_back(rate.wall);
      c.cpu_steps.push_back(rate.cpu);
    }
    std::fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
  }

  // Ratios within each round: to the same case on one thread, sparse to dense, to the yardstick.
  auto find = [&](const std::string& section, const std::string& data, int nets, int threads, bool sparse) -> const Case* {
    for (const auto& c : cases)
      if (c.section == section && c.data == data && c.networks == nets && c.threads == threads && c.sparse == sparse)
        return &c;
    return nullptr;
  };
  auto ratio = [](const Case* a, const Case* b, std::vector<double> Case::*rates = &Case::net_steps) {
    std::vector<double> r;
    if (!a || !b) return 0.0;
    for (size_t i = 0; i < (a->*rates).size() && i < (b->*rates).size(); ++i) r.push_back((a->*rates)[i] / (b->*rates)[i]);
    return median(r);
  };
  const Case* yard = find("yardstick", "mnist-10k", 1, 1, false);

  std::string text;
  char line[512];
  auto put = [&](const char* s) {
    text += s;
    std::fputs(s, stdout);
  };
  std::snprintf(line, sizeof line, "bench_cpu: %s, %d cores; %d rounds, medians; load average before %s, after %s\n",
                cpu_model().c_str(), cores, rounds, load_before.c_str(), load_average().c_str());
  put(line);
  put("\nthreads (paper network, batch 60, statistics every 100, evaluation every 500, shipped MNIST subset)\n");
  put("  nets  sparse  threads  net-steps/s  ×1 thread  ×yardstick  per CPU-s  ×1 thread\n");
  for (const auto& c : cases) {
    if (c.section != "threads") continue;
    const Case* one = find("threads", "mnist-10k", c.networks, 1, c.sparse);
    std::snprintf(line, sizeof line, "  %4d  %-6s  %7d  %11.0f  %9.2f  %10.2f  %9.0f  %9.2f\n", c.networks,
                  c.sparse ? "yes" : "no", c.threads, median(c.net_steps), ratio(&c, one), ratio(&c, yard),
                  median(c.cpu_steps), ratio(&c, one, &Case::cpu_steps));
    put(line);
  }
  std::snprintf(line, sizeof line,
                "\nyardstick: hand-written one-thread Eigen loop, same network, no statistics: %.0f steps/s, %.0f per CPU-s\n",
                yard ? median(yard->net_steps) : 0.0, yard ? median(yard->cpu_steps) : 0.0);
  put(line);
  put("\nsparse first layer (one network, one thread, statistics off)\n");
  put("  data           sparse  steps/s  ×dense  per CPU-s  ×dense\n");
  for (const auto& c : cases) {
    if (c.section != "sparse" || c.net_steps.empty()) continue;
    const Case* dense = find("sparse", c.data, 1, 1, false);
    std::snprintf(line, sizeof line, "  %-13s  %-6s  %7.0f  %6.2f  %9.0f  %6.2f\n", c.data.c_str(), c.sparse ? "yes" : "no",
                  median(c.net_steps), ratio(&c, dense), median(c.cpu_steps), ratio(&c, dense, &Case::cpu_steps));
    put(line);
  }

  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream txt(out + ".txt"), csv(out + ".csv");
  txt << text;
  csv << "section,data,networks,threads,sparse,median_network_steps_per_s,min,max,median_per_cpu_s,rounds\n";
  for (const auto& c : cases) {
    if (c.net_steps.empty()) continue;
    csv << c.section << ',' << c.data << ',' << c.networks << ',' << c.threads << ',' << c.sparse << ','
        << median(c.net_steps) << ',' << *std::min_element(c.net_steps.begin(), c.net_steps.end()) << ','
        << *std::max_element(c.net_steps.begin(), c.net_steps.end()) << ',' << median(c.cpu_steps) << ','
        << c.net_steps.size() << '\n';
  }
  txt.close();
  csv.close();
  if (!txt || !csv) {
    std::fprintf(stderr, "bench_cpu: could not write %s.txt / %s.csv\n", out.c_str(), out.c_str());
    return 1;
  }
  std::printf("written: %s.txt, %s.csv\n", out.c_str(), out.c_str());
}
