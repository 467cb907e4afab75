// run_writer.cpp — CSV and JSON output of a headless run (formats in run_writer.h).

#include "core/run_writer.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

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

}  // namespace

RunWriter::RunWriter(const std::string& dir, const RunConfig& cfg) : dir_(dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--out " + dir + ": cannot create the directory: " + ec.message());
  for (const auto& n : cfg.networks) names_.push_back(n.name);

  const std::string cfg_path = (fs::path(dir) / "config.json").string();
  std::ofstream(cfg_path) << to_json(cfg).dump(2) << "\n";

  metrics_ = open("metrics.csv", "step,network,train_loss,train_loss_mean,test_loss,test_acc,train_acc,diverged_at");
  std::string loss_header = "step";
  for (const auto& n : names_) loss_header += "," + n;
  losses_ = open("train_loss.csv", loss_header);
  std::string layers_header = "step,network,layer,p2,p15,p50,p85,p98,unit_p2,unit_p15,unit_p50,unit_p85,unit_p98";
  for (const LayerScalar& f : kLayerScalars) layers_header += std::string(",") + f.name;
  layers_ = open("layers.csv", layers_header);
  hist_ = open("histograms.csv", "step,network,layer,tap,lo,hi,underflow,overflow,counts");
  if (cfg.landscape.every > 0) landscape_ = open("landscape.csv", "step,network,layer,quantity,value");
}

RunWriter::~RunWriter() {
  for (FILE* f : {metrics_, losses_, layers_, hist_, landscape_})
    if (f) std::fclose(f);
}

FILE* RunWriter::open(const std::string& name, const std::string& header) {
  const std::string path = (fs::path(dir_) / name).string();
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  std::fprintf(f, "%s\n", header.c_str());
  return f;
}

void RunWriter::write_losses(int64_t first_step, const std::vector<float>& losses) {
  const size_t nets = names_.size();
  for (size_t row = 0; row * nets < losses.size(); ++row) {
    std::fprintf(losses_, "%lld", static_cast<long long>(first_step + static_cast<int64_t>(row)));
    for (size_t n = 0; n < nets; ++n) put(losses_, losses[row * nets + n]);
    std::fputc('\n', losses_);
  }
  std::fflush(losses_);
}

void RunWriter::write_snapshot(const StepStats& s, const std::vector<float>& train_loss,
                               const std::vector<float>& train_loss_mean) {
  const long long step = static_cast<long long>(s.step);
  for (size_t n = 0; n < s.networks.size(); ++n) {
    const NetworkStats& ns = s.networks[n];
    const char* name = names_[n].c_str();
    std::fprintf(metrics_, "%lld,%s", step, name);
    put(metrics_, train_loss[n]);
    put(metrics_, train_loss_mean[n]);
    put(metrics_, ns.test_loss);
    put(metrics_, ns.test_acc);
    put(metrics_, ns.train_acc);
    if (ns.diverged_at >= 0)
      std::fprintf(metrics_, ",%lld\n", static_cast<long long>(ns.diverged_at));
    else
      std::fputs(",\n", metrics_);

    for (size_t l = 0; l < ns.layers.size(); ++l) {
      const LayerStats& ls = ns.layers[l];
      std::fprintf(layers_, "%lld,%s,%zu", step, name, l);
      for (float v : ls.pct) put(layers_, v);
      for (float v : ls.unit_pct) put(layers_, v);
      for (const LayerScalar& f : kLayerScalars) put(layers_, ls.*f.stat);
      std::fputc('\n', layers_);

      for (int t = 0; t < kTapCount; ++t) {
        const Histogram& h = ls.hist[t];
        std::fprintf(hist_, "%lld,%s,%zu,%s,%g,%g,%u,%u,", step, name, l, tap_name(t), static_cast<double>(h.lo),
                     static_cast<double>(h.hi), h.underflow, h.overflow);
        for (size_t b = 0; b < h.counts.size(); ++b) std::fprintf(hist_, b ? " %u" : "%u", h.counts[b]);
        std::fputc('\n', hist_);
      }
    }
  }
  for (FILE* f : {metrics_, layers_, hist_}) std::fflush(f);
}

void RunWriter::write_speedups(const std::vector<PairSpeedup>& pairs) {
  FILE* f = open("speedup.csv", "reference,network,target_acc,reference_step,step,factor");
  for (const PairSpeedup& p : pairs) {
    std::fprintf(f, "%s,%s", names_[p.reference].c_str(), names_[p.other].c_str());
    put(f, static_cast<float>(p.s.target));
    if (p.s.reference_step >= 0) std::fprintf(f, ",%lld", static_cast<long long>(p.s.reference_step));
    else std::fputc(',', f);
    if (p.s.reached()) std::fprintf(f, ",%lld,%.4g\n", static_cast<long long>(p.s.step), p.s.factor);
    else std::fputs(",,\n", f);
  }
  const bool ok = !std::ferror(f);
  if (std::fclose(f) != 0 || !ok)
    throw std::runtime_error((fs::path(dir_) / "speedup.csv").string() + ": cannot write: " + std::strerror(errno));
}

void RunWriter::write_landscape(const LandscapeStats& s) {
  if (!landscape_) return;
  const long long step = static_cast<long long>(s.step);
  for (size_t n = 0; n < s.networks.size(); ++n) {
    const NetworkLandscape& nl = s.networks[n];
    if (!nl.measured) continue;  // diverged: nothing to measure
    const char* name = names_[n].c_str();
    for (const auto& [quantity, value] : network_quantities(nl, s.multipliers)) {
      std::fprintf(landscape_, "%lld,%s,,%s", step, name, quantity.c_str());
      put(landscape_, value);
      std::fputc('\n', landscape_);
    }
    for (size_t l = 0; l < nl.ics.size(); ++l)
      for (const auto& [quantity, value] : layer_quantities(nl.ics[l])) {
        std::fprintf(landscape_, "%lld,%s,%zu,%s", step, name, l + 1, quantity.c_str());
        put(landscape_, value);
        std::fputc('\n', landscape_);
      }
  }
  std::fflush(landscape_);
}

}  // namespace bnlab
