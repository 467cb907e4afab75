// lab_session.cpp — the worker thread behind the live lab.
//
// [SECTION] Settings that need a reset
// [SECTION] Worker: trainer, schedule, history
// [SECTION] Worker loop
// [SECTION] Commands
//
// The worker trains in chunks of about 10 ms (so a command waits at most that long), ending
// every chunk on the next logged step so snapshots land on multiples of log_every as in a
// headless run — which is what makes "pause, step N" give exactly what `bnlab run` gives (the
// lab evaluates more often in the first kEarlyPhaseSteps; evaluation does not touch training).

#include "core/lab_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <numeric>
#include <optional>

#include "core/backend.h"
#include "core/dataset.h"
#include "core/format.h"
#include "core/mnist_install.h"
#include "core/network.h"
#include "core/trainer.h"
#include "core/worker_pool.h"

namespace bnlab {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kPublishInterval = 1.0 / 30;  // seconds between publications while training
constexpr double kChunkSeconds = 0.010;        // training time per chunk
// At or below this speed limit (steps per second) every step is logged — slow motion: the bands
// and histograms move with each step, not every log_every. Measuring a step's statistics costs a
// few milliseconds, nothing at this pace.
constexpr double kSlowMotion = 5;
constexpr double kUnitsInterval = 0.5;         // seconds between reads of per-unit parameters
constexpr double kForever = std::numeric_limits<double>::infinity();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string widths(const std::vector<int>& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); ++i) s += (i ? "," : "") + std::to_string(w[i]);
  return s;
}

// `cfg` through JSON and back: the same checks and messages as a config file gets. The preset's
// name is not a config key, so it is carried over by hand.
RunConfig revalidated(const RunConfig& cfg) {
  RunConfig checked = resolve_config(to_json(cfg));
  checked.preset = cfg.preset;
  return checked;
}

// `stem` + the first number from `first` on that no network in `nets` is named.
std::string unused_name(const std::vector<NetworkConfig>& nets, std::string stem, size_t first) {
  stem.resize(std::min<size_t>(stem.size(), 56));  // names are at most 64 characters
  for (size_t k = first;; ++k) {
    const std::string name = stem + std::to_string(k);
    if (std::none_of(nets.begin(), nets.end(), [&](const NetworkConfig& n) { return n.name == name; })) return name;
  }
}

// `nets` edited as asked; returns which old network each new one continues (as
// Worker::set_networks takes it), or an empty list when the edit is refused: removing the last
// network, more than kMaxNetworks, an index out of range. New networks go at the end.
std::vector<int> edit_list(std::vector<NetworkConfig>& nets, NetworkEdit what, int net) {
  const int count = static_cast<int>(nets.size());
  std::vector<int> from(nets.size());
  std::iota(from.begin(), from.end(), 0);
  if (what == NetworkEdit::Remove) {
    if (count < 2 || net < 0 || net >= count) return {};
    nets.erase(nets.begin() + net);
    from.erase(from.begin() + net);
    return from;
  }
  if (nets.empty() || nets.size() >= kMaxNetworks) return {};
  if (what == NetworkEdit::Duplicate) {
    if (net < 0 || net >= count) return {};
    // "bn" → "bn-2"; a copy of "bn-2" is "bn-3", not "bn-2-2".
    std::string stem = nets[net].name;
    const size_t dash = stem.find_last_of('-');
    if (dash != std::string::npos && dash + 1 < stem.size() &&
        stem.find_first_not_of("0123456789", dash + 1) == std::string::npos)
      stem.resize(dash);
    NetworkConfig copy = nets[net];
    copy.name = unused_name(nets, stem + "-", 2);
    nets.push_back(std::move(copy));
    from.push_back(net);
  } else {
    NetworkConfig fresh = nets.back();  // the settings of the last network, new weights
    fresh.name = unused_name(nets, "net", nets.size() + 1);
    nets.push_back(std::move(fresh));
    from.push_back(-1);
  }
  return from;
}

// [Event labels] What an edit changed, as RunHistory::add_event's label, and which control made
// it: a slider dragged over many frames makes the same key again and again (Worker::note).
struct Change {
  std::string key, text;
};

std::string norm_label(Norm n) { return n == Norm::None ? "no norm" : norm_short(n); }

