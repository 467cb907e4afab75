// cpu_trainer.cpp — the Trainer interface on the Eigen reference, float32, on a few threads.
//
// [SECTION] Set-up
// [SECTION] Training
// [SECTION] Snapshots and evaluation
//
// Networks train in parallel, one network per task: worker w of the pool trains networks w,
// w + W, w + 2W, ... through a chunk of steps, all on the batches the main thread drew for that
// chunk (each step's batch gathered once, by the first worker to reach it: StepBatch), and the
// chunk ends at the pool's barrier (the lockstep of trainer.h, per chunk rather
// than per step so that a barrier costs nothing beside the chunk's work). Every network's
// arithmetic is the same whichever thread does it, so results are bit for bit those of one
// thread. Eigen's own threading stays off (it is built without OpenMP): one network's products
// are too small to split well.

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/batches.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/large_buffer.h"
#include "core/trainer.h"
#include "core/worker_pool.h"

namespace bnlab {

namespace {

using Net = CpuNetwork<float>;
using Mat = Net::Mat;

// Copies examples idx[0..m) of `d` into the columns of `u` (dim, m).
void gather(const Dataset& d, const int32_t* idx, int m, Mat& u) {
  u.resize(d.dim, m);
  for (int j = 0; j < m; ++j) std::copy_n(d.example(idx[j]), d.dim, u.col(j).data());
}

// Steps per chunk: one barrier per chunk, and the chunk's batch indices held at once.
constexpr int64_t kChunkSteps = 64;
// The first layer takes a batch as its non-zero inputs when they are at most this share of the
// batch's entries. A non-zero costs a column of W in the forward product, one of dz in the weight
// gradient, and listing it: several times what an entry costs the dense products. Measured on the
// paper network (one network, every batch made sparse, 2-core AMD EPYC), a sparse step costs
// about 0.4 + 1.7·share dense steps — 0.7 on MNIST (19% non-zero), 1.2 on Fashion-MNIST (50%),
// 2.1 on dense blobs — so the two break even at a share of about 0.36.
constexpr double kSparseMaxShare = 0.35;

// Every training example's non-zero inputs, listed once, so that a batch's non-zero count is m
// look-ups and its sparse form m contiguous copies (picking them from the examples' rows instead
// waits on a cache miss for nearly every one). Listed by the pool's workers, each taking a
// contiguous share of the examples: counted first, so that each share knows where its entries
// start, then written.
struct NonZeroInputs {
  std::vector<int64_t> start;        // (examples + 1) example i's entries are start[i] … start[i + 1] − 1
  std::unique_ptr<int32_t[]> input;  // (nonzeros) each entry's input, ascending within an example
  std::unique_ptr<float[]> value;    // (nonzeros)

