// run.cpp — the headless training loop.
//
// Steps are trained in chunks that end on every logged step, so snapshots land exactly on
// multiples of log_every and eval_every, and a stop request is seen within one chunk. A GPU that
// fails mid-run hands over to the CPU reference (RunOptions::gpu_fallback) without a gap or a
// repeated row in the files.

#include "core/run.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>

#include "core/gl_context.h"
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
  Trainer* t = &trainer;  // the trainer in use: `trainer`, or the CPU reference after a GPU failure

  // Every step's losses, (steps, networks): kept so that snapshots, which a GPU backend may
  // deliver later than the step they measure, can be joined with their step's loss.
  std::vector<float> losses;
  int64_t last_row = first;   // step of the previous metrics row, for train_loss_mean
  int64_t next_loss = first + 1;  // step of the next row t->take_losses() returns
  struct Request {
    int64_t step;
    bool with_eval;
  };
  std::deque<Request> requested;  // snapshots asked for and not yet delivered, oldest first

  auto losses_held = [&] { return first + static_cast<int64_t>(losses.size() / nets); };
  auto take_losses = [&] {
    const std::vector<float> fresh = t->take_losses();
    const int64_t rows = static_cast<int64_t>(fresh.size() / nets);
    // After a switch to the CPU, the replayed steps' losses are held (and written) already.
    const int64_t skip = std::clamp<int64_t>(losses_held() - next_loss + 1, 0, rows);
    const std::vector<float> kept(fresh.begin() + skip * static_cast<int64_t>(nets), fresh.end());
    if (opt.writer) opt.writer->write_losses(losses_held() + 1, kept);
    losses.insert(losses.end(), kept.begin(), kept.end());
    next_loss += rows;
  };
  // The meters' measurements: after a switch to the CPU, those of replayed steps are held already.
  int64_t next_landscape = first;  // the earliest step whose measurement is not held yet
  auto take_landscape = [&] {
    for (LandscapeStats& s : t->take_landscape()) {
      if (s.step < next_landscape) continue;
      next_landscape = s.step + 1;
      if (opt.writer) opt.writer->write_landscape(s);
      summary.landscape.push_back(std::move(s));
    }
  };
  auto request = [&](bool with_eval) {
    requested.push_back({t->step(), with_eval});  // first: a request the GPU fails on is asked again
    t->request_snapshot(with_eval);
  };
  auto deliver = [&](StepStats s) {
    requested.pop_front();
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
    take_landscape();
    while (auto s = t->poll_snapshot(wait)) deliver(std::move(*s));
  };
  auto all_diverged = [&] {
    if (summary.snapshots.empty()) return false;
    const auto& last = summary.snapshots.back().networks;
    return std::all_of(last.begin(), last.end(), [](const NetworkStats& n) { return n.diverged_at >= 0; });
  };
  // A GPU failure: what the lost GPU had queued but not handed back is gone. Resume at the last
  // step up to which the run holds everything — every loss, and every snapshot asked for — on a
  // CPU reference replayed there from step 0, and ask again for a snapshot lost at that step.
  auto switch_to_cpu = [&](const GpuError& e) {
    if (!opt.gpu_fallback || summary.fallback || first != 0) throw e;
    const int64_t failed_at = t->step();
    const int64_t resume = requested.empty() ? losses_held() : std::min(requested.front().step, losses_held());
    summary.fallback = opt.gpu_fallback();
    t = summary.fallback.get();
    if (opt.message)
      opt.message("GPU failed at step " + std::to_string(failed_at) + " (" + e.what() +
                  "); continuing on the CPU reference from step " + std::to_string(resume) + " after replaying " +
                  std::to_string(resume) + " steps");
    t->train(resume);
    next_loss = 1;
    take_losses();  // all held already: drops them
    take_landscape();  // likewise
    const std::deque<Request> lost = std::exchange(requested, {});
    for (const Request& r : lost)
      if (r.step == resume) request(r.with_eval);  // later ones are asked for again on the way
  };

  auto last_report = clock::now();
  try {
    request(true);
  } catch (const GpuError& e) {
    switch_to_cpu(e);
  }
  bool done = false;
  while (!done) {
    try {
      while (t->step() < cfg.steps) {
        if (opt.stop && opt.stop->load()) {
          summary.stopped = true;
          break;
        }
        const int64_t target = next_logged(t->step(), cfg);
        t->train(target - t->step());
        if (is_logged(t->step(), cfg)) request(t->step() % cfg.eval_every == 0 || t->step() == cfg.steps);
        drain(false);
        if (all_diverged()) break;
        const auto now = clock::now();
        if (opt.progress && now - last_report > std::chrono::milliseconds(200)) {
          const double secs = std::chrono::duration<double>(now - start).count();
          opt.progress(t->step(), cfg.steps, static_cast<double>(t->step() - first) / secs);
          last_report = now;
        }
      }
      drain(true);
      done = true;
    } catch (const GpuError& e) {
      switch_to_cpu(e);
    }
  }
  summary.steps_done = t->step();
  summary.losses = std::move(losses);
  summary.seconds = std::chrono::duration<double>(clock::now() - start).count();
  if (opt.progress) opt.progress(t->step(), cfg.steps, static_cast<double>(t->step() - first) / summary.seconds);
  return summary;
}

}  // namespace bnlab
