// session_file.cpp — LabSnapshot ⇄ JSON (the format is documented in the header).
//
// [SECTION] Writing
// [SECTION] Reading: checked access
// [SECTION] Reading: the parts
// [SECTION] Files

#include "core/session_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/npy.h"
#include "core/series_export.h"

namespace bnlab {

namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "bnlab-session";

// [SECTION] Writing

json floats(const std::vector<float>& v) { return json_floats(v.data(), v.size()); }

json write_series(const Series& s) {
  Series::State st = s.state();
  return {{"stride", st.stride}, {"open_count", st.open_count}, {"x", st.x},           {"mean", floats(st.mean)},
          {"lo", floats(st.lo)},  {"hi", floats(st.hi)},          {"finite", st.finite}};
}

json write_track(const HistogramTrack& t) {
  HistogramTrack::State st = t.state();
  return {{"stride", st.stride}, {"open_count", st.open_count}, {"bins", st.bins}, {"lo", json_float(st.lo)},
          {"hi", json_float(st.hi)}, {"x", st.x}, {"values", floats(st.values)}};
}

json write_histogram(const Histogram& h) {
  return {{"lo", json_float(h.lo)}, {"hi", json_float(h.hi)}, {"counts", h.counts}, {"underflow", h.underflow},
          {"overflow", h.overflow}};
}

// The tensors of LayerParams by name.
const std::pair<const char*, std::vector<float> LayerParams::*> kTensorFields[] = {
    {"weight", &LayerParams::weight}, {"bias", &LayerParams::bias},
    {"gamma", &LayerParams::gamma},   {"beta", &LayerParams::beta},
    {"running_mean", &LayerParams::running_mean}, {"running_var", &LayerParams::running_var}};

json write_stats(const NetworkStats& s) {
  json layers = json::array();
  for (const LayerStats& l : s.layers) {
    json j = json::object();
    j["hist"] = json::array();
    for (const Histogram& h : l.hist) j["hist"].push_back(write_histogram(h));
    j["pct"] = floats(std::vector<float>(l.pct.begin(), l.pct.end()));
    j["unit_pct"] = floats(std::vector<float>(l.unit_pct.begin(), l.unit_pct.end()));
    for (const LayerScalar& f : kLayerScalars) j[f.name] = json_float(l.*f.stat);
    const BatchStrip& st = l.strip;
    if (st.step >= 0)  // so that a reopened session shows the strip it was saved with
      j["strip"] = {{"step", st.step}, {"norm", to_string(st.norm)}, {"labels", st.labels}, {"x", floats(st.x)},
                    {"xhat", floats(st.xhat)}, {"y", floats(st.y)}, {"mu", json_float(st.mu)},
                    {"sigma", json_float(st.sigma)}, {"gamma", json_float(st.gamma)}, {"beta", json_float(st.beta)}};
    layers.push_back(j);
  }
  return {{"diverged_at", s.diverged_at}, {"has_eval", s.has_eval}, {"test_loss", json_float(s.test_loss)},
          {"test_acc", json_float(s.test_acc)}, {"train_acc", json_float(s.train_acc)}, {"layers", layers}};
}

json write_history(const RunHistory& h) {
  json nets = json::array();
  for (const NetworkHistory& n : h.networks()) {
    json layers = json::array();
    for (const LayerHistory& l : n.layers) {
      json j = json::object();
      for (size_t p = 0; p < kPercentiles.size(); ++p) {
        j[percentile_series_name(p, false)] = write_series(l.pct[p]);
        j[percentile_series_name(p, true)] = write_series(l.unit_pct[p]);
      }
      for (const LayerScalar& f : kLayerScalars) j[f.name] = write_series(l.*f.series);
      j["hist"] = json::array();
      for (const HistogramTrack& t : l.hist) j["hist"].push_back(write_track(t));
      layers.push_back(j);
    }
    json units = json::array();
    for (const UnitParams& u : n.units) {
      json j = json::object();
      for (const auto& [name, member] : kUnitSeries) j[name] = floats(u.*member);
      units.push_back(j);
    }
    json meters = json::object();
    for (const MeterScalar& m : kMeterScalars) meters[m.name] = write_series(n.*m.series);
    meters["ics"] = json::array();
    for (const IcsHistory& l : n.ics) {
      json j = json::object();
      for (const IcsScalar& f : kIcsScalars) j[f.name] = write_series(l.*f.series);
      meters["ics"].push_back(j);
    }
    nets.push_back({{"train_loss", write_series(n.train_loss)}, {"test_loss", write_series(n.test_loss)},
                    {"test_acc", write_series(n.test_acc)}, {"train_acc", write_series(n.train_acc)},
                    {"latest", write_stats(n.latest)},
                    {"latest_step", n.latest_step}, {"diverged_at", n.diverged_at}, {"color", n.color},
                    {"norm_since", n.norm_since}, {"units", units}, {"layers", layers}, {"meters", meters}});
  }
  json events = json::array();
  for (const RunEvent& e : h.events()) events.push_back({{"step", e.step}, {"net", e.net}, {"text", e.text}});
  return {{"last_step", h.last_step()}, {"networks", nets}, {"events", events}};
}

json write_params(const NetworkParams& p) {
  json layers = json::array();
  for (const LayerParams& l : p.layers) {
    json j = {{"in", l.in}, {"out", l.out}, {"norm", to_string(l.norm)}};
    for (const auto& [name, member] : kTensorFields)
      if (!(l.*member).empty()) j[name] = floats(l.*member);
    layers.push_back(j);
  }
  return {{"layers", layers}};
}

// [SECTION] Reading: checked access

// Every failure below throws this, naming the part of the file ("history.networks[0].train_loss").
[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

constexpr const char* kTop = "session";  // where the top-level keys are, in messages

const json& at(const json& j, const char* key, const std::string& where) {
  if (!j.is_object()) bad(where, "expected an object");
  const auto it = j.find(key);
  if (it == j.end()) bad(where, std::string("\"") + key + "\" is missing");
  return *it;
}

const json& array_at(const json& j, const char* key, const std::string& where) {
  const json& a = at(j, key, where);
  if (!a.is_array()) bad(where + "." + key, "expected an array");
  return a;
}

template <typename T>
T integer(const json& j, const char* key, const std::string& where) {
  const json& v = at(j, key, where);
  if (!v.is_number_integer()) bad(where + "." + key, "expected an integer, found " + v.dump());
  return v.get<T>();
}

float read_float(const json& v, const std::string& where) {
  if (v.is_null()) return kNaN;
  if (!v.is_number()) bad(where, "expected a number or null, found " + v.dump().substr(0, 40));
  return v.get<float>();
}

float float_at(const json& j, const char* key, const std::string& where) {
  return read_float(at(j, key, where), where + "." + key);
}

std::vector<float> float_array(const json& j, const char* key, const std::string& where) {
  const json& a = array_at(j, key, where);
  std::vector<float> v;
  v.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) v.push_back(read_float(a[i], where + "." + key + "[" + std::to_string(i) + "]"));
  return v;
}

template <typename T>
std::vector<T> int_array(const json& j, const char* key, const std::string& where) {
  const json& a = array_at(j, key, where);
  std::vector<T> v;
  v.reserve(a.size());
  for (const json& e : a) {
    if (!e.is_number_integer()) bad(where + "." + key, "expected integers, found " + e.dump());
    v.push_back(e.get<T>());
  }
  return v;
}

// [SECTION] Reading: the parts

void read_series(const json& j, const std::string& where, Series* s) {
  Series::State st;
  st.stride = integer<int64_t>(j, "stride", where);
  st.open_count = integer<int64_t>(j, "open_count", where);
  const json& x = array_at(j, "x", where);
  for (const json& e : x) {
    if (!e.is_number()) bad(where + ".x", "expected numbers");
    st.x.push_back(e.get<double>());
  }
  st.mean = float_array(j, "mean", where);
  st.lo = float_array(j, "lo", where);
  st.hi = float_array(j, "hi", where);
  st.finite = int_array<int32_t>(j, "finite", where);
  try {
    s->restore(std::move(st));
  } catch (const std::runtime_error& e) {
    bad(where, e.what());
  }
}

void read_track(const json& j, const std::string& where, HistogramTrack* t) {
  HistogramTrack::State st;
  st.stride = integer<int64_t>(j, "stride", where);
  st.open_count = integer<int64_t>(j, "open_count", where);
  st.bins = integer<int>(j, "bins", where);
  st.lo = float_at(j, "lo", where);
  st.hi = float_at(j, "hi", where);
  for (const json& e : array_at(j, "x", where)) {
    if (!e.is_number()) bad(where + ".x", "expected numbers");
    st.x.push_back(e.get<double>());
  }
  st.values = float_array(j, "values", where);
  try {
    t->restore(std::move(st));
  } catch (const std::runtime_error& e) {
    bad(where, e.what());
  }
}

template <size_t N>
void read_fixed(const json& j, const char* key, const std::string& where, std::array<float, N>* out) {
  const std::vector<float> v = float_array(j, key, where);
  if (v.size() != N) bad(where + "." + key, "expected " + std::to_string(N) + " values, found " + std::to_string(v.size()));
  std::copy(v.begin(), v.end(), out->begin());
}

BatchStrip read_strip(const json& j, const std::string& where) {
  BatchStrip st;
  st.step = integer<int64_t>(j, "step", where);
  const json& norm = at(j, "norm", where);
  bool known = false;
  for (Norm k : {Norm::None, Norm::Batch, Norm::Layer})
    if (norm.is_string() && norm.get<std::string>() == to_string(k)) st.norm = k, known = true;
  if (!known) bad(where + ".norm", "expected none, batch or layer, found " + norm.dump().substr(0, 40));
  st.labels = int_array<int32_t>(j, "labels", where);
  st.x = float_array(j, "x", where);
  st.xhat = float_array(j, "xhat", where);
  st.y = float_array(j, "y", where);
  const size_t m = st.x.size();
  if (st.labels.size() != m) bad(where + ".labels", std::to_string(st.labels.size()) + " labels for " + std::to_string(m) + " values of x");
  if (!st.xhat.empty() && st.xhat.size() != m) bad(where + ".xhat", std::to_string(st.xhat.size()) + " values, x has " + std::to_string(m));
  if (!st.y.empty() && st.y.size() != m) bad(where + ".y", std::to_string(st.y.size()) + " values, x has " + std::to_string(m));
  st.mu = float_at(j, "mu", where);
  st.sigma = float_at(j, "sigma", where);
  st.gamma = float_at(j, "gamma", where);
  st.beta = float_at(j, "beta", where);
  return st;
}

NetworkStats read_stats(const json& j, const std::string& where) {
  NetworkStats s;
  s.diverged_at = integer<int64_t>(j, "diverged_at", where);
  const json& has_eval = at(j, "has_eval", where);
  if (!has_eval.is_boolean()) bad(where + ".has_eval", "expected true or false");
  s.has_eval = has_eval.get<bool>();
  s.test_loss = float_at(j, "test_loss", where);
  s.test_acc = float_at(j, "test_acc", where);
  if (j.contains("train_acc")) s.train_acc = float_at(j, "train_acc", where);  // sessions before train accuracy lack it
  const json& layers = array_at(j, "layers", where);
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string w = where + ".layers[" + std::to_string(l) + "]";
    LayerStats ls;
    const json& hist = array_at(layers[l], "hist", w);
    if (hist.size() != kTapCount) bad(w + ".hist", "expected " + std::to_string(kTapCount) + " histograms");
    for (int t = 0; t < kTapCount; ++t) {
      const std::string wh = w + ".hist[" + std::to_string(t) + "]";
      Histogram& h = ls.hist[t];
      h.lo = float_at(hist[t], "lo", wh);
      h.hi = float_at(hist[t], "hi", wh);
      h.counts = int_array<uint32_t>(hist[t], "counts", wh);
      h.underflow = integer<uint32_t>(hist[t], "underflow", wh);
      h.overflow = integer<uint32_t>(hist[t], "overflow", wh);
    }
    read_fixed(layers[l], "pct", w, &ls.pct);
    read_fixed(layers[l], "unit_pct", w, &ls.unit_pct);
    for (const LayerScalar& f : kLayerScalars) ls.*f.stat = float_at(layers[l], f.name, w);
    if (layers[l].contains("strip")) ls.strip = read_strip(layers[l]["strip"], w + ".strip");  // sessions before it lack it
    s.layers.push_back(std::move(ls));
  }
  return s;
}

