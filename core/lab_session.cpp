// lab_session.cpp — the worker thread behind the live lab.
//
// [SECTION] Settings that need a reset
// [SECTION] Worker: trainer, schedule, history
// [SECTION] Worker loop
// [SECTION] Commands
//
// The worker trains in chunks of about 10 ms (so a command waits at most that long), ending
// every chunk on the next logged step so snapshots land on multiples of log_every as in a
// headless run — which is what makes "pause, step N" give exactly what `bnlab run` gives.

#include "core/lab_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "core/backend.h"
#include "core/dataset.h"
#include "core/network.h"
#include "core/trainer.h"

namespace bnlab {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kPublishInterval = 1.0 / 30;  // seconds between publications while training
constexpr double kChunkSeconds = 0.010;        // training time per chunk
constexpr double kUnitsInterval = 0.5;         // seconds between reads of per-unit parameters
constexpr double kForever = std::numeric_limits<double>::infinity();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string widths(const std::vector<int>& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); ++i) s += (i ? "," : "") + std::to_string(w[i]);
  return s;
}

}  // namespace

// [SECTION] Settings that need a reset

std::vector<std::string> reset_reasons(const RunConfig& a, const RunConfig& d) {
  std::vector<std::string> r;
  if (a.seed != d.seed) r.push_back("seed " + std::to_string(a.seed) + " → " + std::to_string(d.seed));
  if (a.backend != d.backend) r.push_back(std::string("backend ") + to_string(a.backend) + " → " + to_string(d.backend));
  if (to_json(a)["data"] != to_json(d)["data"]) r.push_back("dataset settings");
  if (a.eval_stats != d.eval_stats)
    r.push_back(std::string("evaluation statistics ") + to_string(a.eval_stats) + " → " + to_string(d.eval_stats));
  if (to_json(a)["stats"] != to_json(d)["stats"]) r.push_back("statistics settings");
  if (a.networks.size() != d.networks.size()) {
    r.push_back("networks: " + std::to_string(a.networks.size()) + " → " + std::to_string(d.networks.size()));
    return r;
  }
  for (size_t i = 0; i < a.networks.size(); ++i) {
    const ModelConfig &x = a.networks[i].model, &y = d.networks[i].model;
    const std::string who = d.networks[i].name + ": ";
    if (x.hidden != y.hidden) r.push_back(who + "hidden widths " + widths(x.hidden) + " → " + widths(y.hidden));
    if (x.activation != y.activation)
      r.push_back(who + "activation " + to_string(x.activation) + " → " + to_string(y.activation));
    if (x.init != y.init || x.init_std != y.init_std) r.push_back(who + "initialization");
  }
  return r;
}

// [SECTION] Worker: trainer, schedule, history

struct LabSession::Worker {
  RunConfig active, desired;
  std::optional<DataSplit> data;
  RunConfig data_cfg;  // the settings `data` was loaded with (data section and seed)
  std::unique_ptr<Trainer> trainer;
  std::string backend, backend_why, error;
  RunHistory history;

  bool playing = false;
  int64_t pending_steps = 0;  // asked for by step(n)
  double speed_limit = 0;
  double tokens = 0;          // steps allowed by the speed limit and not yet trained
  Clock::time_point token_time = Clock::now();
  double step_seconds = 1e-3; // measured time per step, for sizing chunks

  // Steps per second over windows of half a second of training (the first after 20 ms).
  double rate = 0;
  int64_t rate_steps = 0;
  double rate_seconds = 0;

  bool dirty = true;  // something changed since the last publication
  Clock::time_point last_publish = Clock::now(), last_units = Clock::now();

  bool all_diverged() const {
    const auto& n = history.networks();
    return !n.empty() && std::all_of(n.begin(), n.end(), [](const NetworkHistory& h) { return h.diverged_at >= 0; });
  }
  bool wants_steps() const { return trainer && !all_diverged() && (pending_steps > 0 || playing); }

  // Seconds until training may continue: 0 now, kForever when idle.
  double wait_seconds() {
    if (!wants_steps()) return kForever;
    if (pending_steps > 0 || speed_limit <= 0) return 0;
    refill_tokens();
    return tokens >= 1 ? 0 : (1 - tokens) / speed_limit;
  }
  void refill_tokens() {
    const auto now = Clock::now();
    tokens = std::min(tokens + speed_limit * std::chrono::duration<double>(now - token_time).count(),
                      std::max(1.0, speed_limit * 0.1));
    token_time = now;
  }

  bool is_logged(int64_t s) const { return s % active.log_every == 0 || s % active.eval_every == 0; }
  int64_t next_logged(int64_t s) const {
    return std::min((s / active.log_every + 1) * active.log_every, (s / active.eval_every + 1) * active.eval_every);
  }