Change describe_change(const NetworkConfig& a, const NetworkConfig& b) {
  Change c;
  auto add = [&](const std::string& key, const std::string& text) {
    c.key += (c.key.empty() ? "" : "+") + key;
    c.text += (c.text.empty() ? "" : ", ") + text;
  };
  if (a.model.norm != b.model.norm) {
    const bool uniform = std::all_of(b.model.norm.begin(), b.model.norm.end(), [&](Norm n) { return n == b.model.norm[0]; });
    if (uniform && b.model.norm.size() > 1) {
      add("norm", norm_label(b.model.norm[0]));
    } else {
      for (size_t l = 0; l < b.model.norm.size(); ++l)
        if (l >= a.model.norm.size() || a.model.norm[l] != b.model.norm[l])
          add("norm", "L" + std::to_string(l + 1) + " " + norm_label(b.model.norm[l]));
    }
  }
  if (a.model.dropout != b.model.dropout) {
    const double p = b.model.dropout.empty() ? 0 : *std::max_element(b.model.dropout.begin(), b.model.dropout.end());
    add("dropout", p > 0 ? "dropout " + short_number(p) : "no dropout");
  }
  if (a.optim.lr != b.optim.lr) add("lr", "lr " + short_number(b.optim.lr));
  if (a.optim.momentum != b.optim.momentum) add("momentum", "momentum " + short_number(b.optim.momentum));
  if (a.bn.learn_affine != b.bn.learn_affine) add("affine", b.bn.learn_affine ? "γ, β free" : "γ, β pinned");
  if (a.bn.gamma != b.bn.gamma || a.bn.beta != b.bn.beta) add("pin", "γ " + short_number(b.bn.gamma) + ", β " + short_number(b.bn.beta));
  if (a.bn.momentum != b.bn.momentum) add("bn.momentum", "BN momentum " + short_number(b.bn.momentum));
  if (a.bn.eps != b.bn.eps) add("bn.eps", "BN ε " + short_number(b.bn.eps));
  if (a.bn.noise_mean != b.bn.noise_mean || a.bn.noise_std != b.bn.noise_std)
    add("bn.noise", b.bn.noise_mean > 0 || b.bn.noise_std > 0 ? "BN noise" : "no BN noise");
  return c;
}