  int count(int32_t example) const { return static_cast<int>(start[example + 1] - start[example]); }
};

// The lists of `d`, or none when more than kSparseMaxShare of its inputs are non-zero: a set that
// is dense on the whole keeps dense batches (Fashion-MNIST's lists would take 190 MB).
std::optional<NonZeroInputs> list_nonzeros(const Dataset& d, WorkerPool& pool) {
  const int n = d.size(), workers = pool.size();
  const auto share = [&](int w, int* first, int* end) {
    *first = static_cast<int>(static_cast<int64_t>(n) * w / workers);
    *end = static_cast<int>(static_cast<int64_t>(n) * (w + 1) / workers);
  };
  NonZeroInputs z;
  z.start.resize(static_cast<size_t>(n) + 1);
  pool.run([&](int w) {
    int first, end;
    share(w, &first, &end);
    for (int i = first; i < end; ++i) {
      const float* x = d.example(i);
      z.start[i + 1] = d.dim - std::count(x, x + d.dim, 0.0f);  // NaN counts as not 0
    }
  });
  for (int i = 0; i < n; ++i) z.start[i + 1] += z.start[i];
  const int64_t nonzeros = z.start[n];
  if (nonzeros > kSparseMaxShare * static_cast<double>(d.x.size())) return std::nullopt;
  // Left uninitialized (every entry is written below), on huge pages (large_buffer.h).
  z.input.reset(new int32_t[static_cast<size_t>(nonzeros)]);
  z.value.reset(new float[static_cast<size_t>(nonzeros)]);
  advise_huge_pages(z.input.get(), sizeof(int32_t) * static_cast<size_t>(nonzeros));
  advise_huge_pages(z.value.get(), sizeof(float) * static_cast<size_t>(nonzeros));
  pool.run([&](int w) {
    int first, end;
    share(w, &first, &end);
    for (int i = first; i < end; ++i) {
      const float* x = d.example(i);
      int64_t e = z.start[i];
      if (z.start[i + 1] < z.start[end]) {
        // Every input is written at the next free entry, which only a non-zero one keeps: no
        // branch to mispredict (this halves the time). That writes one entry past the example's
        // last: one of this share's, which the example owning it writes again.
        for (int f = 0; f < d.dim; ++f) {
          z.input[e] = f;
          z.value[e] = x[f];
          e += !(x[f] == 0.0f);
        }
      } else {
        // The share's last entries: the one past them is the next share's (another worker's).
        for (int f = 0; f < d.dim; ++f)
          if (!(x[f] == 0.0f)) {
            z.input[e] = f;
            z.value[e++] = x[f];
          }
      }
    }
  });
  return z;
}

// A mini-batch as the first layer reads it: dense, or by its non-zero inputs.
struct Batch {
  Mat u{0, 0};                  // (dim, m); not filled when `is_sparse`
  SparseBatch<float> sparse;    // the batch's non-zero inputs, when `is_sparse`
  bool is_sparse = false;
  std::vector<int32_t> y;       // (m) labels

  const SparseBatch<float>* sparse_or_null() const { return is_sparse ? &sparse : nullptr; }
};

// One step's mini-batch, prepared by whichever worker reaches the step first and read by every
// worker (the others wait the microseconds the preparation takes, yielding). Preparing it once
// rather than once per worker halves that work on two threads, and the worker of the fastest
// networks, ahead of the others, ends up preparing most batches: work taken from the slowest.
struct StepBatch {
  Batch batch;
  std::atomic<int> state{0};    // kFree → kPreparing → kReady (or kFailed: preparing threw)

  static constexpr int kFree = 0, kPreparing = 1, kReady = 2, kFailed = 3;
};

// One worker's scratch for evaluation and the meters.
struct WorkerScratch {
  Batch eval;                     // a chunk of the test set or the training subset being evaluated
  LandscapeScratch<float> meter;  // the meters' networks (core/landscape.h)
};

// Gathers examples idx[0..m) of `d` into b: as a sparse batch when the set's `nonzeros` are given
// and few enough to pay, else dense. The by-input lists, which only the weight gradient reads,
// are made `for_backward` only.
void prepare(const Dataset& d, const NonZeroInputs* nonzeros, const int32_t* idx, int m, bool for_backward, Batch& b) {
  b.y.resize(m);
  for (int j = 0; j < m; ++j) b.y[j] = d.y[idx[j]];
  int64_t count = 0;
  if (nonzeros)
    for (int j = 0; j < m; ++j) count += nonzeros->count(idx[j]);
  b.is_sparse = nonzeros && count <= kSparseMaxShare * d.dim * m;
  if (!b.is_sparse) {
    gather(d, idx, m, b.u);
    return;
  }
  SparseBatch<float>& s = b.sparse;
  s.example_start.resize(static_cast<size_t>(m) + 1);
  s.example_input.resize(static_cast<size_t>(count));
  s.example_value.resize(static_cast<size_t>(count));
  int32_t e = 0;
  for (int j = 0; j < m; ++j) {
    s.example_start[j] = e;
    const int64_t first = nonzeros->start[idx[j]];
    const int n = nonzeros->count(idx[j]);
    std::copy_n(nonzeros->input.get() + first, n, s.example_input.data() + e);
    std::copy_n(nonzeros->value.get() + first, n, s.example_value.data() + e);
    e += n;
  }
  s.example_start[m] = e;
  if (for_backward) s.index_inputs(d.dim);
}

// The strip (stats.h BatchStrip) of hidden layer L at `unit`, from the caches the training step
// `step`'s forward pass just left on batch `labels`: before its backward pass and update, so γ and
// β are those the step used.
BatchStrip capture_strip(const CpuLayer<float>& L, int unit, int64_t step, const std::vector<int32_t>& labels) {
  BatchStrip s;
  s.step = step;
  s.norm = L.norm;
  s.labels = labels;
  const auto row = [&](const Mat& m) {  // (width, m) → unit's (m) values
    std::vector<float> v(static_cast<size_t>(m.cols()));
    for (Eigen::Index j = 0; j < m.cols(); ++j) v[static_cast<size_t>(j)] = m(unit, j);
    return v;
  };
  s.x = row(L.x);
  if (L.norm == Norm::Batch) {
    s.xhat = row(L.xhat);
    s.y = row(L.z);
    s.mu = L.mu(unit);
    s.sigma = 1.f / L.inv_std(unit);
    s.gamma = L.gamma(unit);
    s.beta = L.beta(unit);
  } else {
    strip_reference(s.x, &s.mu, &s.sigma);
  }
  return s;
}

class CpuTrainer final : public Trainer {
 public:
  // [SECTION] Set-up

