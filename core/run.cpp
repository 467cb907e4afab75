// run.cpp — the headless training loop.
//
// Steps are trained in chunks that end on every logged step, so snapshots land exactly on
// multiples of log_every and eval_every, and a stop request is seen within one chunk.

#include "core/run.h"

#include <algorithm>
#include <chrono>

#include "core/run_writer.h"

namespace bnlab {

namespace {

bool is_logged(int64_t step, const RunConfig& cfg) {
  return step % cfg.log_every == 0 || step % cfg.eval_every == 0 || step == cfg.steps;
}

int64_t next_logged(int64_t step, const RunConfig& cfg) {
  const int64_t a = (step / cfg.log_every + 1) * cfg.log_every;
  const int64_t b = (step / cfg.eval_every + 1) * cfg.eval_every;
  return std::min({a, b, cfg.steps});
}

}  // namespace

RunSummary run_training(Trainer& trainer, const RunConfig& cfg, const RunOptions& opt) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const size_t nets = static_cast<size_t>(trainer.network_count());
  const int64_t first = trainer.step();
  RunSummary summary;

  // Every step's losses, (steps, networks): kept so that snapshots, which a GPU backend may
  // deliver later than the step they measure, can be joined with their step's loss.
  std::vector<float> losses;
  int64_t last_row = first;  // step of the previous metrics row, for train_loss_mean

  auto take_losses = [&] {
    std::vector<float> fresh = trainer.take_losses();
    if (opt.writer) opt.writer->write_losses(first + 1 + static_cast<int64_t>(losses.size() / nets), fresh);
    losses.insert(losses.end(), fresh.begin(), fresh.end());
  };
  auto deliver = [&](StepStats s) {
    std::vector<float> at(nets, kNaN), mean(nets, kNaN);
    if (s.step > first) {
      for (size_t n = 0; n < nets; ++n) {
        at[n] = losses[(s.step - first - 1) * nets + n];
        double sum = 0;
        for (int64_t k = last_row + 1; k <= s.step; ++k) sum += losses[(k - first - 1) * nets + n];
        mean[n] = static_cast<float>(sum / static_cast<double>(s.step - last_row));
      }
    }
    last_row = s.step;
    if (opt.writer) opt.writer->write_snapshot(s, at, mean);
    summary.snapshots.push_back(std::move(s));
  };
  auto drain = [&](bool wait) {
    take_losses();
    while (auto s = trainer.poll_snapshot(wait)) deliver(std::move(*s));
  };
  auto all_diverged = [&] {
    if (summary.snapshots.empty()) return false;
    const auto& last = summary.snapshots.back().networks;
    return std::all_of(last.begin(), last.end(), [](const NetworkStats& n) { return n.diverged_at >= 0; });
  };

  trainer.request_snapshot(true);
  auto last_report = clock::now();
  while (trainer.step() < cfg.steps) {
    if (opt.stop && opt.stop->load()) {
      summary.stopped = true;
      break;
    }
    const int64_t target = next_logged(trainer.step(), cfg);
    trainer.train(target - trainer.step());
    if (is_logged(trainer.step(), cfg))
      trainer.request_snapshot(trainer.step() % cfg.eval_every == 0 || trainer.step() == cfg.steps);
    drain(false);
    if (all_diverged()) break;
    const auto now = clock::now();
    if (opt.progress && now - last_report > std::chrono::milliseconds(200)) {
      const double secs = std::chrono::duration<double>(now - start).count();
      opt.progress(trainer.step(), cfg.steps, static_cast<double>(trainer.step() - first) / secs);
      last_report = now;
    }
  }
  drain(true);
  summary.steps_done = trainer.step();
  summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (opt.progress) opt.progress(trainer.step(), cfg.steps, static_cast<double>(trainer.step() - first) / summary.seconds);
  return summary;
}

}  // namespace bnlab
