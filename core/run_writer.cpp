// run_writer.cpp — CSV and JSON output of a headless run (formats in run_writer.h).

#include "core/run_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "core/npy.h"
#include "core/run_history.h"

namespace bnlab {

namespace fs = std::filesystem;

namespace {

// Empty for NaN so that spreadsheets and pandas read a missing value, not a string.
void put(FILE* f, float v) {
  if (std::isnan(v))
    std::fputc(',', f);
  else
    std::fprintf(f, ",%.7g", static_cast<double>(v));
}

std::runtime_error write_error(const std::string& path) {
  return std::runtime_error(path + ": cannot write: " + std::strerror(errno) + "; the run's files are incomplete");
}

}  // namespace

RunWriter::RunWriter(const std::string& dir, const RunConfig& cfg) : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--out " + dir + ": cannot create the directory: " + ec.message());
  const std::string lock_path = (fs::path(dir) / ".bnlab.lock").string();
  lock_.fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_.fd < 0) throw std::runtime_error(lock_path + ": cannot create the lock file: " + std::strerror(errno));
  if (::flock(lock_.fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("--out " + dir + ": another bnlab run is writing into this directory; wait for it to end or choose another --out");
  for (const auto& n : cfg.networks) names_.push_back(n.name);

  write_file_atomic((fs::path(dir) / "config.json").string(), to_json(cfg).dump(2) + "\n");

  open(metrics_, "metrics.csv", "step,network,train_loss,train_loss_mean,test_loss,test_acc,train_acc,diverged_at");
  std::string loss_header = "step";
  for (const auto& n : names_) loss_header += "," + n;
  open(losses_, "train_loss.csv", loss_header);
  std::string layers_header = "step,network,layer,p2,p15,p50,p85,p98,unit_p2,unit_p15,unit_p50,unit_p85,unit_p98";
  for (const LayerScalar& f : kLayerScalars) layers_header += std::string(",") + f.name;
  open(layers_, "layers.csv", layers_header);
  open(hist_, "histograms.csv", "step,network,layer,tap,lo,hi,underflow,overflow,counts");
  if (cfg.landscape.every > 0) open(landscape_, "landscape.csv", "step,network,layer,quantity,value");
}

RunWriter::Lock::~Lock() {
  if (fd >= 0) ::close(fd);  // closing the descriptor releases the flock
}

void RunWriter::open(Csv& c, const std::string& name, const std::string& header) {
  c.path = (fs::path(dir_) / name).string();
  c.f = std::fopen(c.path.c_str(), "w");
  if (!c.f) throw write_error(c.path);
  std::fprintf(c.f, "%s\n", header.c_str());
  flush(c);
}

// fprintf only fills stdio's buffer; the error of a write that failed (a full disk) shows in
// fflush's result or in the stream's error flag, which stays set.
void RunWriter::flush(Csv& c) {
  if (std::fflush(c.f) != 0 || std::ferror(c.f)) throw write_error(c.path);
}

void RunWriter::close() {
  for (Csv* c : {&metrics_, &losses_, &layers_, &hist_, &landscape_}) {
    if (!c->f) continue;  // landscape.csv when the meters are off
    flush(*c);
    if (std::fclose(std::exchange(c->f, nullptr)) != 0) throw write_error(c->path);
  }
}

void RunWriter::write_losses(int64_t first_step, const std::vector<float>& losses) {
  const size_t nets = names_.size();
  for (size_t row = 0; row * nets < losses.size(); ++row) {
    std::fprintf(losses_.f, "%lld", static_cast<long long>(first_step + static_cast<int64_t>(row)));
    for (size_t n = 0; n < nets; ++n) put(losses_.f, losses[row * nets + n]);
    std::fputc('\n', losses_.f);
  }
  flush(losses_);
}

void RunWriter::write_snapshot(const StepStats& s, const std::vector<float>& train_loss,
                               const std::vector<float>& train_loss_mean) {
  const long long step = static_cast<long long>(s.step);
  for (size_t n = 0; n < s.networks.size(); ++n) {
    const NetworkStats& ns = s.networks[n];
    const char* name = names_[n].c_str();
    std::fprintf(metrics_.f, "%lld,%s", step, name);
    put(metrics_.f, train_loss[n]);
    put(metrics_.f, train_loss_mean[n]);
    put(metrics_.f, ns.test_loss);
    put(metrics_.f, ns.test_acc);
    put(metrics_.f, ns.train_acc);
    if (ns.diverged_at >= 0)
      std::fprintf(metrics_.f, ",%lld\n", static_cast<long long>(ns.diverged_at));
    else
      std::fputs(",\n", metrics_.f);

    for (size_t l = 0; l < ns.layers.size(); ++l) {
      const LayerStats& ls = ns.layers[l];
      std::fprintf(layers_.f, "%lld,%s,%zu", step, name, l);
      for (float v : ls.pct) put(layers_.f, v);
      for (float v : ls.unit_pct) put(layers_.f, v);
      for (const LayerScalar& f : kLayerScalars) put(layers_.f, ls.*f.stat);
      std::fputc('\n', layers_.f);

      for (int t = 0; t < kTapCount; ++t) {
        const Histogram& h = ls.hist[t];
        std::fprintf(hist_.f, "%lld,%s,%zu,%s,%g,%g,%u,%u,", step, name, l, tap_name(t), static_cast<double>(h.lo),
                     static_cast<double>(h.hi), h.underflow, h.overflow);
        for (size_t b = 0; b < h.counts.size(); ++b) std::fprintf(hist_.f, b ? " %u" : "%u", h.counts[b]);
        std::fputc('\n', hist_.f);
      }
    }
  }
  for (Csv* c : {&metrics_, &layers_, &hist_}) flush(*c);
}

void RunWriter::write_speedups(const std::vector<PairSpeedup>& pairs, const Chance& chance) {
  Csv c;
  open(c, "speedup.csv", "reference,network,target_acc,chance_acc,reference_step,step,factor");
  for (const PairSpeedup& p : pairs) {
    std::fprintf(c.f, "%s,%s", names_[p.reference].c_str(), names_[p.other].c_str());
    put(c.f, static_cast<float>(p.s.target));
    put(c.f, static_cast<float>(chance.accuracy));
    if (p.s.reference_step >= 0) std::fprintf(c.f, ",%lld", static_cast<long long>(p.s.reference_step));
    else std::fputc(',', c.f);
    if (p.s.reached()) std::fprintf(c.f, ",%lld,%.4g\n", static_cast<long long>(p.s.step), p.s.factor);
    else std::fputs(",,\n", c.f);
  }
  flush(c);
  if (std::fclose(std::exchange(c.f, nullptr)) != 0) throw write_error(c.path);
}

void RunWriter::write_landscape(const LandscapeStats& s) {
  if (!landscape_.f) return;
  const long long step = static_cast<long long>(s.step);
  for (size_t n = 0; n < s.networks.size(); ++n) {
    const NetworkLandscape& nl = s.networks[n];
    if (!nl.measured) continue;  // diverged: nothing to measure
    const char* name = names_[n].c_str();
    for (const auto& [quantity, value] : network_quantities(nl, s.multipliers)) {
      std::fprintf(landscape_.f, "%lld,%s,,%s", step, name, quantity.c_str());
      put(landscape_.f, value);
      std::fputc('\n', landscape_.f);
    }
    for (size_t l = 0; l < nl.ics.size(); ++l)
      for (const auto& [quantity, value] : layer_quantities(nl.ics[l])) {
        std::fprintf(landscape_.f, "%lld,%s,%zu,%s", step, name, l + 1, quantity.c_str());
        put(landscape_.f, value);
        std::fputc('\n', landscape_.f);
      }
  }
  flush(landscape_);
}

}  // namespace bnlab