  CpuTrainer(const RunConfig& cfg, const DataSplit& data, bool sparse_first_layer)
      : cfg_(cfg),
        data_(data),
        order_(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed),
        // One network per task: threads beyond the network count would have nothing to do.
        pool_(std::max(1, std::min(resolve_threads(cfg.threads, false), static_cast<int>(cfg.networks.size())))) {
    // Eigen's products allocate their packing buffers on every call. Above glibc's mmap threshold
    // each one would be a fresh mmap + page faults + munmap, which halves the step rate; keep
    // them on the heap instead.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);

    if (cfg.batch > data.train.size())
      throw ConfigError("optim.batch=" + std::to_string(cfg.batch) + ": larger than the training set (" +
                        std::to_string(data.train.size()) + " examples)");
    for (const auto& n : cfg.networks)
      nets_.emplace_back(n, init_params(n.model, n.bn, data.train.dim, data.train.classes, cfg.seed));
    diverged_at_.assign(nets_.size(), -1);
    scratch_.resize(static_cast<size_t>(pool_.size()));
    if (sparse_first_layer) {
      nonzeros_ = list_nonzeros(data.train, pool_);
      if (nonzeros_) test_nonzeros_ = list_nonzeros(data.test, pool_);
    }
    grad_norm_.resize(nets_.size());
    update_ratio_.resize(nets_.size());
    strip_.resize(nets_.size());

    // The probe set: the first probe_size test examples, fixed for the whole run.
    const int probe = std::min(cfg.stats.probe_size, data.test.size());
    std::vector<int32_t> idx(probe);
    for (int i = 0; i < probe; ++i) idx[i] = i;
    gather(data.test, idx.data(), probe, probe_u_);
    probe_y_.assign(data.test.y.begin(), data.test.y.begin() + probe);
  }

  std::string backend_name() const override {
    return "cpu, " + std::to_string(pool_.size()) + (pool_.size() == 1 ? " thread" : " threads");
  }
  int network_count() const override { return static_cast<int>(nets_.size()); }
  int64_t step() const override { return step_; }

  // [SECTION] Training

