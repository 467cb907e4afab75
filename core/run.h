// run.h — a headless run: trainer, statistics and files, driven to the end or to a stop request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/stats.h"
#include "core/trainer.h"

namespace bnlab {

class RunWriter;

// What a finished (or stopped) run reports back.
struct RunSummary {
  int64_t steps_done = 0;
  double seconds = 0;
  bool stopped = false;                // a stop request ended it early
  std::vector<StepStats> snapshots;    // every snapshot, in step order
};

struct RunOptions {
  const std::atomic<bool>* stop = nullptr;  // checked between chunks of steps (Ctrl-C)
  // Called now and then with (steps done, steps total, steps per second).
  std::function<void(int64_t, int64_t, double)> progress;
  RunWriter* writer = nullptr;  // files, when given
};

// Trains cfg.steps steps, taking a snapshot every log_every and eval_every step (and at 0 and at
// the end), and returns what it measured.
RunSummary run_training(Trainer& trainer, const RunConfig& cfg, const RunOptions& opt);

}  // namespace bnlab
