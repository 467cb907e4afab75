// run.h — a headless run: trainer, statistics and files, driven to the end or to a stop request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
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
  std::vector<float> losses;           // (steps done, networks): every step's mini-batch loss
  std::vector<LandscapeStats> landscape;  // every measurement of the meters, in step order
  // The CPU reference the run continued on after a GPU failure (RunOptions::gpu_fallback), which
  // then holds the final parameters; null when the run's own trainer finished it.
  std::unique_ptr<Trainer> fallback;
};

struct RunOptions {
  const std::atomic<bool>* stop = nullptr;  // checked between chunks of steps (Ctrl-C)
  // Called now and then with (steps done, steps total, steps per second).
  std::function<void(int64_t, int64_t, double)> progress;
  RunWriter* writer = nullptr;  // files, when given
  // When the trainer throws GpuError mid-run (a lost context, an allocation refused): returns the
  // CPU reference for the same run, at step 0 with the run's initial parameters. The run replays
  // it to the last step whose results it holds (the CPU computes the GPU's trajectory within the
  // parity tolerances), drops what it already wrote, and carries on there, so the files have
  // every row exactly once. Without it, a GpuError ends the run (files keep what was written).
  std::function<std::unique_ptr<Trainer>()> gpu_fallback;
  std::function<void(const std::string&)> message;  // notices such as the switch to the CPU
};

// Trains cfg.steps steps, taking a snapshot every log_every and eval_every step (and at 0 and at
// the end), and returns what it measured. `trainer` must start at step 0 for gpu_fallback.
RunSummary run_training(Trainer& trainer, const RunConfig& cfg, const RunOptions& opt);

}  // namespace bnlab