  void train(int64_t count) override {
    const int nets = network_count(), workers = pool_.size();
    while (count > 0) {
      const int64_t steps = std::min(count, kChunkSteps);
      count -= steps;
      const bool last_chunk = count == 0;
      // The chunk's batches, drawn here in the shared order: (steps, batch).
      chunk_idx_.resize(static_cast<size_t>(steps) * batch_);
      for (int64_t k = 0; k < steps; ++k) std::copy_n(order_.next(), batch_, chunk_idx_.data() + k * batch_);
      const size_t first_loss = losses_.size();
      losses_.resize(first_loss + static_cast<size_t>(steps) * nets);
      const int64_t first_step = step_;
      // The meters' measurements of this chunk, one for every t with t % every == 0, taken before
      // step t + 1; each worker fills in the networks it trains.
      const size_t first_meter = landscape_.size();
      if (landscape_every_ > 0)
        for (int64_t t = first_step; t < first_step + steps; ++t)
          if (t % landscape_every_ == 0) {
            LandscapeStats m;
            m.step = t;
            m.multipliers = cfg_.landscape.multipliers;
            m.networks.resize(nets_.size());
            landscape_.push_back(std::move(m));
          }
      for (int64_t k = 0; k < steps; ++k) step_batches_[k].state.store(StepBatch::kFree, std::memory_order_relaxed);
      pool_.run([&](int w) {
        size_t meter = first_meter;
        for (int64_t k = 0; k < steps; ++k) {
          const Batch& b = step_batch(k);
          if (meter < landscape_.size() && landscape_[meter].step == first_step + k)
            measure_landscapes(w, b, landscape_[meter++]);
          const bool last = last_chunk && k + 1 == steps;
          for (int n = w; n < nets; n += workers)
            losses_[first_loss + static_cast<size_t>(k * nets + n)] = train_one(n, first_step + k + 1, b, last);
        }
      });
      step_ += steps;
    }
  }

  std::vector<float> take_losses() override { return std::exchange(losses_, {}); }

  void set_landscape_every(int64_t every) override { landscape_every_ = every; }
  std::vector<LandscapeStats> take_landscape() override { return std::exchange(landscape_, {}); }

  NetworkParams params(int net) const override { return nets_.at(net).params(); }
  void set_params(int net, const NetworkParams& p) override { nets_.at(net).set_params(p); }

  void set_network(int net, const NetworkConfig& cfg, const NetworkParams& p) override {
    check_shapes(p, cfg.model, data_.train.dim, data_.train.classes);
    nets_.at(net) = Net(cfg, p);
    diverged_at_[net] = -1;
    grad_norm_[net].clear();
    update_ratio_[net].clear();
    strip_[net].clear();
  }

  void set_batch(int batch) override {
    if (batch > data_.train.size())
      throw ConfigError("optim.batch=" + std::to_string(batch) + ": larger than the training set (" +
                        std::to_string(data_.train.size()) + " examples)");
    batch_ = batch;
    order_ = BatchOrder(data_.train.size(), batch, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(step_));
  }

  void seek(int64_t step, int64_t order_start) override {
    check_seek(step, order_start);
    order_ = BatchOrder(data_.train.size(), batch_, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(order_start));
    order_.skip(step - order_start);
    step_ = step;
  }

  // [SECTION] Snapshots and evaluation

  // Each network is measured by the worker that trains it.
  void request_snapshot(bool with_eval) override {
    StepStats s;
    s.step = step_;
    s.networks.resize(nets_.size());
    const int nets = network_count(), workers = pool_.size();
    pool_.run([&](int w) {
      for (int n = w; n < nets; n += workers) s.networks[n] = measure(n, with_eval, scratch_[static_cast<size_t>(w)].eval);
    });
    ready_.push_back(std::move(s));
  }

  std::optional<StepStats> poll_snapshot(bool) override {
    if (ready_.empty()) return std::nullopt;
    StepStats s = std::move(ready_.front());
    ready_.pop_front();
    return s;
  }

 private:
  // Step `step` (counted from 1) of network n on batch b. Runs on a worker: it touches network
  // n's own state only.
  float train_one(int n, int64_t step, const Batch& b, bool measure_norms) {
    if (diverged_at_[n] >= 0) return kNaN;
    Net& net = nets_[n];
    const BnNoiseKey noise{cfg_.seed, step - 1};
    const float loss = net.forward(b.u, b.y.data(), PassMode::Train, &noise, b.sparse_or_null());
    if (!std::isfinite(loss)) {
      diverged_at_[n] = step;
      return loss;
    }
    if (measure_norms) {
      // Here, while the caches are this step's: probe, evaluation and meter passes overwrite them.
      const auto& layers = net.layers();
      strip_[n].clear();
      for (size_t l = 0; l + 1 < layers.size(); ++l)
        strip_[n].push_back(capture_strip(layers[l], cfg_.stats.typical_unit, step, b.y));
    }
    net.backward(b.u, b.y.data(), b.sparse_or_null());
    net.update();
    if (measure_norms) {
      // ‖ΔW‖ is lr·‖v‖ with momentum, lr·‖∂ℓ/∂W‖ without.
      const auto& layers = net.layers();
      grad_norm_[n].resize(layers.size());
      update_ratio_[n].resize(layers.size());
      for (size_t l = 0; l < layers.size(); ++l) {
        const auto& L = layers[l];
        grad_norm_[n][l] = L.dW.norm();
        const float step_norm = static_cast<float>(net.config().optim.lr) * (L.vW.size() ? L.vW.norm() : L.dW.norm());
        update_ratio_[n][l] = step_norm / L.W.norm();
      }
    }
    return loss;
  }

