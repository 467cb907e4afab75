// bench_lab_memory.cpp — the live lab's memory over a long run: trains a LabSession (no window)
// and prints the history's size and the process's resident set at 10k, 100k and 1M steps.
// Usage: bench_lab_memory [preset] [max_steps]   (default paper-fig1, 1000000)

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "core/lab_session.h"

namespace {

// VmRSS and VmHWM (peak) of this process in MB, from /proc/self/status.
void resident(double* rss, double* peak) {
  std::ifstream in("/proc/self/status");
  std::string key;
  double kb;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kb) *rss = kb / 1024;
    if (key == "VmHWM:" && in >> kb) *peak = kb / 1024;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string preset = argc > 1 ? argv[1] : "paper-fig1";
  const long long max_steps = argc > 2 ? std::stoll(argv[2]) : 1000000;
  bnlab::LabSession lab(bnlab::build_config(preset, "", {}), true);
  const auto t0 = std::chrono::steady_clock::now();
  long long next = 10000;
  std::printf("preset %s\n%10s %10s %12s %10s %10s\n", preset.c_str(), "step", "seconds", "history MB", "RSS MB", "peak MB");
  while (next <= max_steps) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto s = lab.state();
    if (!s->error.empty()) {
      std::fprintf(stderr, "%s\n", s->error.c_str());
      return 1;
    }
    if (s->step < next) continue;
    double rss = 0, peak = 0;
    resident(&rss, &peak);
    std::printf("%10lld %10.1f %12.2f %10.1f %10.1f\n", static_cast<long long>(s->step),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                static_cast<double>(s->history.bytes()) / 1e6, rss, peak);
    std::fflush(stdout);
    next *= 10;
  }
}