RunHistory read_history(const json& j, const RunConfig& cfg) {
  const std::string where = "history";
  const json& nets = array_at(j, "networks", where);
  if (nets.size() != cfg.networks.size())
    bad(where + ".networks", std::to_string(nets.size()) + " networks, the config has " + std::to_string(cfg.networks.size()));
  std::vector<NetworkHistory> out(nets.size());
  for (size_t n = 0; n < nets.size(); ++n) {
    const std::string w = where + ".networks[" + std::to_string(n) + "]";
    const json& jn = nets[n];
    NetworkHistory& h = out[n];
    read_series(at(jn, "train_loss", w), w + ".train_loss", &h.train_loss);
    read_series(at(jn, "test_loss", w), w + ".test_loss", &h.test_loss);
    read_series(at(jn, "test_acc", w), w + ".test_acc", &h.test_acc);
    if (jn.contains("train_acc")) read_series(jn["train_acc"], w + ".train_acc", &h.train_acc);
    h.latest = read_stats(at(jn, "latest", w), w + ".latest");
    h.latest_step = integer<int64_t>(jn, "latest_step", w);
    h.diverged_at = integer<int64_t>(jn, "diverged_at", w);
    h.color = jn.contains("color") ? std::max(0, integer<int>(jn, "color", w)) : -1;  // −1: RunHistory picks one
    h.norm_since = jn.contains("norm_since") ? std::max<int64_t>(0, integer<int64_t>(jn, "norm_since", w)) : 0;
    const size_t hidden = cfg.networks[n].model.hidden.size();
    const json& layers = array_at(jn, "layers", w);
    if (layers.size() != hidden)
      bad(w + ".layers", std::to_string(layers.size()) + " layers, the config has " + std::to_string(hidden) + " hidden layers");
    h.layers.resize(hidden);
    for (size_t l = 0; l < hidden; ++l) {
      const std::string wl = w + ".layers[" + std::to_string(l) + "]";
      LayerHistory& lh = h.layers[l];
      for (size_t p = 0; p < kPercentiles.size(); ++p) {
        const std::string a = percentile_series_name(p, false), b = percentile_series_name(p, true);
        read_series(at(layers[l], a.c_str(), wl), wl + "." + a, &lh.pct[p]);
        read_series(at(layers[l], b.c_str(), wl), wl + "." + b, &lh.unit_pct[p]);
      }
      for (const LayerScalar& f : kLayerScalars) read_series(at(layers[l], f.name, wl), wl + "." + f.name, &(lh.*f.series));
      const json& hist = array_at(layers[l], "hist", wl);
      if (hist.size() != kTapCount) bad(wl + ".hist", "expected " + std::to_string(kTapCount) + " tracks");
      for (int t = 0; t < kTapCount; ++t) read_track(hist[t], wl + ".hist[" + std::to_string(t) + "]", &lh.hist[t]);
    }
    // The meters (core/landscape.h); sessions saved before they existed have none.
    h.ics.resize(hidden + 1);
    if (jn.contains("meters")) {
      const std::string wm = w + ".meters";
      const json& meters = jn["meters"];
      for (const MeterScalar& m : kMeterScalars) read_series(at(meters, m.name, wm), wm + "." + m.name, &(h.*m.series));
      const json& ics = array_at(meters, "ics", wm);
      if (ics.size() != hidden + 1)
        bad(wm + ".ics", std::to_string(ics.size()) + " layers, the network has " + std::to_string(hidden + 1));
      for (size_t l = 0; l < ics.size(); ++l) {
        const std::string wl = wm + ".ics[" + std::to_string(l) + "]";
        for (const IcsScalar& f : kIcsScalars) read_series(at(ics[l], f.name, wl), wl + "." + f.name, &(h.ics[l].*f.series));
      }
    }
    const json& units = array_at(jn, "units", w);
    if (units.size() > hidden) bad(w + ".units", "more layers of units than hidden layers");
    for (size_t l = 0; l < units.size(); ++l) {
      UnitParams u;
      for (const auto& [name, member] : kUnitSeries) u.*member = float_array(units[l], name, w + ".units[" + std::to_string(l) + "]");
      h.units.push_back(std::move(u));
    }
  }
  // The user's edits drawn on the plots; sessions saved before events existed have none.
  std::vector<RunEvent> events;
  if (j.contains("events")) {
    const json& ev = array_at(j, "events", where);
    for (size_t i = 0; i < ev.size(); ++i) {
      const std::string we = where + ".events[" + std::to_string(i) + "]";
      RunEvent e{integer<int64_t>(ev[i], "step", we), integer<int>(ev[i], "net", we), ""};
      const json& text = at(ev[i], "text", we);
      if (!text.is_string() || text.get<std::string>().size() > 200) bad(we + ".text", "expected a string of at most 200 bytes");
      e.text = text.get<std::string>();
      if (e.step < 0 || e.net < -1 || e.net >= static_cast<int>(out.size()))
        bad(we, "step must be ≥ 0 and net one of the networks (or −1), found " + ev[i].dump().substr(0, 80));
      events.push_back(std::move(e));
    }
  }
  return RunHistory(std::move(out), integer<int64_t>(j, "last_step", where), std::move(events));
}