  // Step k of the chunk's batch: prepared here if no other worker has started it, else waited for.
  const Batch& step_batch(int64_t k) {
    StepBatch& b = step_batches_[k];
    int free = StepBatch::kFree;
    if (b.state.compare_exchange_strong(free, StepBatch::kPreparing, std::memory_order_acquire)) {
      try {
        prepare(data_.train, nonzeros_ ? &*nonzeros_ : nullptr, chunk_idx_.data() + k * batch_, batch_, true, b.batch);
      } catch (...) {
        b.state.store(StepBatch::kFailed, std::memory_order_release);
        throw;
      }
      b.state.store(StepBatch::kReady, std::memory_order_release);
      return b.batch;
    }
    for (int state; (state = b.state.load(std::memory_order_acquire)) != StepBatch::kReady;) {
      if (state == StepBatch::kFailed) throw std::runtime_error("a mini-batch could not be prepared");
      std::this_thread::yield();
    }
    return b.batch;
  }

  // The meters of the networks worker w trains, at θ_t on the batch b that step t + 1 is about to
  // train on, as that step reads it, with its noise draws.
  void measure_landscapes(int w, const Batch& b, LandscapeStats& m) {
    const BnNoiseKey noise{cfg_.seed, m.step};
    for (int n = w; n < network_count(); n += pool_.size())
      if (diverged_at_[n] < 0)
        m.networks[n] = measure_landscape(nets_[n], b.u, b.sparse_or_null(), b.y.data(), noise, m.multipliers, scratch_[static_cast<size_t>(w)].meter);
  }

  NetworkStats measure(int n, bool with_eval, Batch& eval) {
    NetworkStats s;
    s.diverged_at = diverged_at_[n];
    Net& net = nets_[n];
    const auto& ncfg = net.config();
    const BnNoiseKey noise{cfg_.seed, step_};  // the draws the next step will use (bn_noise.h)
    net.forward(probe_u_, probe_y_.data(), PassMode::Probe, &noise);
    const size_t hidden = net.layers().size() - 1;
    for (size_t l = 0; l < hidden; ++l) {
      const auto& L = net.layers()[l];
      LayerStats ls;
      const int width = static_cast<int>(L.x.rows()), m = static_cast<int>(L.x.cols());
      // (width, m) column-major is (m, width) row-major: the layout measure_layer takes.
      measure_layer(L.x.data(), L.z.data(), L.a.data(), m, width, ncfg.model.activation, cfg_.stats.bins,
                    cfg_.stats.typical_unit, &ls);
      ls.weight_norm = L.W.norm();
      if (!grad_norm_[n].empty()) {
        ls.grad_norm = grad_norm_[n][l];
        ls.update_ratio = update_ratio_[n][l];
      }
      if (s.diverged_at < 0 && l < strip_[n].size()) ls.strip = strip_[n][l];
      if (L.norm != Norm::None) {
        const float count = static_cast<float>(L.gamma.size());
        ls.gamma_mean = L.gamma.mean();
        ls.gamma_std = std::sqrt((L.gamma.array() - ls.gamma_mean).square().sum() / count);
        ls.beta_mean = L.beta.mean();
        ls.beta_std = std::sqrt((L.beta.array() - ls.beta_mean).square().sum() / count);
      }
      s.layers.push_back(std::move(ls));
    }
    if (with_eval) {
      s.has_eval = true;
      // A diverged network's NaN weights would still "predict" a class; report no accuracy.
      if (s.diverged_at < 0) {
        evaluate(net, eval, data_.test, test_nonzeros_ ? &*test_nonzeros_ : nullptr, data_.test.size(), &s.test_loss, &s.test_acc);
        float train_loss;  // not reported: train loss comes from the training steps themselves
        evaluate(net, eval, data_.train, nonzeros_ ? &*nonzeros_ : nullptr, std::min(cfg_.eval_train_size, data_.train.size()),
                 &train_loss, &s.train_acc);
      }
    }
    return s;
  }

