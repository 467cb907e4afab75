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
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/network.h"
#include "core/run_history.h"
#include "core/speedup.h"

namespace bnlab {

// [SECTION] What the UI reads

// The first steps of a run, where BN's lead is widest (the paper's Figure 1a: ≈0.9 against
// ≈0.75–0.8 test accuracy around step 500). The lab evaluates at every logged step until here,
// not only every eval_every, and the Figure 1 view can zoom its x axis to this window.
constexpr int64_t kEarlyPhaseSteps = 2000;

// How many destructive edits the lab can undo (the latest ones; older ones are forgotten). Each keeps a whole
// LabSnapshot (parameters and history), so the depth bounds the memory undo takes.
constexpr int kUndoDepth = 8;

struct LabState {
  RunConfig active;    // what trains now
  RunConfig desired;   // what the controls ask for; differs from `active` only until a reset
  // One line per setting that cannot change without a reset (empty when none), e.g.
  // "baseline: hidden widths 100,100,100 → 50,50".
  std::vector<std::string> needs_reset;
  std::string error;   // the last refused change or failure, with the reason; empty when none
  std::string backend, backend_why;  // Trainer::backend_name(), and make_trainer's reason
  std::string data_description;
  Chance chance;  // of the loaded test set: what the speed-up readout asks a reference to beat
  // Set when the settings ask for the full MNIST and it is not installed (or not whole): why, how to
  // install it, and that the lab trains on the shipped mnist-10k instead (`active` says so too).
  std::string data_notice;
  // What undo() would bring back ("remove baseline at step 8600", "reset at step 420"); empty when nothing.
  std::string undo_what;
  bool ready = false;     // the trainer exists (data loaded)
  bool playing = false;
  double speed_limit = 0;  // steps per second; 0 = as fast as possible
  int64_t pause_at = 0;    // training pauses on reaching this step (again after a reset); 0 = never
  bool pause_on_divergence = false;  // training pauses when a network diverges
  // Why training paused by itself ("paused at step 1,000, as asked"); empty when it did not, and
  // cleared when it trains again.
  std::string paused_why;
  double steps_per_second = 0;  // measured over the last second of training
  int64_t step = 0;
  RunHistory history;
  uint64_t version = 0;  // increases with every publication
};

// A run caught at one step — its settings, history and every network's parameters: what a
// session file keeps (core/session_file.h) and what a LabSession can start from.
struct LabSnapshot {
  RunConfig config;                   // the settings that trained (LabState::active)
  int64_t step = 0;
  int64_t order_start = 0;            // the step the data order began at (Trainer::seek)
  RunHistory history;
  std::vector<NetworkParams> params;  // (networks)
};

// [SECTION] The session

enum class NetworkEdit { Add, Duplicate, Remove };

class LabSession {
 public:
  // Starts the worker, which loads the data and makes the trainer (make_trainer: auto chooses).
  // `playing` starts training at once.
  explicit LabSession(const RunConfig& cfg, bool playing = true);
  // Reopens a saved run (not null), paused at its step with its history; Play trains on from its
  // parameters in the data order it had. When they do not fit the data (LabState::error says why), starts
  // afresh from the saved settings instead.
  explicit LabSession(std::shared_ptr<const LabSnapshot> saved);
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
  // Pauses on reaching `step` (0 = never): a demonstration stops where the lesson text says, however
  // fast it trains. Kept over resets and new runs, so every run pauses there again.
  void set_pause_at(int64_t step);
  // Pauses when any network diverges (the others would train on past the moment to look at).
  void set_pause_on_divergence(bool on);

  // Rebuilds the trainer from `desired` with its seed: identical initial weights, a fresh history.
  void reset();
  // desired.seed + 1, then reset: new initial weights and data order.
  void new_seed();

  // The controls' settings for the whole run. Applied live where the trainer allows it (names,
  // learning rate, momentum, normalization per layer, BN momentum/ε, γ/β learned or pinned,
  // batch size, the meters' frequency (landscape.every), a list of networks of another length — matched to the running ones by name, a
  // new name starting fresh as with edit_network(Add)); everything else waits for reset() and is
  // listed in LabState::needs_reset.
  // An invalid configuration is refused at once: LabState::error says why, desired() keeps the
  // last valid settings (so a later valid change is not blocked by it), nothing changes.
  void configure(const RunConfig& desired);
  // Changes the list of networks while training, without restarting the others: every network
  // keeps its parameters (running statistics included), history and colour, and the run its step
  // and data order; only momentum buffers start again at zero. Add: a network named "netN" with
  // the last network's settings and the initial weights the seed gives (those it would have had
  // at step 0). Duplicate `net`: a copy of its settings and current parameters, named "<name>-2",
  // that trains on the same batches from here. Remove `net`: refused for the last network.
  // New networks go at the end of the list; at most 16. Names change through configure().
  void edit_network(NetworkEdit what, int net = 0);
  // Sets γ (or β) of every unit of one hidden layer of one network to `value` (a layer's slider).
  void set_affine(int net, int layer, bool beta, float value);
  // Replaces the whole run with `cfg` (validated as configure() does) and rebuilds it from its
  // own seed: what opening another preset or lesson does. Refused with LabState::error when
  // invalid; the old run then goes on.
  void open(const RunConfig& cfg);
  // Lesson 4: per BN layer of network `net`, γ_j = √(running_var_j + ε) and β_j = running_mean_j,
  // pinned (bn.affine frozen) — BN's output then approximates its input again, so the
  // nonlinearity sees the un-normalized x. Changing that network's settings later pins γ, β to
  // bn.gamma, bn.beta; switching "learn γ, β" back on learns on from the undone values.
  void undo_normalization(int net);

  // Undoes the last destructive edit — reset, new seed, open, removing a network — by restoring
  // the run as it stood just before (settings, step, data order, history, every network's
  // parameters; momentum buffers start again at zero, as when a session is reopened). Up to
  // kUndoDepth edits back; nothing happens when there is nothing to undo.
  void undo();

  // Blocks until every command sent so far is applied and every step asked for is trained, then
  // publishes. For tests and the screenshot mode; the UI never calls it.
  void wait_idle();
  // The run as it stands between two chunks of training (waits for that, ~10 ms, and for pending
  // snapshots): for saving a session. No parameters before the trainer exists.
  LabSnapshot capture();

 private:
  struct Worker;
  void post(std::function<void(Worker&)> command);
  // `cfg` revalidated, or nothing when it is refused: then its message becomes the lab's error.
  std::optional<RunConfig> checked_or_reported(const RunConfig& cfg);

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

// Why `cfg` would be refused (the config file's checks and message), or empty when it is valid.
std::string config_problem(const RunConfig& cfg);

// Human-readable differences between two runs that need a reset to take effect; empty when the
// change can be applied live. Exposed for tests.
std::vector<std::string> reset_reasons(const RunConfig& active, const RunConfig& desired);

}  // namespace bnlab