Norm read_norm(const json& j, const std::string& where) {
  const json& v = at(j, "norm", where);
  for (Norm n : {Norm::None, Norm::Batch, Norm::Layer})
    if (v.is_string() && v.get<std::string>() == to_string(n)) return n;
  bad(where + ".norm", "unknown normalization " + v.dump());
}

std::vector<NetworkParams> read_params(const json& j, const RunConfig& cfg) {
  if (!j.is_array()) bad("params", "expected an array");
  if (j.size() != cfg.networks.size())
    bad("params", std::to_string(j.size()) + " networks, the config has " + std::to_string(cfg.networks.size()));
  std::vector<NetworkParams> out(j.size());
  for (size_t n = 0; n < j.size(); ++n) {
    const std::string w = "params[" + std::to_string(n) + "]";
    const json& layers = array_at(j[n], "layers", w);
    if (layers.empty()) bad(w + ".layers", "no layers");
    for (size_t l = 0; l < layers.size(); ++l) {
      const std::string wl = w + ".layers[" + std::to_string(l) + "]";
      LayerParams p;
      p.in = integer<int>(layers[l], "in", wl);
      p.out = integer<int>(layers[l], "out", wl);
      p.norm = read_norm(layers[l], wl);
      for (const auto& [name, member] : kTensorFields)
        if (layers[l].contains(name)) p.*member = float_array(layers[l], name, wl);
      out[n].layers.push_back(std::move(p));
    }
    try {
      // The data's dimensions are not known until it loads; the shapes must agree with themselves.
      check_shapes(out[n], cfg.networks[n].model, out[n].layers.front().in, out[n].layers.back().out);
    } catch (const std::runtime_error& e) {
      bad(w + " (network '" + cfg.networks[n].name + "')", e.what());
    }
  }
  return out;
}

}  // namespace

