// series_export.cpp — the history as CSV rows and JSON arrays (columns documented in the header).
//
// [SECTION] Numbers and names
// [SECTION] CSV
// [SECTION] JSON
// [SECTION] Files

#include "core/series_export.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/npy.h"

namespace bnlab {

// [SECTION] Numbers and names

const std::array<UnitSlot, 4> kUnitSeries = {{{"gamma", &UnitParams::gamma},
                                               {"beta", &UnitParams::beta},
                                               {"running_mean", &UnitParams::running_mean},
                                               {"running_var", &UnitParams::running_var}}};

std::string percentile_series_name(size_t p, bool unit) {
  return std::string(unit ? "unit_p" : "p") + std::to_string(static_cast<int>(kPercentiles.at(p)));
}

namespace {

// Shortest decimal that reads back as the same value; "" for NaN/Inf (a CSV gap).
template <typename T>
std::string number(T v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

nlohmann::json json_float(float f) {
  if (!std::isfinite(f)) return nullptr;
  const std::string s = number(f);
  double d = 0;
  std::from_chars(s.data(), s.data() + s.size(), d);  // the double nearest the float's shortest decimal
  return d;
}

namespace {

std::string network_name(const RunConfig& cfg, size_t i) {
  return i < cfg.networks.size() ? cfg.networks[i].name : "net" + std::to_string(i);
}

// (name, series) of a layer in file order: percentiles of the layer, of the unit, then the rest.
std::vector<std::pair<std::string, const Series*>> layer_series(const LayerHistory& l) {
  std::vector<std::pair<std::string, const Series*>> out;
  for (size_t p = 0; p < kPercentiles.size(); ++p) out.emplace_back(percentile_series_name(p, false), &l.pct[p]);
  for (size_t p = 0; p < kPercentiles.size(); ++p) out.emplace_back(percentile_series_name(p, true), &l.unit_pct[p]);
  for (const LayerScalar& f : kLayerScalars) out.emplace_back(f.name, &(l.*f.series));
  return out;
}

// Bin k's edges of a histogram over [lo, hi) with `bins` bins.
double bin_edge(float lo, float hi, int bins, int k) {
  return static_cast<double>(lo) + (static_cast<double>(hi) - lo) * k / bins;
}


// [SECTION] CSV

struct CsvWriter {
  std::ostringstream out;
  void row(const std::string& net, const std::string& layer, const std::string& series, const std::string& index,
           const std::string& step, const std::string& value, const std::string& lo, const std::string& hi,
           const std::string& samples) {
    out << net << ',' << layer << ',' << series << ',' << index << ',' << step << ',' << value << ',' << lo << ','
        << hi << ',' << samples << '\n';
  }
  void series(const std::string& net, const std::string& layer, const std::string& name, const Series& s) {
    for (int i = 0; i < s.size(); ++i) {
      const bool merged = s.samples(i) > 1;
      row(net, layer, name, "", number(s.x()[i]), number(s.mean()[i]), merged ? number(s.lo()[i]) : "",
          merged ? number(s.hi()[i]) : "", std::to_string(s.samples(i)));
    }
  }
};

}  // namespace

std::string series_csv(const RunConfig& cfg, const RunHistory& h) {
  CsvWriter w;
  w.out << "network,layer,series,index,step,value,lo,hi,samples\n";
  const auto& nets = h.networks();
  for (size_t n = 0; n < nets.size(); ++n) {
    const NetworkHistory& nh = nets[n];
    const std::string net = network_name(cfg, n);
    w.series(net, "", "train_loss", nh.train_loss);
    w.series(net, "", "test_loss", nh.test_loss);
    w.series(net, "", "test_acc", nh.test_acc);
    w.series(net, "", "train_acc", nh.train_acc);
    for (const MeterScalar& m : kMeterScalars) w.series(net, "", m.name, nh.*m.series);
    for (size_t l = 0; l < nh.ics.size(); ++l)
      for (const IcsScalar& f : kIcsScalars) w.series(net, std::to_string(l + 1), f.name, nh.ics[l].*f.series);
    if (nh.diverged_at >= 0) {
      const std::string at = std::to_string(nh.diverged_at);
      w.row(net, "", "diverged_at", "", at, at, "", "", "");
    }
    for (size_t l = 0; l < nh.layers.size(); ++l) {
      const LayerHistory& lh = nh.layers[l];
      const std::string layer = std::to_string(l + 1);
      for (const auto& [name, s] : layer_series(lh)) w.series(net, layer, name, *s);
      const std::string latest = std::to_string(nh.latest_step);
      for (int t = 0; t < kTapCount; ++t) {
        if (nh.latest_step >= 0 && l < nh.latest.layers.size()) {
          const Histogram& hg = nh.latest.layers[l].hist[t];
          const std::vector<float> sh = histogram_shares(hg);
          const int bins = static_cast<int>(sh.size());
          for (int k = 0; k < bins; ++k)
            w.row(net, layer, std::string("hist.") + tap_name(t), std::to_string(k), latest, number(sh[k]),
                  number(bin_edge(hg.lo, hg.hi, bins, k)), number(bin_edge(hg.lo, hg.hi, bins, k + 1)), "");
        }
        const HistogramTrack& tr = lh.hist[t];
        for (int c = 0; c < tr.columns(); ++c) {
          const std::string samples = std::to_string(tr.samples(c));
          for (int k = 0; k < tr.bins(); ++k)
            w.row(net, layer, std::string("hist_track.") + tap_name(t), std::to_string(k), number(tr.x()[c]),
                  number(tr.values()[static_cast<size_t>(c) * tr.bins() + k]), number(bin_edge(tr.lo(), tr.hi(), tr.bins(), k)),
                  number(bin_edge(tr.lo(), tr.hi(), tr.bins(), k + 1)), samples);
        }
      }
      if (l < nh.units.size())
        for (const auto& [name, member] : kUnitSeries) {
          const std::vector<float>& v = nh.units[l].*member;
          for (size_t u = 0; u < v.size(); ++u) w.row(net, layer, name, std::to_string(u), latest, number(v[u]), "", "", "");
        }
    }
  }
  for (const RunEvent& e : h.events()) {
    std::string label = "\"";  // quoted: a label may hold a comma ("lr 0.1, momentum 0.9")
    for (char c : e.text) label += c == '"' ? std::string("\"\"") : std::string(1, c);
    const std::string at = std::to_string(e.step);
    w.row(e.net >= 0 ? network_name(cfg, static_cast<size_t>(e.net)) : "", "", "event", label + "\"", at, at, "", "", "");
  }
  return w.out.str();
}

// [SECTION] JSON

nlohmann::json json_floats(const float* v, size_t n) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) a.push_back(json_float(v[i]));
  return a;
}

namespace {

nlohmann::json series_columns(const Series& s) {
  nlohmann::json step = nlohmann::json::array(), samples = nlohmann::json::array();
  for (int i = 0; i < s.size(); ++i) {
    step.push_back(s.x()[i]);
    samples.push_back(s.samples(i));
  }
  const size_t n = static_cast<size_t>(s.size());
  return {{"step", step}, {"value", json_floats(s.mean(), n)}, {"lo", json_floats(s.lo(), n)}, {"hi", json_floats(s.hi(), n)},
          {"samples", samples}};
}

}  // namespace

nlohmann::json series_json(const RunConfig& cfg, const RunHistory& h) {
  nlohmann::json nets = nlohmann::json::array();
  for (size_t n = 0; n < h.networks().size(); ++n) {
    const NetworkHistory& nh = h.networks()[n];
    nlohmann::json layers = nlohmann::json::array();
    for (size_t l = 0; l < nh.layers.size(); ++l) {
      const LayerHistory& lh = nh.layers[l];
      nlohmann::json series = nlohmann::json::object(), hists = nlohmann::json::object(), tracks = nlohmann::json::object();
      for (const auto& [name, s] : layer_series(lh)) series[name] = series_columns(*s);
      for (int t = 0; t < kTapCount; ++t) {
        if (nh.latest_step >= 0 && l < nh.latest.layers.size()) {
          const Histogram& hg = nh.latest.layers[l].hist[t];
          const std::vector<float> sh = histogram_shares(hg);
          hists[tap_name(t)] = {{"step", nh.latest_step}, {"lo", json_float(hg.lo)}, {"hi", json_float(hg.hi)},
                                {"shares", json_floats(sh.data(), sh.size())}};
        }
        const HistogramTrack& tr = lh.hist[t];
        nlohmann::json step = nlohmann::json::array(), samples = nlohmann::json::array(), cols = nlohmann::json::array();
        for (int c = 0; c < tr.columns(); ++c) {
          step.push_back(tr.x()[c]);
          samples.push_back(tr.samples(c));
          cols.push_back(json_floats(tr.values() + static_cast<size_t>(c) * tr.bins(), static_cast<size_t>(tr.bins())));
        }
        tracks[tap_name(t)] = {{"lo", json_float(tr.lo())}, {"hi", json_float(tr.hi())}, {"step", step},
                               {"samples", samples}, {"shares", cols}};
      }
      nlohmann::json units = {{"step", nh.latest_step}};
      if (l < nh.units.size())
        for (const auto& [name, member] : kUnitSeries) {
          const std::vector<float>& v = nh.units[l].*member;
          units[name] = json_floats(v.data(), v.size());
        }
      layers.push_back({{"layer", l + 1}, {"series", series}, {"histograms", hists}, {"histogram_tracks", tracks},
                        {"units", units}});
    }
    nlohmann::json own = {{"train_loss", series_columns(nh.train_loss)},
                          {"test_loss", series_columns(nh.test_loss)},
                          {"test_acc", series_columns(nh.test_acc)},
                          {"train_acc", series_columns(nh.train_acc)}};
    for (const MeterScalar& m : kMeterScalars) own[m.name] = series_columns(nh.*m.series);
    nlohmann::json ics = nlohmann::json::array();
    for (size_t l = 0; l < nh.ics.size(); ++l) {
      nlohmann::json series = nlohmann::json::object();
      for (const IcsScalar& f : kIcsScalars) series[f.name] = series_columns(nh.ics[l].*f.series);
      ics.push_back({{"layer", l + 1}, {"series", series}});
    }
    nets.push_back({{"name", network_name(cfg, n)},
                    {"diverged_at", nh.diverged_at >= 0 ? nlohmann::json(nh.diverged_at) : nlohmann::json(nullptr)},
                    {"series", own},
                    {"layers", layers},
                    {"ics", ics}});
  }
  nlohmann::json events = nlohmann::json::array();
  for (const RunEvent& e : h.events())
    events.push_back({{"step", e.step},
                      {"network", e.net >= 0 ? nlohmann::json(network_name(cfg, static_cast<size_t>(e.net))) : nlohmann::json(nullptr)},
                      {"text", e.text}});
  return {{"format", "bnlab-data"}, {"version", 1}, {"step", h.last_step()}, {"config", to_json(cfg)},
          {"networks", nets}, {"events", events}};
}

// [SECTION] Files

void save_series_csv(const std::string& path, const RunConfig& cfg, const RunHistory& h) {
  write_file_atomic(path, series_csv(cfg, h));
}

void save_series_json(const std::string& path, const RunConfig& cfg, const RunHistory& h) {
  write_file_atomic(path, series_json(cfg, h).dump(1) + "\n");
}

}  // namespace bnlab