  void rebuild() {
    trainer.reset();  // it refers to `data`, which may be replaced below
    error.clear();
    try {
      if (!data || data_cfg.seed != desired.seed || to_json(data_cfg)["data"] != to_json(desired)["data"]) {
        data.reset();
        data = load_data(desired.data, desired.seed);
        data_cfg = desired;
      }
      active = desired;
      trainer = make_trainer(active, *data, &backend_why);
      backend = trainer->backend_name();
    } catch (const std::exception& e) {
      error = e.what();
      backend.clear();
    }
    history.reset(static_cast<int>(active.networks.size()),
                  active.networks.empty() ? 0 : static_cast<int>(active.networks[0].model.hidden.size()));
    pending_steps = 0;
    rate = 0;
    rate_steps = 0;
    rate_seconds = 0;
    if (trainer) {
      trainer->request_snapshot(true);
      drain(true);
      read_units();
    }
    dirty = true;
  }

  void drain(bool wait) {
    while (auto s = trainer->poll_snapshot(wait)) history.add_snapshot(*s);
  }

  void read_units() {
    for (int n = 0; n < trainer->network_count(); ++n) {
      const NetworkParams p = trainer->params(n);
      std::vector<UnitParams> units(p.layers.empty() ? 0 : p.layers.size() - 1);
      for (size_t l = 0; l < units.size(); ++l)
        units[l] = {p.layers[l].gamma, p.layers[l].beta, p.layers[l].running_mean, p.layers[l].running_var};
      history.set_units(n, std::move(units));
    }
    last_units = Clock::now();
  }

  void train_chunk() {
    const int64_t start = trainer->step();
    int64_t n = std::max<int64_t>(1, static_cast<int64_t>(kChunkSeconds / step_seconds));
    if (pending_steps > 0) {
      n = std::min(n, pending_steps);
    } else if (speed_limit > 0) {
      n = std::min(n, static_cast<int64_t>(tokens));
    }
    n = std::min(n, next_logged(start) - start);
    const auto t0 = Clock::now();
    trainer->train(n);
    history.add_losses(start + 1, trainer->take_losses());
    const int64_t now = trainer->step();
    if (is_logged(now)) trainer->request_snapshot(now % active.eval_every == 0);
    if (pending_steps > 0) pending_steps -= n;
    else if (speed_limit > 0) tokens -= static_cast<double>(n);
    // Paused after the last step asked for: wait for the GPU's snapshots so the state is whole.
    drain(pending_steps == 0 && !playing);
    if (seconds_since(last_units) > kUnitsInterval || (!playing && pending_steps == 0)) read_units();
    if (all_diverged()) {
      playing = false;
      pending_steps = 0;
    }

    const double dt = seconds_since(t0);
    step_seconds = 0.8 * step_seconds + 0.2 * dt / static_cast<double>(n);
    rate_steps += n;
    rate_seconds += dt;
    if (rate_seconds > 0.5 || (rate == 0 && rate_seconds > 0.02)) {
      rate = static_cast<double>(rate_steps) / rate_seconds;
      rate_steps = 0;
      rate_seconds = 0;
    }
    dirty = true;
  }

  // Applies what can change live and records what cannot.
  void apply_desired() {
    if (!trainer) return;
    if (active.networks.size() == desired.networks.size()) {
      for (size_t i = 0; i < desired.networks.size(); ++i) {
        NetworkConfig& a = active.networks[i];
        const NetworkConfig& d = desired.networks[i];
        a.name = d.name;
        const bool same_shape = a.model.hidden == d.model.hidden && a.model.activation == d.model.activation &&
                                a.model.init == d.model.init && a.model.init_std == d.model.init_std;
        if (!same_shape || to_json_network(a) == to_json_network(d)) continue;
        NetworkConfig next = a;
        next.model.norm = d.model.norm;
        next.bn = d.bn;
        next.optim = d.optim;
        trainer->set_network(static_cast<int>(i), next, convert_params(trainer->params(static_cast<int>(i)), next.model, next.bn));
        a = next;
        history.revive(static_cast<int>(i));  // Trainer::set_network lets a diverged network train again
      }
    }
    if (active.batch != desired.batch) {
      trainer->set_batch(desired.batch);
      active.batch = desired.batch;
    }
    active.log_every = desired.log_every;
    active.eval_every = desired.eval_every;
    active.steps = desired.steps;
    read_units();
    dirty = true;
  }

  static nlohmann::json to_json_network(const NetworkConfig& n) {
    RunConfig one;
    one.networks = {n};
    return to_json(one)["networks"][0];
  }