std::string encode_session(const LabSnapshot& s) {
  json params = json::array();
  for (const NetworkParams& p : s.params) params.push_back(write_params(p));
  const json doc = {{"format", kFormat},          {"version", kSessionVersion}, {"preset", s.config.preset},
                    {"config", to_json(s.config)},
                    {"step", s.step},             {"order_start", s.order_start}, {"history", write_history(s.history)},
                    {"params", params}};
  return doc.dump() + "\n";
}

LabSnapshot decode_session(const std::string& text, const std::string& name) {
  try {
    json doc;
    try {
      doc = json::parse(text);
    } catch (const json::parse_error& e) {
      throw std::runtime_error(std::string("not JSON (") + e.what() + ")");
    }
    if (!doc.is_object() || !doc.contains("format") || doc["format"] != kFormat)
      throw std::runtime_error("not a bnlab session file (it has no \"format\": \"bnlab-session\")");
    const json& version = at(doc, "version", kTop);
    if (!version.is_number_integer()) bad("version", "expected an integer, found " + version.dump());
    if (version.get<int64_t>() > kSessionVersion)
      throw std::runtime_error("session format version " + version.dump() + " was written by a newer bnlab; this one reads version " +
                               std::to_string(kSessionVersion));
    if (version.get<int64_t>() < 1) bad("version", "unknown version " + version.dump());
    LabSnapshot s;
    try {
      s.config = resolve_config(at(doc, "config", kTop));
    } catch (const ConfigError& e) {
      bad("config", e.what());
    }
    const json preset = doc.value("preset", json(""));  // not a config key: which lesson it came from
    if (!preset.is_string()) bad("preset", "expected a string, found " + preset.dump());
    s.config.preset = preset.get<std::string>();
    s.step = integer<int64_t>(doc, "step", kTop);
    s.order_start = integer<int64_t>(doc, "order_start", kTop);
    if (s.step < 0 || s.order_start < 0 || s.order_start > s.step)
      bad("step", "step " + std::to_string(s.step) + " with the data order begun at " + std::to_string(s.order_start));
    s.history = read_history(at(doc, "history", kTop), s.config);
    s.params = read_params(at(doc, "params", kTop), s.config);
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
}

// [SECTION] Files

void save_session(const std::string& path, const LabSnapshot& s) {
  if (s.params.size() != s.config.networks.size())
    throw std::runtime_error(path + ": nothing to save yet (the networks are not built)");
  write_file_atomic(path, encode_session(s));
}

LabSnapshot load_session(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw std::runtime_error(path + ": cannot read");
  return decode_session(text.str(), path);
}

}  // namespace bnlab