// The lab's trainer: with threads = 0 the CPU reference leaves one core to the window.
std::unique_ptr<Trainer> make_lab_trainer(RunConfig cfg, const DataSplit& data, std::string* why) {
  cfg.threads = resolve_threads(cfg.threads, true);
  return make_trainer(cfg, data, why);
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
  if (a.landscape.multipliers != d.landscape.multipliers) r.push_back("the meters' step sizes");
  // Networks are added, removed and duplicated live (Worker::set_networks); the lists differ in
  // length only while such a change is on its way, or after one failed (LabState::error).
  for (size_t i = 0; i < std::min(a.networks.size(), d.networks.size()); ++i) {
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
  Chance chance;       // of data's test set (LabState::chance)
  RunConfig data_cfg;  // the settings `data` was loaded with (data section and seed)
  std::unique_ptr<Trainer> trainer;
  std::string backend, backend_why, error;
  std::string data_notice;  // LabState::data_notice
  RunHistory history;
  // Each network's parameters as last read while it was healthy (finite, not diverged): what a
  // diverged network trains again from when its settings change — its own are NaN by then.
  std::vector<NetworkParams> healthy;  // (networks)
  int64_t order_start = 0;  // the step the trainer's data order began at: 0, or the last set_batch (Trainer::seek)

  bool playing = false;
  int64_t pending_steps = 0;  // asked for by step(n)
  double speed_limit = 0;
  int64_t pause_at = 0;             // LabState::pause_at
  bool pause_on_divergence = false;
  std::string paused_why;           // LabState::paused_why
  // The run before each destructive edit, oldest first, with what the edit was (LabState::undo_what).
  std::vector<std::pair<std::string, LabSnapshot>> undo_stack;  // (≤ kUndoDepth)
  double tokens = 0;          // steps allowed by the speed limit and not yet trained
  Clock::time_point token_time = Clock::now();
  double step_seconds = 1e-3; // measured time per step, for sizing chunks

  // Steps per second over windows of half a second of wall-clock time (the first after 20 ms, or
  // when the steps asked for are done), so that waiting under a speed limit counts.
  double rate = 0;
  int64_t rate_steps = 0;
  Clock::time_point rate_start = Clock::now();
  void restart_rate() {
    rate_steps = 0;
    rate_start = Clock::now();
  }

  // Events noted in the last kCoalesceSeconds, by the control that made them: the same control
  // again so soon is a slider still being dragged, and relabels its event rather than adding one
  // per frame. Edits that are not drags (a network added or removed, Undo BN) pass coalesce = false.
  struct Recent {
    int net;
    std::string key;
    int64_t step;
    Clock::time_point time;
  };
  std::vector<Recent> recent;
  static constexpr double kCoalesceSeconds = 1.5;
  void note(int net, const Change& c, bool coalesce = true) {
    if (c.text.empty()) return;
    recent.erase(std::remove_if(recent.begin(), recent.end(),
                                [](const Recent& r) { return seconds_since(r.time) >= kCoalesceSeconds; }),
                 recent.end());
    const auto& ev = history.events();
    if (coalesce) {
      for (Recent& r : recent) {
        if (r.net != net || r.key != c.key) continue;
        for (size_t i = ev.size(); i-- > 0;) {
          if (ev[i].net != net || ev[i].step != r.step) continue;
          history.relabel_event(i, c.text);
          r.time = Clock::now();
          return;
        }
      }
    }
    const int64_t step = trainer ? trainer->step() : 0;
    history.add_event(RunEvent{step, net, c.text});
    recent.push_back({net, c.key, step, Clock::now()});
  }

  bool dirty = true;  // something changed since the last publication
  Clock::time_point last_publish = Clock::now(), last_units = Clock::now();

  bool all_diverged() const {
    const auto& n = history.networks();
    return !n.empty() && std::all_of(n.begin(), n.end(), [](const NetworkHistory& h) { return h.diverged_at >= 0; });
  }
  int diverged_count() const {
    const auto& n = history.networks();
    return static_cast<int>(std::count_if(n.begin(), n.end(), [](const NetworkHistory& h) { return h.diverged_at >= 0; }));
  }
  // Stops training by itself (pause at step N, pause on divergence), saying why.
  void pause(std::string why) {
    playing = false;
    pending_steps = 0;
    paused_why = std::move(why);
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

  bool slow_motion() const { return speed_limit > 0 && speed_limit <= kSlowMotion && pending_steps == 0; }
  bool is_logged(int64_t s) const { return s % active.log_every == 0 || s % active.eval_every == 0; }
  bool is_evaluated(int64_t s) const {
    return s % active.eval_every == 0 || (s <= kEarlyPhaseSteps && s % active.log_every == 0);
  }
  int64_t next_logged(int64_t s) const {
    return std::min((s / active.log_every + 1) * active.log_every, (s / active.eval_every + 1) * active.eval_every);
  }

  void rebuild() {
    trainer.reset();  // it refers to `data`, which may be replaced below
    error.clear();
    try {
      if (!data || data_cfg.seed != desired.seed || to_json(data_cfg)["data"] != to_json(desired)["data"]) {
        data.reset();
        data_notice.clear();
        try {
          data = load_data(desired.data, desired.seed);
        } catch (const MnistMissing& e) {
          // A lecturer's lab opens anyway, on the subset built into the binary, and says so.
          data_notice = std::string(e.what()) + ". The lab trains on mnist-10k instead.";
          desired.data.kind = DataKind::Mnist10k;
          data = load_data(desired.data, desired.seed);
        }
        chance = chance_of(data->test.y);
        data_cfg = desired;
      }
      active = desired;
      trainer = make_lab_trainer(active, *data, &backend_why);
      backend = trainer->backend_name();
    } catch (const std::exception& e) {
      error = e.what();
      backend.clear();
    }
    healthy.clear();
    paused_why.clear();
    history.reset(static_cast<int>(active.networks.size()),
                  active.networks.empty() ? 0 : static_cast<int>(active.networks[0].model.hidden.size()));
    pending_steps = 0;
    order_start = 0;
    rate = 0;
    restart_rate();
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

  static bool finite(const NetworkParams& p) {
    for (const LayerParams& L : p.layers)
      for (const std::vector<float>* v : {&L.weight, &L.bias, &L.gamma, &L.beta, &L.running_mean, &L.running_var})
        if (!std::all_of(v->begin(), v->end(), [](float x) { return std::isfinite(x); })) return false;
    return true;
  }

  // Network n's parameters to carry into new settings: its current ones, or after a divergence
  // the last healthy ones read (read_units), so that it can train again.
  NetworkParams params_to_keep(int n) const {
    if (history.networks().at(n).diverged_at >= 0 && n < static_cast<int>(healthy.size()) && !healthy[n].layers.empty())
      return healthy[n];
    return trainer->params(n);
  }

  void read_units() {
    healthy.resize(static_cast<size_t>(trainer->network_count()));
    for (int n = 0; n < trainer->network_count(); ++n) {
      const NetworkParams p = trainer->params(n);
      if (history.networks().at(n).diverged_at < 0 && finite(p)) healthy[n] = p;
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
    if (pause_at > start) n = std::min(n, pause_at - start);
    const int diverged_before = diverged_count();
    const auto t0 = Clock::now();
    trainer->train(n);
    history.add_losses(start + 1, trainer->take_losses());
    for (const LandscapeStats& m : trainer->take_landscape()) history.add_landscape(m);
    const int64_t now = trainer->step();
    // "Step 1" / "Step 100" show where they stop (the One batch tab its batch), logged or not.
    const bool stepped_to = pending_steps > 0 && pending_steps == n && !playing;
    if (is_logged(now) || slow_motion() || stepped_to) trainer->request_snapshot(is_evaluated(now));
    if (pending_steps > 0) pending_steps -= n;
    else if (speed_limit > 0) tokens -= static_cast<double>(n);
    // Paused after the last step asked for: wait for the GPU's snapshots so the state is whole.
    drain(pending_steps == 0 && !playing);
    if (seconds_since(last_units) > kUnitsInterval || (!playing && pending_steps == 0)) read_units();
    if (all_diverged()) {
      playing = false;
      pending_steps = 0;
    }
    if (now == pause_at) pause("paused at step " + with_thousands(now) + ", as asked");
    if (pause_on_divergence && diverged_count() > diverged_before) {
      for (size_t i = 0; i < history.networks().size(); ++i)
        if (history.networks()[i].diverged_at > start)
          pause(active.networks.at(i).name + " diverged at step " + with_thousands(history.networks()[i].diverged_at) +
                ": paused, as asked");
    }

    const double dt = seconds_since(t0);
    step_seconds = 0.8 * step_seconds + 0.2 * dt / static_cast<double>(n);
    rate_steps += n;
    const double wall = seconds_since(rate_start);
    if (wall > 0.5 || (rate == 0 && wall > 0.02) || (!playing && pending_steps == 0 && wall > 0)) {
      rate = static_cast<double>(rate_steps) / wall;
      restart_rate();
    }
    dirty = true;
  }

  // Applies what can change live and records what cannot.
  void apply_desired() {
    if (!trainer) return;
    if (active.networks.size() != desired.networks.size()) {
      // A list of another length from configure (the controls' buttons use edit_network, which
      // says what each network continues): networks are matched by name, a new name starts fresh.
      std::vector<int> from;
      for (const NetworkConfig& d : desired.networks) {
        const auto same = std::find_if(active.networks.begin(), active.networks.end(),
                                       [&](const NetworkConfig& a) { return a.name == d.name; });
        from.push_back(same == active.networks.end() ? -1 : static_cast<int>(same - active.networks.begin()));
      }
      set_networks(from);
    }
    if (active.networks.size() == desired.networks.size()) {
      std::vector<Change> changes(desired.networks.size());
      for (size_t i = 0; i < desired.networks.size(); ++i) {
        NetworkConfig& a = active.networks[i];
        const NetworkConfig& d = desired.networks[i];
        a.name = d.name;
        const bool same_shape = a.model.hidden == d.model.hidden && a.model.activation == d.model.activation &&
                                a.model.init == d.model.init && a.model.init_std == d.model.init_std;
        if (!same_shape || to_json_network(a) == to_json_network(d)) continue;
        NetworkConfig next = a;
        next.model.norm = d.model.norm;
        next.model.dropout = d.model.dropout;
        next.bn = d.bn;
        next.optim = d.optim;
        trainer->set_network(static_cast<int>(i), next, convert_params(params_to_keep(static_cast<int>(i)), next.model, next.bn));
        changes[i] = describe_change(a, next);
        if (a.model.norm != next.model.norm) history.set_norm_since(static_cast<int>(i), trainer->step());
        a = next;
        history.revive(static_cast<int>(i));  // Trainer::set_network lets a diverged network train again
      }
      // The same change to every network (the global learning rate) is one event of the run's.
      const bool same = changes.size() > 1 && std::all_of(changes.begin(), changes.end(), [&](const Change& c) {
        return !c.text.empty() && c.text == changes[0].text;
      });
      if (same) note(-1, changes[0]);
      else
        for (size_t i = 0; i < changes.size(); ++i) note(static_cast<int>(i), changes[i]);
    }
    if (active.batch != desired.batch) {
      trainer->set_batch(desired.batch);
      note(-1, {"batch", "batch " + std::to_string(desired.batch)});
      active.batch = desired.batch;
      order_start = trainer->step();
    }
    if (active.landscape.every != desired.landscape.every) {
      trainer->set_landscape_every(desired.landscape.every);
      active.landscape.every = desired.landscape.every;
    }
    active.log_every = desired.log_every;
    active.eval_every = desired.eval_every;
    active.steps = desired.steps;
    read_units();
    dirty = true;
  }

  // The networks become desired.networks while training: network k continues old network
  // from[k] — its parameters and running statistics, its history and colour — or, with −1,
  // starts from the weights init_params gives (those it would have had at step 0); a second k
  // with the same from[k] is a duplicate: the parameters copied, a history of its own from now.
  // The trainer cannot change its network count, so a new one is made and seeks to this step in
  // the same data order: nothing else restarts, except momentum buffers, which start again at
  // zero for every network (Trainer::seek). A new network keeps the run's shape (hidden widths,
  // activation, initialization); a different one in `desired` waits for a reset as usual.
  void set_networks(std::vector<int> from) {
    for (int& f : from)
      if (f >= static_cast<int>(active.networks.size())) f = -1;
    const NetworkConfig shape = active.networks.front();
    std::vector<NetworkConfig> nets;
    for (size_t k = 0; k < from.size(); ++k) {
      const NetworkConfig& d = desired.networks[k];
      NetworkConfig n = from[k] >= 0 ? active.networks[from[k]] : d;
      n.name = d.name;
      if (from[k] < 0) {
        n.model.hidden = shape.model.hidden;
        n.model.activation = shape.model.activation;
        n.model.init = shape.model.init;
        n.model.init_std = shape.model.init_std;
        n.model.norm.resize(n.model.hidden.size(), n.model.norm.empty() ? Norm::None : n.model.norm.back());
        n.model.dropout.resize(n.model.hidden.size(), n.model.dropout.empty() ? 0.0 : n.model.dropout.back());
      }
      nets.push_back(std::move(n));
    }
    drain(true);  // snapshots of the old list belong to the old indices
    RunConfig next = active;
    next.networks = nets;
    try {
      std::string why;
      std::unique_ptr<Trainer> t = make_lab_trainer(next, *data, &why);
      for (size_t k = 0; k < from.size(); ++k)
        if (from[k] >= 0) t->set_params(static_cast<int>(k), trainer->params(from[k]));
      std::vector<NetworkParams> kept(from.size());
      for (size_t k = 0; k < from.size(); ++k)
        if (from[k] >= 0 && from[k] < static_cast<int>(healthy.size())) kept[k] = healthy[from[k]];
      healthy = std::move(kept);
      t->seek(trainer->step(), order_start);
      trainer = std::move(t);
      backend = trainer->backend_name();
      backend_why = why;
    } catch (const std::exception& e) {
      error = std::string("the networks could not change while training (") + e.what() + "); Reset applies the change";
      return;
    }
    std::vector<std::string> gone;
    for (size_t o = 0; o < active.networks.size(); ++o)
      if (std::find(from.begin(), from.end(), static_cast<int>(o)) == from.end()) gone.push_back(active.networks[o].name);
    active.networks = std::move(nets);
    history.rearrange(from, static_cast<int>(shape.model.hidden.size()));
    for (const std::string& name : gone) note(-1, {"remove", "− " + name}, false);
    for (size_t k = 0; k < from.size(); ++k)
      if (from[k] < 0 || std::find(from.begin(), from.begin() + static_cast<long>(k), from[k]) != from.begin() + static_cast<long>(k))
        note(static_cast<int>(k), {"add", "+ " + active.networks[k].name}, false);
    // A network that has just joined is measured at once, so every view shows it before the next
    // logged step; the others already have this step or get one more point at it.
    const auto& hist = history.networks();
    if (std::any_of(hist.begin(), hist.end(), [](const NetworkHistory& h) { return h.latest_step < 0; })) {
      trainer->request_snapshot(true);
      drain(true);
    }
    read_units();
    dirty = true;
  }

  // A saved run reopened: its parameters and step (the data order where it was), its history.
  // Momentum buffers are not saved; they restart at zero.
  void resume(const LabSnapshot& saved) {
    if (!trainer) return;
    try {
      if (saved.params.size() != active.networks.size())
        throw std::runtime_error(std::to_string(saved.params.size()) + " parameter sets for " +
                                 std::to_string(active.networks.size()) + " networks");
      for (size_t n = 0; n < saved.params.size(); ++n)
        trainer->set_network(static_cast<int>(n), active.networks[n], saved.params[n]);
      trainer->seek(saved.step, saved.order_start);
      order_start = saved.order_start;
      history = saved.history;
      read_units();
    } catch (const std::exception& e) {
      rebuild();
      error = std::string("the saved parameters do not fit this data, so training starts afresh: ") + e.what();
    }
    dirty = true;
  }

  // Keeps the run as it stands for undo(), before an edit described by `what`.
  void remember(std::string what) {
    if (!trainer) return;  // nothing trained yet that an edit could lose
    if (undo_stack.size() == static_cast<size_t>(kUndoDepth)) undo_stack.erase(undo_stack.begin());
    undo_stack.emplace_back(std::move(what) + " at step " + with_thousands(trainer->step()), snapshot());
  }

  LabSnapshot snapshot() {
    LabSnapshot s;
    s.config = active;
    if (trainer) {
      drain(true);  // the snapshots already asked for belong to the steps trained
      s.step = trainer->step();
      s.order_start = order_start;
      for (int n = 0; n < trainer->network_count(); ++n) s.params.push_back(trainer->params(n));
    }
    s.history = history;
    return s;
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
    s->chance = data ? chance : Chance{};
    s->data_notice = data_notice;
    s->ready = trainer != nullptr;
    s->playing = playing;
    s->speed_limit = speed_limit;
    s->pause_at = pause_at;
    s->pause_on_divergence = pause_on_divergence;
    s->paused_why = paused_why;
    s->undo_what = undo_stack.empty() ? std::string() : undo_stack.back().first;
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
        if (quit_) {
          // A GPU trainer's context is current on this thread: it must be destroyed here, not
          // by ~LabSession on the UI thread.
          lock.unlock();
          w.trainer.reset();
          return;
        }
        cmds.swap(commands_);
        if (!cmds.empty()) busy_ = true;
      }
      for (auto& c : cmds) c(w);
      if (w.wait_seconds() == 0) w.train_chunk();
      if (w.dirty && seconds_since(w.last_publish) > kPublishInterval) publish();
    }
  });
}

LabSession::LabSession(std::shared_ptr<const LabSnapshot> saved) : LabSession(saved->config, /*playing=*/false) {
  post([saved](Worker& w) { w.resume(*saved); });
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

LabSnapshot LabSession::capture() {
  auto done = std::make_shared<std::promise<LabSnapshot>>();
  std::future<LabSnapshot> result = done->get_future();
  post([done](Worker& w) { done->set_value(w.snapshot()); });
  return result.get();
}

// [SECTION] Commands

void LabSession::set_playing(bool on) {
  post([on](Worker& w) {
    w.playing = on;
    if (on) w.paused_why.clear();
    w.pending_steps = 0;
    w.restart_rate();
    w.tokens = 0;
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::toggle_playing() {
  post([](Worker& w) {
    w.playing = !w.playing;
    if (w.playing) w.paused_why.clear();
    w.pending_steps = 0;
    w.restart_rate();
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::step(int64_t n) {
  post([n](Worker& w) {
    w.playing = false;
    w.paused_why.clear();
    if (w.pending_steps == 0) w.restart_rate();
    w.pending_steps += std::max<int64_t>(0, n);
    w.dirty = true;
  });
}

void LabSession::set_pause_at(int64_t step) {
  post([step](Worker& w) {
    w.pause_at = std::max<int64_t>(0, step);
    w.dirty = true;
  });
}

void LabSession::set_pause_on_divergence(bool on) {
  post([on](Worker& w) {
    w.pause_on_divergence = on;
    w.dirty = true;
  });
}

void LabSession::set_speed_limit(double sps) {
  post([sps](Worker& w) {
    w.speed_limit = std::max(0.0, sps);
    w.restart_rate();
    w.tokens = 0;
    w.token_time = Clock::now();
    w.dirty = true;
  });
}

void LabSession::reset() {
  post([](Worker& w) {
    w.remember("reset");
    w.rebuild();
  });
}

void LabSession::new_seed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++desired_.seed;
  }
  post([](Worker& w) {
    w.remember("new seed");
    ++w.desired.seed;
    w.rebuild();
  });
}

std::string config_problem(const RunConfig& cfg) {
  try {
    revalidated(cfg);
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::optional<RunConfig> LabSession::checked_or_reported(const RunConfig& cfg) {
  try {
    return revalidated(cfg);
  } catch (const std::exception& e) {
    post([message = std::string(e.what())](Worker& w) {
      w.error = message;
      w.dirty = true;
    });
    return std::nullopt;
  }
}

void LabSession::configure(const RunConfig& desired) {
  const std::optional<RunConfig> valid = checked_or_reported(desired);
  if (!valid) return;
  const RunConfig& checked = *valid;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    desired_ = checked;
  }
  post([checked](Worker& w) {
    w.desired = checked;
    w.error.clear();
    try {
      w.apply_desired();  // e.g. a batch larger than the training set
    } catch (const std::exception& e) {
      w.error = e.what();
    }
    w.dirty = true;
  });
}

void LabSession::edit_network(NetworkEdit what, int net) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (edit_list(desired_.networks, what, net).empty()) return;
  }
  post([what, net](Worker& w) {
    const std::vector<int> from = edit_list(w.desired.networks, what, net);
    if (from.empty() || !w.trainer) return;  // without a trainer the next reset builds the list
    if (what == NetworkEdit::Remove) w.remember("remove " + w.active.networks.at(net).name);
    w.error.clear();
    w.set_networks(from);
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
      w.note(net, {std::string(beta ? "β" : "γ") + std::to_string(layer),
                   "L" + std::to_string(layer + 1) + (beta ? " β " : " γ ") + short_number(value)});
      w.read_units();
    }
    w.dirty = true;
  });
}

void LabSession::open(const RunConfig& cfg) {
  const std::optional<RunConfig> valid = checked_or_reported(cfg);
  if (!valid) return;
  const RunConfig& checked = *valid;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    desired_ = checked;
  }
  post([checked](Worker& w) {
    w.remember("open");
    w.desired = checked;
    w.rebuild();
  });
}

void LabSession::undo() {
  post([this](Worker& w) {
    if (w.undo_stack.empty()) return;
    const LabSnapshot saved = std::move(w.undo_stack.back().second);
    w.undo_stack.pop_back();
    w.desired = saved.config;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      desired_ = saved.config;
    }
    w.playing = false;
    w.rebuild();
    w.resume(saved);
  });
}

void LabSession::undo_normalization(int net) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (net >= 0 && net < static_cast<int>(desired_.networks.size())) desired_.networks[net].bn.learn_affine = false;
  }
  post([net](Worker& w) {
    if (!w.trainer || net < 0 || net >= w.trainer->network_count()) return;
    NetworkConfig cfg = w.active.networks[net];
    NetworkParams p = w.params_to_keep(net);
    bool any = false;
    for (LayerParams& L : p.layers) {
      if (L.norm != Norm::Batch) continue;
      any = true;
      for (int j = 0; j < L.out; ++j) {
        L.gamma[j] = std::sqrt(L.running_var[j] + static_cast<float>(cfg.bn.eps));
        L.beta[j] = L.running_mean[j];
      }
    }
    if (!any) {
      w.error = cfg.name + ": no BatchNorm layer, so nothing to undo";
    } else {
      cfg.bn.learn_affine = false;
      w.trainer->set_network(net, cfg, p);
      w.note(net, {"undo-bn", "Undo BN"}, false);
      w.active.networks[net] = cfg;
      if (net < static_cast<int>(w.desired.networks.size())) w.desired.networks[net].bn.learn_affine = false;
      w.history.revive(net);
      w.read_units();
    }
    w.dirty = true;
  });
}

}  // namespace bnlab
