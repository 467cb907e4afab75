// cpu_trainer.cpp — the Trainer interface on the Eigen reference, float32, one thread.
//
// [SECTION] Set-up
// [SECTION] Training
// [SECTION] Snapshots and evaluation

#include <malloc.h>

#include <cmath>
#include <deque>

#include "core/batches.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/trainer.h"

namespace bnlab {

namespace {

using Net = CpuNetwork<float>;
using Mat = Net::Mat;

// Copies examples idx[0..m) of `d` into the columns of `u` (dim, m).
void gather(const Dataset& d, const int32_t* idx, int m, Mat& u) {
  u.resize(d.dim, m);
  for (int j = 0; j < m; ++j) std::copy_n(d.example(idx[j]), d.dim, u.col(j).data());
}

class CpuTrainer final : public Trainer {
 public:
  // [SECTION] Set-up

  CpuTrainer(const RunConfig& cfg, const DataSplit& data)
      : cfg_(cfg), data_(data), order_(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed) {
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
    grad_norm_.resize(nets_.size());
    update_ratio_.resize(nets_.size());

    // The probe set: the first probe_size test examples, fixed for the whole run.
    const int probe = std::min(cfg.stats.probe_size, data.test.size());
    std::vector<int32_t> idx(probe);
    for (int i = 0; i < probe; ++i) idx[i] = i;
    gather(data.test, idx.data(), probe, probe_u_);
    probe_y_.assign(data.test.y.begin(), data.test.y.begin() + probe);
  }

  std::string backend_name() const override { return "cpu"; }
  int network_count() const override { return static_cast<int>(nets_.size()); }
  int64_t step() const override { return step_; }

  // [SECTION] Training

  void train(int64_t count) override {
    for (int64_t k = 0; k < count; ++k) {
      const int32_t* idx = order_.next();
      gather(data_.train, idx, batch_, u_);
      for (int i = 0; i < batch_; ++i) y_[i] = data_.train.y[idx[i]];
      ++step_;
      const bool last = k + 1 == count;
      for (size_t n = 0; n < nets_.size(); ++n) losses_.push_back(train_one(n, last));
    }
  }

  std::vector<float> take_losses() override { return std::exchange(losses_, {}); }

  NetworkParams params(int net) const override { return nets_.at(net).params(); }
  void set_params(int net, const NetworkParams& p) override { nets_.at(net).set_params(p); }

  void set_network(int net, const NetworkConfig& cfg, const NetworkParams& p) override {
    check_shapes(p, cfg.model, data_.train.dim, data_.train.classes);
    nets_.at(net) = Net(cfg, p);
    diverged_at_[net] = -1;
    grad_norm_[net].clear();
    update_ratio_[net].clear();
  }

  void set_batch(int batch) override {
    if (batch > data_.train.size())
      throw ConfigError("optim.batch=" + std::to_string(batch) + ": larger than the training set (" +
                        std::to_string(data_.train.size()) + " examples)");
    batch_ = batch;
    order_ = BatchOrder(data_.train.size(), batch, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(step_));
    y_.resize(batch);
  }

  void seek(int64_t step, int64_t order_start) override {
    check_seek(step, order_start);
    order_ = BatchOrder(data_.train.size(), batch_, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(order_start));
    order_.skip(step - order_start);
    step_ = step;
  }

  // [SECTION] Snapshots and evaluation

  void request_snapshot(bool with_eval) override {
    StepStats s;
    s.step = step_;
    for (size_t n = 0; n < nets_.size(); ++n) s.networks.push_back(measure(n, with_eval));
    ready_.push_back(std::move(s));
  }

  std::optional<StepStats> poll_snapshot(bool) override {
    if (ready_.empty()) return std::nullopt;
    StepStats s = std::move(ready_.front());
    ready_.pop_front();
    return s;
  }

 private:
  float train_one(size_t n, bool measure_norms) {
    if (diverged_at_[n] >= 0) return kNaN;
    Net& net = nets_[n];
    const BnNoiseKey noise{cfg_.seed, step_ - 1};  // step_ already counts this step
    const float loss = net.forward(u_, y_.data(), PassMode::Train, &noise);
    if (!std::isfinite(loss)) {
      diverged_at_[n] = step_;
      return loss;
    }
    net.backward(u_, y_.data());
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

  NetworkStats measure(size_t n, bool with_eval) {
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
      if (s.diverged_at < 0) evaluate(net, &s.test_loss, &s.test_acc);
    }
    return s;
  }

  // Test loss and accuracy in eval mode. With eval_stats = batch, BN normalizes each chunk of
  // `batch` consecutive test examples with that chunk's own statistics (what a model left in
  // train mode does); a last chunk of one example is folded into the one before.
  void evaluate(Net& net, float* loss, float* acc) {
    const Dataset& test = data_.test;
    const bool batch_stats = cfg_.eval_stats == EvalStats::Batch;
    const int chunk = batch_stats ? batch_ : 1000;
    const PassMode mode = batch_stats ? PassMode::Probe : PassMode::Eval;
    double total = 0;
    int correct = 0;
    std::vector<int32_t> idx;
    for (int begin = 0; begin < test.size();) {
      int end = std::min(begin + chunk, test.size());
      if (test.size() - end == 1) end = test.size();
      idx.resize(end - begin);
      for (int i = begin; i < end; ++i) idx[i - begin] = i;
      gather(test, idx.data(), end - begin, eval_u_);
      const int32_t* labels = test.y.data() + begin;
      total += static_cast<double>(net.forward(eval_u_, labels, mode)) * (end - begin);
      const Mat& p = net.probabilities();
      for (int j = 0; j < end - begin; ++j) {
        Eigen::Index best;
        p.col(j).maxCoeff(&best);
        correct += best == labels[j];
      }
      begin = end;
    }
    *loss = static_cast<float>(total / test.size());
    *acc = static_cast<float>(correct) / static_cast<float>(test.size());
  }

  const RunConfig cfg_;
  const DataSplit& data_;
  int batch_ = cfg_.batch;
  BatchOrder order_;
  std::vector<Net> nets_;
  int64_t step_ = 0;
  std::vector<int64_t> diverged_at_;             // (networks)
  std::vector<std::vector<float>> grad_norm_;    // (networks, layers) of the last measured step
  std::vector<std::vector<float>> update_ratio_; // (networks, layers)
  std::vector<float> losses_;                    // (steps since take_losses, networks)
  std::deque<StepStats> ready_;

  Mat u_{0, 0};                                  // (dim, batch) the current mini-batch
  std::vector<int32_t> y_ = std::vector<int32_t>(batch_);  // (batch)
  Mat probe_u_;                                  // (dim, probe)
  std::vector<int32_t> probe_y_;                 // (probe)
  Mat eval_u_;                                   // (dim, chunk)
};

}  // namespace

std::unique_ptr<Trainer> make_cpu_trainer(const RunConfig& cfg, const DataSplit& data) {
  return std::make_unique<CpuTrainer>(cfg, data);
}

}  // namespace bnlab
