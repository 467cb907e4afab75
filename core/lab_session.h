// lab_session.h — a run the user steers while it trains: the engine of the live lab.
//
// [SECTION] What the UI reads
// [SECTION] The session
//
// The trainer lives on a worker thread (it is created there, so a GPU trainer's GL context is
// that thread's and never the window's). The UI never waits on training: it sends commands, which
// the worker applies between chunks of steps, and reads an immutable LabState that the worker
// publishes a few dozen times a second (one pointer swap under a mutex). No ImGui here.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/run_history.h"

namespace bnlab {

// [SECTION] What the UI reads

struct LabState {
  RunConfig active;    // what trains now
  RunConfig desired;   // what the controls ask for; differs from `active` only until a reset
  // One line per setting that cannot change without a reset (empty when none), e.g.
  // "baseline: hidden widths 100,100,100 → 50,50".
  std::vector<std::string> needs_reset;
  std::string error;   // the last refused change or failure, with the reason; empty when none
  std::string backend, backend_why;  // Trainer::backend_name(), and make_trainer's reason
  std::string data_description;
  bool ready = false;     // the trainer exists (data loaded)
  bool playing = false;
  double speed_limit = 0;  // steps per second; 0 = as fast as possible
  double steps_per_second = 0;  // measured over the last second of training
  int64_t step = 0;
  RunHistory history;
  uint64_t version = 0;  // increases with every publication
};

// [SECTION] The session

class LabSession {
 public:
  // Starts the worker, which loads the data and makes the trainer (make_trainer: auto chooses).
  // `playing` starts training at once.
  explicit LabSession(const RunConfig& cfg, bool playing = true);
  ~LabSession();
  LabSession(const LabSession&) = delete;
  LabSession& operator=(const LabSession&) = delete;

  // The latest published state; never blocks on training.
  std::shared_ptr<const LabState> state() const;
  // The settings last passed to configure() (or the initial ones), at once: controls edit this,
  // not the published state, which lags by up to a chunk of training.
  RunConfig desired() const;

  void set_playing(bool on);
  void toggle_playing();
  // Trains n more steps and pauses (adds to steps already asked for).
  void step(int64_t n);
  void set_speed_limit(double steps_per_second);  // 0 = as fast as possible

  // Rebuilds the trainer from `desired` with its seed: identical initial weights, a fresh history.
  void reset();
  // desired.seed + 1, then reset: new initial weights and data order.
  void new_seed();

  // The controls' settings for the whole run. Applied live where the trainer allows it (names,
  // learning rate, momentum, normalization per layer, BN momentum/ε, γ/β learned or pinned,
  // batch size); everything else waits for reset() and is listed in LabState::needs_reset.
  // An invalid configuration is refused with LabState::error and changes nothing.
  void configure(const RunConfig& desired);
  // Sets γ (or β) of every unit of one hidden layer of one network to `value` (a layer's slider).
  void set_affine(int net, int layer, bool beta, float value);

  // Blocks until every command sent so far is applied and every step asked for is trained, then
  // publishes. For tests and the screenshot mode; the UI never calls it.
  void wait_idle();

 private:
  struct Worker;
  void post(std::function<void(Worker&)> command);

  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::vector<std::function<void(Worker&)>> commands_;  // guarded by mutex_
  std::shared_ptr<const LabState> published_;           // guarded by mutex_
  RunConfig desired_;                                   // guarded by mutex_
  bool quit_ = false;                                   // guarded by mutex_
  bool busy_ = false;     // the worker has commands or steps in hand; guarded by mutex_
  std::unique_ptr<Worker> worker_;  // touched only by the worker thread after construction
  std::thread thread_;
};

// Human-readable differences between two runs that need a reset to take effect; empty when the
// change can be applied live. Exposed for tests.
std::vector<std::string> reset_reasons(const RunConfig& active, const RunConfig& desired);

}  // namespace bnlab