  // Loss and accuracy in eval mode on the first `rows` examples of `set` (the test set, or the
  // fixed training subset). With eval_stats = batch, BN normalizes each chunk of `batch`
  // consecutive examples with that chunk's own statistics (what a model left in train mode does);
  // a last chunk of one example is folded into the one before.
  // The first layer takes a chunk by its non-zero inputs as training does, when `nonzeros` (the
  // set's lists) are given and the chunk is sparse enough: evaluation is a fifth of `bnlab run`.
  void evaluate(Net& net, Batch& eval, const Dataset& set, const NonZeroInputs* nonzeros, int rows, float* loss, float* acc) {
    const bool batch_stats = cfg_.eval_stats == EvalStats::Batch;
    const int chunk = batch_stats ? batch_ : 1000;
    const PassMode mode = batch_stats ? PassMode::Probe : PassMode::Eval;
    double total = 0;
    int correct = 0;
    std::vector<int32_t> idx;
    for (int begin = 0; begin < rows;) {
      int end = std::min(begin + chunk, rows);
      if (rows - end == 1) end = rows;
      idx.resize(end - begin);
      for (int i = begin; i < end; ++i) idx[i - begin] = i;
      prepare(set, nonzeros, idx.data(), end - begin, false, eval);
      const int32_t* labels = eval.y.data();
      total += static_cast<double>(net.forward(eval.u, labels, mode, nullptr, eval.sparse_or_null())) * (end - begin);
      const Mat& p = net.probabilities();
      for (int j = 0; j < end - begin; ++j) {
        Eigen::Index best;
        p.col(j).maxCoeff(&best);
        correct += best == labels[j];
      }
      begin = end;
    }
    *loss = static_cast<float>(total / rows);
    *acc = static_cast<float>(correct) / static_cast<float>(rows);
  }

  const RunConfig cfg_;
  const DataSplit& data_;
  // The training examples' non-zero inputs, for the sparse first layer (none: every batch dense).
  std::optional<NonZeroInputs> nonzeros_;
  std::optional<NonZeroInputs> test_nonzeros_;  // the test examples', for evaluation
  int batch_ = cfg_.batch;
  BatchOrder order_;
  WorkerPool pool_;
  std::vector<StepBatch> step_batches_ = std::vector<StepBatch>(kChunkSteps);  // (steps of a chunk)
  std::vector<WorkerScratch> scratch_;           // (workers)
  std::vector<int32_t> chunk_idx_;               // (steps of the chunk, batch)
  std::vector<Net> nets_;
  int64_t step_ = 0;
  std::vector<int64_t> diverged_at_;             // (networks)
  std::vector<std::vector<float>> grad_norm_;    // (networks, layers) of the last measured step
  std::vector<std::vector<float>> update_ratio_; // (networks, layers)
  // (networks, hidden layers) the last train() call's last step's mini-batch at the typical unit,
  // captured in that step: what every later snapshot reports until the next train() call.
  std::vector<std::vector<BatchStrip>> strip_;
  std::vector<float> losses_;                    // (steps since take_losses, networks)
  std::deque<StepStats> ready_;
  int64_t landscape_every_ = cfg_.landscape.every;
  std::vector<LandscapeStats> landscape_;        // measured and not yet taken, oldest first

  Mat probe_u_;                                  // (dim, probe)
  std::vector<int32_t> probe_y_;                 // (probe)
};

}  // namespace

std::unique_ptr<Trainer> make_cpu_trainer(const RunConfig& cfg, const DataSplit& data, bool sparse_first_layer) {
  return std::make_unique<CpuTrainer>(cfg, data, sparse_first_layer);
}

}  // namespace bnlab
