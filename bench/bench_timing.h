// bench_timing.h — what every bench/ program measures with: wall-clock and CPU-time rates,
// medians, and the machine and its load to write beside the figures.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace bnlab::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of every thread of this process so far.
inline double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// A rate measured both ways.
struct Rate {
  double wall;  // per second of wall-clock time
  double cpu;   // per second of CPU time
};

// Runs f() and returns count / its time.
template <class F>
Rate time_it(double count, F f) {
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  f();
  return {count / seconds_since(t0), count / (cpu_seconds() - c0)};
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace bnlab::bench
