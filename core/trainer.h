// trainer.h — the one interface every backend implements.
//
// A Trainer holds all networks of a run and trains them in lockstep: step s of every live network
// uses the same mini-batch (batches.h). The CPU reference computes everything at once; the GPU
// engine queues work and answers snapshots asynchronously, so the interface is shaped for that:
// ask for a snapshot, poll for it later.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/landscape.h"
#include "core/network.h"
#include "core/stats.h"

namespace bnlab {

struct DataSplit;

class Trainer {
 public:
  virtual ~Trainer() = default;

  // "cpu, <n> threads" or "gpu (<renderer>)".
  virtual std::string backend_name() const = 0;
  virtual int network_count() const = 0;
  // Number of updates done so far.
  virtual int64_t step() const = 0;

  // Trains every network that has not diverged for `count` more steps. Gradient and update norms
  // for the next snapshot are taken from the last of these steps.
  virtual void train(int64_t count) = 0;

  // Train losses of the steps done since the last call: (steps, networks) row-major, the
  // mini-batch's mean cross-entropy in that step's forward pass, before the update. A network
  // that has diverged reports NaN from its divergence on.
  virtual std::vector<float> take_losses() = 0;

  // Asks for a snapshot at the current step; with_eval adds test loss and accuracy.
  virtual void request_snapshot(bool with_eval) = 0;
  // The oldest requested snapshot that is ready; with wait = true blocks until there is one
  // (returns nothing only when none was requested).
  virtual std::optional<StepStats> poll_snapshot(bool wait) = 0;

  // The "why BN works" meters (core/landscape.h): measured inside train() before the update of
  // every step t with t % every == 0, on that update's mini-batch; every = 0 turns them off.
  // take_landscape returns the measurements not yet taken, oldest first.
  virtual void set_landscape_every(int64_t every) = 0;
  virtual std::vector<LandscapeStats> take_landscape() = 0;

  virtual NetworkParams params(int net) const = 0;
  virtual void set_params(int net, const NetworkParams& p) = 0;

  // Live changes between steps (the lab's controls). set_network replaces one network's settings
  // and parameters together — learning rate, momentum, γ/β pinning, normalization switched on or
  // off — keeping its place in the shared data order; `p` must have the shapes `cfg` implies
  // (convert_params makes them). A diverged network given new settings trains again.
  virtual void set_network(int net, const NetworkConfig& cfg, const NetworkParams& p) = 0;
  // A new batch size for every network; the data order starts a new epoch (the one a run at the
  // new batch size would have started with at this step: see seek's order_start).
  virtual void set_batch(int batch) = 0;

  // Continues at step `step`: step() becomes `step` and the next mini-batch is the one a run in
  // lockstep would draw there — the data order begun at step `order_start` (0 for a run that kept
  // its batch size; the step of the last set_batch otherwise) with `step − order_start` batches
  // already drawn. Only the order's permutations are replayed, not the training. Together with
  // set_params this resumes a run in a new trainer (more or fewer networks, a reopened session);
  // the result is bit-identical to training straight through when momentum is 0. Momentum
  // buffers restart at zero (set_params forgets them), so with momentum the first steps differ
  // slightly. Losses and snapshots not yet taken are kept.
  virtual void seek(int64_t step, int64_t order_start = 0) = 0;
};

// Throws std::invalid_argument unless 0 ≤ order_start ≤ step: Trainer::seek's arguments.
inline void check_seek(int64_t step, int64_t order_start) {
  if (order_start < 0 || order_start > step)
    throw std::invalid_argument("seek to step " + std::to_string(step) + " with the data order begun at step " +
                                std::to_string(order_start) + ": needs 0 ≤ order start ≤ step");
}

// The CPU reference (Eigen, float32) on resolve_threads(cfg.threads, false) threads at most, one
// network per thread. Its first layer works on each example's non-zero inputs only when a
// mini-batch is sparse enough for that to pay (sparse_first_layer = false: never; benchmarks
// compare). Throws ConfigError for
// settings it cannot train.
std::unique_ptr<Trainer> make_cpu_trainer(const RunConfig& cfg, const DataSplit& data, bool sparse_first_layer = true);

}  // namespace bnlab