  std::shared_ptr<const LabState> make_state(uint64_t version) const {
    auto s = std::make_shared<LabState>();
    s->active = active;
    s->desired = desired;
    s->needs_reset = reset_reasons(active, desired);
    s->error = error;
    s->backend = backend;
    s->backend_why = backend_why;
    s->data_description = data ? data->description : std::string();
    s->ready = trainer != nullptr;
    s->playing = playing;
    s->speed_limit = speed_limit;
    s->steps_per_second = rate;
    s->step = trainer ? trainer->step() : 0;
    s->history = history;
    s->version = version;
    return s;
  }
};

// [SECTION] Worker loop

LabSession::LabSession(const RunConfig& cfg, bool playing) : desired_(cfg), worker_(std::make_unique<Worker>()) {
  worker_->desired = cfg;
  worker_->active = cfg;
  worker_->playing = playing;
  published_ = worker_->make_state(0);
  busy_ = true;  // until the first build is published
  thread_ = std::thread([this] {
    Worker& w = *worker_;
    w.rebuild();
    uint64_t version = 1;
    auto publish = [&] {
      auto s = w.make_state(version++);
      std::lock_guard<std::mutex> lock(mutex_);
      published_ = std::move(s);
      w.dirty = false;
      w.last_publish = Clock::now();
    };
    for (;;) {
      const double wait = w.wait_seconds();
      if (wait > 0 && w.dirty) publish();  // idle or throttled: show everything now
      std::vector<std::function<void(Worker&)>> cmds;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (commands_.empty() && wait > 0) {
          if (wait == kForever) {
            busy_ = false;
            idle_.notify_all();
          }
          wake_.wait_for(lock, std::chrono::duration<double>(std::min(wait, 0.05)),
                         [&] { return quit_ || !commands_.empty(); });
        }
        if (quit_) return;
        cmds.swap(commands_);
        if (!cmds.empty()) busy_ = true;
      }
      for (auto& c : cmds) c(w);
      if (w.wait_seconds() == 0) w.train_chunk();
      if (w.dirty && seconds_since(w.last_publish) > kPublishInterval) publish();
    }
  });
}

LabSession::~LabSession() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const LabState> LabSession::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_;
}

RunConfig LabSession::desired() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return desired_;
}

void LabSession::post(std::function<void(Worker&)> command) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    commands_.push_back(std::move(command));
    busy_ = true;
  }
  wake_.notify_all();
}

void LabSession::wait_idle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [&] { return !busy_ && commands_.empty(); });
}

// [SECTION] Commands

void LabSession::set_playing(bool on) {
  post([on](Worker& w) {
    w.playing = on;
    w.pending_steps = 0;
    w.tokens = 0;
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::toggle_playing() {
  post([](Worker& w) {
    w.playing = !w.playing;
    w.pending_steps = 0;
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::step(int64_t n) {
  post([n](Worker& w) {
    w.playing = false;
    w.pending_steps += std::max<int64_t>(0, n);
    w.dirty = true;
  });
}

void LabSession::set_speed_limit(double sps) {
  post([sps](Worker& w) {
    w.speed_limit = std::max(0.0, sps);
    w.tokens = 0;
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::reset() {
  post([](Worker& w) { w.rebuild(); });
}

void LabSession::new_seed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++desired_.seed;
  }
  post([](Worker& w) {
    ++w.desired.seed;
    w.rebuild();
  });
}

void LabSession::configure(const RunConfig& desired) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    desired_ = desired;
  }
  post([desired](Worker& w) {
    try {
      // Through JSON and back: the same checks and messages as a config file gets.
      w.desired = resolve_config(to_json(desired));
      w.error.clear();
      w.apply_desired();
    } catch (const std::exception& e) {
      w.error = e.what();
    }
    w.dirty = true;
  });
}

void LabSession::set_affine(int net, int layer, bool beta, float value) {
  post([=](Worker& w) {
    if (!w.trainer || net < 0 || net >= w.trainer->network_count()) return;
    NetworkParams p = w.trainer->params(net);
    if (layer < 0 || layer + 1 >= static_cast<int>(p.layers.size())) return;
    std::vector<float>& v = beta ? p.layers[layer].beta : p.layers[layer].gamma;
    if (v.empty()) {
      w.error = w.active.networks[net].name + ", layer " + std::to_string(layer + 1) +
                ": no normalization, so no γ or β to set";
    } else {
      std::fill(v.begin(), v.end(), value);
      w.trainer->set_params(net, p);
      w.read_units();
    }
    w.dirty = true;
  });
}

}  // namespace bnlab
