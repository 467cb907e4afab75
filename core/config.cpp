// config.cpp — defaults, --set overrides, validation and presets.
//
// [SECTION] Spellings
// [SECTION] Defaults
// [SECTION] Overrides
// [SECTION] Structural check against the defaults
// [SECTION] Resolution with range checks
// [SECTION] Back to JSON
// [SECTION] Presets

#include "core/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/embedded.h"

namespace bnlab {

using nlohmann::json;

// [SECTION] Spellings

namespace {

template <class E>
struct Spelling {
  E value;
  const char* name;
};

constexpr Spelling<Activation> kActivations[] = {{Activation::Sigmoid, "sigmoid"},
                                                 {Activation::Tanh, "tanh"},
                                                 {Activation::Relu, "relu"},
                                                 {Activation::Linear, "linear"}};
constexpr Spelling<Norm> kNorms[] = {{Norm::None, "none"}, {Norm::Batch, "batch"}, {Norm::Layer, "layer"}};
constexpr Spelling<Init> kInits[] = {{Init::Gaussian, "gaussian"}, {Init::Xavier, "xavier"}, {Init::He, "he"}, {Init::Zero, "zero"}};
constexpr Spelling<DataKind> kDataKinds[] = {{DataKind::Mnist, "mnist"},
                                             {DataKind::Mnist10k, "mnist-10k"},
                                             {DataKind::FashionMnist, "fashion-mnist"},
                                             {DataKind::Spiral, "spiral"},
                                             {DataKind::Blobs, "blobs"},
                                             {DataKind::Idx, "idx"}};
constexpr Spelling<Backend> kBackends[] = {{Backend::Auto, "auto"}, {Backend::Gpu, "gpu"}, {Backend::Cpu, "cpu"}};
constexpr Spelling<EvalStats> kEvalStats[] = {{EvalStats::Running, "running"}, {EvalStats::Batch, "batch"}};

template <class E, size_t N>
const char* spell(const Spelling<E> (&table)[N], E v) {
  for (const auto& s : table)
    if (s.value == v) return s.name;
  return "?";
}

template <class E, size_t N>
E parse_enum(const Spelling<E> (&table)[N], const std::string& key, const std::string& text) {
  std::string allowed;
  for (const auto& s : table) {
    if (text == s.name) return s.value;
    allowed += allowed.empty() ? "" : " | ";
    allowed += s.name;
  }
  throw ConfigError(key + "=" + text + ": not allowed; use " + allowed);
}

}  // namespace

const char* to_string(Activation a) { return spell(kActivations, a); }
const char* to_string(Norm n) { return spell(kNorms, n); }
const char* to_string(Init i) { return spell(kInits, i); }
const char* to_string(DataKind d) { return spell(kDataKinds, d); }
const char* to_string(Backend b) { return spell(kBackends, b); }
const char* to_string(EvalStats e) { return spell(kEvalStats, e); }

// [SECTION] Defaults

const json& default_config_json() {
  // Every key a config may hold. The README's configuration table documents each one.
  static const json defaults = json::parse(R"({
    "seed": 1,
    "backend": "auto",
    "threads": 0,
    "data": {
      "kind": "mnist", "train_size": 0, "test_size": 0, "shuffle": true, "binarize": false,
      "train_images": "", "train_labels": "", "test_images": "", "test_labels": "",
      "dim": 2, "classes": 3, "noise": 0.1
    },
    "model": {
      "hidden": [100, 100, 100], "activation": "sigmoid", "norm": "none",
      "init": "gaussian", "init_std": 0.1, "dropout": 0.0
    },
    "bn": {"momentum": 0.1, "eps": 1e-5, "affine": "learn", "gamma": 1.0, "beta": 0.0,
           "noise_mean": 0.0, "noise_std": 0.0},
    "optim": {"lr": 0.5, "momentum": 0.0, "batch": 60},
    "steps": 1000,
    "eval_every": 500,
    "eval_train_size": 10000,
    "log_every": 100,
    "eval_stats": "running",
    "stats": {"probe_size": 256, "bins": 64, "typical_unit": 0},
    "landscape": {"every": 100, "multipliers": [0.25, 0.5, 1, 2, 4]},
    "networks": [{"name": "net"}]
  })");
  return defaults;
}

json parse_config_text(const std::string& text, const std::string& source) {
  // A key given twice in one object would silently keep the last value: refused. The callback
  // sees each object's keys in order; `seen` holds those of every open object.
  std::vector<std::vector<std::string>> seen;
  const json::parser_callback_t no_duplicates = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) seen.emplace_back();
    if (event == json::parse_event_t::object_end) seen.pop_back();
    if (event == json::parse_event_t::key) {
      const std::string key = parsed.get<std::string>();
      if (std::find(seen.back().begin(), seen.back().end(), key) != seen.back().end())
        throw ConfigError(source + ": the key \"" + key + "\" appears twice in one object; keep one");
      seen.back().push_back(key);
    }
    return true;
  };
  try {
    return json::parse(text, no_duplicates);
  } catch (const json::exception& e) {
    // nlohmann's messages start "[json.exception.parse_error.101] parse error at line 3, column 5:"
    // or "[json.exception.out_of_range.406] number overflow parsing '1e400'": keep what follows
    // the bracket.
    const std::string what = e.what();
    const auto at = what.find("] ");
    throw ConfigError(source + ": not valid JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
  }
}

// [SECTION] Overrides

namespace {

// A value as written, for a message. A `--set` value is raw bytes, not checked UTF-8 like a parsed
// file's strings: invalid bytes show as U+FFFD instead of throwing from inside the message (fuzzer).
std::string shown(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  if (!s.empty() && s.back() == sep) parts.emplace_back();
  return parts;
}

json parse_scalar(const std::string& text) {
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return v.is_discarded() ? json(text) : v;
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void apply_override(json& doc, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value, e.g. --set optim.lr=0.5");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);

  json value = parse_scalar(text);
  if (value.is_string() && text.find(',') != std::string::npos) {
    value = json::array();
    for (const auto& part : split(text, ',')) value.push_back(parse_scalar(part));
  }

  json* node = &doc;
  const auto parts = split(key, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    const bool last = i + 1 == parts.size();
    if (node->is_array()) {
      if (!is_index(p))
        throw ConfigError("--set " + key + ": '" + p + "' is not an index into the list (0 … " +
                          std::to_string(node->size() - 1) + ")");
      // Compared as text first: an index of 20 digits does not fit stoul.
      if (p.size() > 9 || std::stoul(p) >= node->size())
        throw ConfigError("--set " + key + ": index " + p + " is past the end (the list has " +
                          std::to_string(node->size()) + " entries)");
      node = &(*node)[std::stoul(p)];
    } else {
      if (!node->is_object()) *node = json::object();
      node = &(*node)[p];
    }
    if (last) *node = value;
  }
}

// [SECTION] Structural check against the defaults

namespace {

std::string type_name(const json& j) {
  if (j.is_boolean()) return "true/false";
  if (j.is_number_integer() || j.is_number_unsigned()) return "an integer";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "a list";
  if (j.is_object()) return "an object";
  return "null";
}

std::string keys_of(const json& obj) {
  std::string s;
  for (auto it = obj.begin(); it != obj.end(); ++it) s += (s.empty() ? "" : ", ") + it.key();
  return s;
}

// Does `v` have the type of the default `d`? Numbers: an integer default needs an integer.
bool same_type(const json& v, const json& d) {
  if (d.is_number_integer() || d.is_number_unsigned())
    return v.is_number_integer() || v.is_number_unsigned() ||
           (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
            std::abs(v.get<double>()) < 9e15);
  if (d.is_number()) return v.is_number();
  return std::string(v.type_name()) == d.type_name();
}

void check_against(const json& v, const json& d, const std::string& key);

void check_object(const json& v, const json& d, const std::string& prefix) {
  if (!v.is_object())
    throw ConfigError((prefix.empty() ? std::string("the config") : prefix) + " must be an object, got " +
                      type_name(v));
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (!d.contains(it.key()))
      throw ConfigError("unknown key '" + key + "'; allowed here: " + keys_of(d));
    check_against(it.value(), d[it.key()], key);
  }
}

void check_against(const json& v, const json& d, const std::string& key) {
  if (key == "model.norm" || (key.size() > 11 && key.compare(key.size() - 11, 11, ".model.norm") == 0)) {
    // One spelling for every layer, or a list with one per layer.
    const bool ok = v.is_string() || (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); }));
    if (!ok) throw ConfigError(key + "=" + shown(v) + ": expected a string or a list of strings (none | batch | layer)");
    return;
  }
  if (key == "model.dropout" || (key.size() > 14 && key.compare(key.size() - 14, 14, ".model.dropout") == 0)) {
    // One p for every layer, or a list with one per layer.
    const bool ok = v.is_number() || (v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_number(); }));
    if (!ok) throw ConfigError(key + "=" + shown(v) + ": expected a number or a list of numbers (p in [0, 1) per hidden layer)");
    return;
  }
  if (key == "networks") {
    if (!v.is_array() || v.empty())
      throw ConfigError("networks=" + shown(v) + ": expected a non-empty list of {\"name\": ...} objects");
    const json allowed = {{"name", ""},
                          {"model", default_config_json()["model"]},
                          {"bn", default_config_json()["bn"]},
                          {"optim", {{"lr", 0.5}, {"momentum", 0.0}}}};
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string k = "networks." + std::to_string(i);
      if (v[i].is_object() && v[i].contains("optim") && v[i]["optim"].is_object() && v[i]["optim"].contains("batch"))
        throw ConfigError(k + ".optim.batch: the batch size is shared by all networks (they see the same batches); set optim.batch");
      check_object(v[i], allowed, k);
    }
    return;
  }
  if (d.is_object()) return check_object(v, d, key);
  if (d.is_array()) {
    if (!v.is_array()) throw ConfigError(key + "=" + shown(v) + ": expected a list, got " + type_name(v));
    for (const auto& e : v)
      if (!same_type(e, d[0]))
        throw ConfigError(key + "=" + shown(v) + ": every entry must be " + type_name(d[0]));
    return;
  }
  if (!same_type(v, d))
    throw ConfigError(key + "=" + shown(v) + ": expected " + type_name(d) + ", got " + type_name(v));
}

// A scalar given where a list is expected (--set model.hidden=100) means a one-entry list; the
// same inside each entry of "networks", whose sections have the shared sections' keys.
void wrap_scalars(json& v, const json& d) {
  if (!v.is_object() || !d.is_object()) return;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "networks" && it.value().is_array()) {
      for (json& entry : it.value()) wrap_scalars(entry, d);
      continue;
    }
    if (!d.contains(it.key())) continue;
    const json& dv = d[it.key()];
    if (dv.is_array() && !it.value().is_array() && !dv.empty() && !dv[0].is_object())
      it.value() = json::array({it.value()});
    else
      wrap_scalars(it.value(), dv);
  }
}

}  // namespace

// [SECTION] Resolution with range checks

namespace {

// Names a key for messages: a network's own override when it has one, else the shared section.
struct KeyNamer {
  const json* override_obj;  // the network's entry, or nullptr for the shared sections
  std::string net_prefix;    // "networks.1."
  std::string operator()(const std::string& section, const std::string& key) const {
    if (override_obj && override_obj->contains(section) && (*override_obj)[section].contains(key))
      return net_prefix + section + "." + key;
    return section + "." + key;
  }
};

// Messages quote the value as written (`written`), not as converted.
void require(bool ok, const std::string& key, const json& written, const std::string& allowed) {
  if (!ok) throw ConfigError(key + "=" + shown(written) + ": " + allowed);
}

// An integer key, checked against lo … hi on the value as written before it is converted to T,
// so 4294967297 is refused rather than wrapped to 1. Every value in range is exact as a double.
template <class T>
T integer(const json& v, const std::string& key, double lo, double hi, const std::string& allowed) {
  const double x = v.get<double>();
  require(x >= lo && x <= hi, key, v, allowed);
  return static_cast<T>(x);
}

NetworkConfig resolve_network(const json& base, const json& entry, size_t index) {
  json merged = {{"model", base["model"]}, {"bn", base["bn"]}, {"optim", base["optim"]}};
  for (const char* section : {"model", "bn", "optim"})
    if (entry.contains(section)) merged[section].merge_patch(entry[section]);
  const KeyNamer key{&entry, "networks." + std::to_string(index) + "."};

  NetworkConfig n;
  n.name = entry.value("name", "");
  const json& m = merged["model"];
  for (const json& w : m["hidden"])
    n.model.hidden.push_back(integer<int>(w, key("model", "hidden"), 1, 4096, "every width must be in 1 … 4096"));
  if (n.model.hidden.empty()) throw ConfigError(key("model", "hidden") + "=[]: give at least one hidden layer");
  n.model.activation = parse_enum(kActivations, key("model", "activation"), m["activation"].get<std::string>());
  if (m["norm"].is_string()) {
    n.model.norm.assign(n.model.hidden.size(), parse_enum(kNorms, key("model", "norm"), m["norm"].get<std::string>()));
  } else {
    if (m["norm"].size() != n.model.hidden.size())
      throw ConfigError(key("model", "norm") + "=" + shown(m["norm"]) + ": give one entry per hidden layer (" +
                        std::to_string(n.model.hidden.size()) + ") or a single string");
    for (const auto& e : m["norm"]) n.model.norm.push_back(parse_enum(kNorms, key("model", "norm"), e.get<std::string>()));
  }
  const json& drop = m["dropout"];
  if (drop.is_array() && drop.size() != n.model.hidden.size())
    throw ConfigError(key("model", "dropout") + "=" + shown(drop) + ": give one entry per hidden layer (" +
                      std::to_string(n.model.hidden.size()) + ") or a single number");
  for (size_t l = 0; l < n.model.hidden.size(); ++l) {
    const json& p = drop.is_array() ? drop[l] : drop;
    n.model.dropout.push_back(p.get<double>());
    require(n.model.dropout.back() >= 0 && n.model.dropout.back() < 1, key("model", "dropout"), drop, "every p must be in [0, 1)");
  }
  n.model.init = parse_enum(kInits, key("model", "init"), m["init"].get<std::string>());
  n.model.init_std = m["init_std"].get<double>();
  require(n.model.init_std > 0 && n.model.init_std <= 100, key("model", "init_std"), m["init_std"], "must be in (0, 100]");

  const json& b = merged["bn"];
  n.bn.momentum = b["momentum"].get<double>();
  require(n.bn.momentum >= 0 && n.bn.momentum <= 1, key("bn", "momentum"), b["momentum"], "must be in [0, 1]");
  n.bn.eps = b["eps"].get<double>();
  require(n.bn.eps > 0 && n.bn.eps <= 1, key("bn", "eps"), b["eps"], "must be in (0, 1]");
  const std::string affine = b["affine"].get<std::string>();
  if (affine != "learn" && affine != "frozen")
    throw ConfigError(key("bn", "affine") + "=" + affine + ": not allowed; use learn | frozen");
  n.bn.learn_affine = affine == "learn";
  n.bn.gamma = b["gamma"].get<double>();
  n.bn.beta = b["beta"].get<double>();
  require(std::isfinite(n.bn.gamma) && std::abs(n.bn.gamma) <= 1e3, key("bn", "gamma"), b["gamma"], "must be in [−1000, 1000]");
  require(std::isfinite(n.bn.beta) && std::abs(n.bn.beta) <= 1e3, key("bn", "beta"), b["beta"], "must be in [−1000, 1000]");
  n.bn.noise_mean = b["noise_mean"].get<double>();
  require(n.bn.noise_mean >= 0 && n.bn.noise_mean <= 10, key("bn", "noise_mean"), b["noise_mean"], "must be in [0, 10]");
  n.bn.noise_std = b["noise_std"].get<double>();
  require(n.bn.noise_std >= 0 && n.bn.noise_std <= 10, key("bn", "noise_std"), b["noise_std"], "must be in [0, 10]");

  const json& o = merged["optim"];
  n.optim.lr = o["lr"].get<double>();
  require(n.optim.lr > 0 && n.optim.lr <= 100, key("optim", "lr"), o["lr"], "must be in (0, 100]");
  n.optim.momentum = o["momentum"].get<double>();
  require(n.optim.momentum >= 0 && n.optim.momentum < 1, key("optim", "momentum"), o["momentum"], "must be in [0, 1)");
  return n;
}

}  // namespace

RunConfig resolve_config(const json& user) {
  const json& d = default_config_json();
  json doc = user;
  wrap_scalars(doc, d);
  check_against(doc, d, "");
  json full = d;
  json networks = doc.contains("networks") ? doc["networks"] : d["networks"];
  doc.erase("networks");
  full.merge_patch(doc);  // objects merge key by key; lists and scalars replace

  RunConfig c;
  // The seed is any uint64: a JSON integer ≥ 0 (kept exactly), or a whole number written as a
  // float (1e6; check_against allows those below 9e15).
  const json& seed = full["seed"];
  require(seed.get<double>() >= 0, "seed", seed, "must be a whole number in 0 … 18446744073709551615");
  c.seed = seed.is_number_float()      ? static_cast<uint64_t>(seed.get<double>())
           : seed.is_number_unsigned() ? seed.get<uint64_t>()
                                       : static_cast<uint64_t>(seed.get<int64_t>());
  c.backend = parse_enum(kBackends, "backend", full["backend"].get<std::string>());
  c.threads = integer<int>(full["threads"], "threads", 0, kMaxThreads,
                           "must be in 0 … " + std::to_string(kMaxThreads) + " (0 = every core; the live lab leaves one for its window)");

  const json& dj = full["data"];
  c.data.kind = parse_enum(kDataKinds, "data.kind", dj["kind"].get<std::string>());
  c.data.train_size = integer<int>(dj["train_size"], "data.train_size", 0, 1e9, "must be in 0 … 1000000000 (0 = all)");
  c.data.test_size = integer<int>(dj["test_size"], "data.test_size", 0, 1e9, "must be in 0 … 1000000000 (0 = all)");
  c.data.shuffle = dj["shuffle"].get<bool>();
  c.data.binarize = dj["binarize"].get<bool>();
  c.data.train_images = dj["train_images"].get<std::string>();
  c.data.train_labels = dj["train_labels"].get<std::string>();
  c.data.test_images = dj["test_images"].get<std::string>();
  c.data.test_labels = dj["test_labels"].get<std::string>();
  if (c.data.kind == DataKind::Idx)
    for (const char* k : {"train_images", "train_labels", "test_images", "test_labels"})
      if (dj[k].get<std::string>().empty())
        throw ConfigError(std::string("data.") + k + " is empty: data.kind=idx needs the paths of all four IDX files");
  c.data.dim = integer<int>(dj["dim"], "data.dim", c.data.kind == DataKind::Spiral ? 2 : 1, 4096,
                            c.data.kind == DataKind::Spiral ? "must be in 2 … 4096 for a spiral" : "must be in 1 … 4096");
  c.data.classes = integer<int>(dj["classes"], "data.classes", 2, kMaxClasses, "must be in 2 … " + std::to_string(kMaxClasses));
  c.data.noise = dj["noise"].get<double>();
  require(c.data.noise >= 0 && c.data.noise <= 10, "data.noise", dj["noise"], "must be in [0, 10]");

  c.batch = integer<int>(full["optim"]["batch"], "optim.batch", 1, 65536, "must be in 1 … 65536");
  c.steps = integer<int64_t>(full["steps"], "steps", 0, 1e9, "must be in 0 … 1000000000");
  c.eval_every = integer<int64_t>(full["eval_every"], "eval_every", 1, 1e9, "must be in 1 … 1000000000");
  c.eval_train_size = integer<int>(full["eval_train_size"], "eval_train_size", 1, 1000000, "must be in 1 … 1000000");
  c.log_every = integer<int64_t>(full["log_every"], "log_every", 1, 1e9, "must be in 1 … 1000000000");
  c.eval_stats = parse_enum(kEvalStats, "eval_stats", full["eval_stats"].get<std::string>());

  c.stats.probe_size = integer<int>(full["stats"]["probe_size"], "stats.probe_size", 2, 100000, "must be in 2 … 100000");
  c.stats.bins = integer<int>(full["stats"]["bins"], "stats.bins", 8, 1024, "must be in 8 … 1024");
  const json& typical = full["stats"]["typical_unit"];
  c.stats.typical_unit = integer<int>(typical, "stats.typical_unit", 0, 4095, "must be in 0 … 4095");

  c.landscape.every = full["landscape"]["every"].get<int64_t>();
  require(c.landscape.every >= 0 && c.landscape.every <= 1000000000, "landscape.every",
          static_cast<double>(c.landscape.every), "must be in 0 … 1e9 (0 = off)");
  c.landscape.multipliers = full["landscape"]["multipliers"].get<std::vector<double>>();
  if (c.landscape.multipliers.empty() || c.landscape.multipliers.size() > kMaxMultipliers)
    throw ConfigError("landscape.multipliers=" + shown(full["landscape"]["multipliers"]) + ": give 1 … " +
                      std::to_string(kMaxMultipliers) + " step sizes (multiples of the learning rate)");
  for (size_t i = 0; i < c.landscape.multipliers.size(); ++i) {
    const double m = c.landscape.multipliers[i];
    require(m > 0 && m <= 100, "landscape.multipliers", m, "every multiplier must be in (0, 100]");
    for (size_t j = 0; j < i; ++j)
      require(c.landscape.multipliers[j] != m, "landscape.multipliers", m, "appears twice");
  }

  for (size_t i = 0; i < networks.size(); ++i) {
    NetworkConfig n = resolve_network(full, networks[i], i);
    if (n.name.empty()) n.name = "net" + std::to_string(i);
    const bool name_ok = n.name.size() <= 64 && std::all_of(n.name.begin(), n.name.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    }) && n.name != "." && n.name != "..";
    if (!name_ok)
      throw ConfigError("networks." + std::to_string(i) + ".name=" + n.name +
                        ": use up to 64 letters, digits, '-', '_' or '.' (it names files)");
    for (const auto& other : c.networks)
      if (other.name == n.name) throw ConfigError("networks." + std::to_string(i) + ".name=" + n.name + ": two networks have this name");
    const int narrowest = *std::min_element(n.model.hidden.begin(), n.model.hidden.end());
    require(c.stats.typical_unit < narrowest, "stats.typical_unit", typical,
            "must name a unit of every hidden layer (0 … " + std::to_string(narrowest - 1) + ")");
    c.networks.push_back(std::move(n));
  }
  if (c.networks.size() > kMaxNetworks)
    throw ConfigError("networks has " + std::to_string(c.networks.size()) + " entries: at most " +
                      std::to_string(kMaxNetworks) + " train side by side");
  if (c.batch < 2 && any_norm(c, Norm::Batch))
    throw ConfigError("optim.batch=1: batch normalization needs at least 2 examples per batch");
  return c;
}

double base_lr(const RunConfig& cfg) {
  double base = 0;
  for (const auto& net : cfg.networks) base = base == 0 ? net.optim.lr : std::min(base, net.optim.lr);
  return base;
}

void set_base_lr(RunConfig& cfg, double base, double lo, double hi) {
  const double old = base_lr(cfg);
  if (old <= 0 || base <= 0) return;
  double factor = base / old;
  for (const auto& net : cfg.networks) factor = std::clamp(factor, lo / net.optim.lr, hi / net.optim.lr);
  for (auto& net : cfg.networks) net.optim.lr *= factor;
}

std::string describe_network(const NetworkConfig& n) {
  // One value when every layer has it, else the list.
  const auto per_layer = [](const auto& values, auto spell) {
    std::string s;
    const bool same = std::all_of(values.begin(), values.end(), [&](const auto& v) { return v == values.front(); });
    for (size_t l = 0; l < (same ? std::min<size_t>(1, values.size()) : values.size()); ++l)
      s += (l ? "," : "") + spell(values[l]);
    return s;
  };
  const auto number = [](double x) {
    std::ostringstream s;
    s << x;
    return s.str();
  };
  std::string s = n.name + ": norm " + per_layer(n.model.norm, [](Norm x) { return std::string(to_string(x)); });
  s += ", dropout " + (any_dropout(n.model) ? per_layer(n.model.dropout, number) : std::string("none"));
  return s + ", lr " + number(n.optim.lr);
}

bool any_dropout(const ModelConfig& m) {
  return std::any_of(m.dropout.begin(), m.dropout.end(), [](double p) { return p > 0; });
}

bool any_norm(const RunConfig& cfg, Norm n) {
  for (const auto& net : cfg.networks)
    if (std::find(net.model.norm.begin(), net.model.norm.end(), n) != net.model.norm.end()) return true;
  return false;
}

// [SECTION] Back to JSON

namespace {

json network_sections(const NetworkConfig& n) {
  json norms = json::array();
  for (Norm x : n.model.norm) norms.push_back(to_string(x));
  return {{"model",
           {{"hidden", n.model.hidden},
            {"activation", to_string(n.model.activation)},
            {"norm", norms},
            {"init", to_string(n.model.init)},
            {"init_std", n.model.init_std},
            {"dropout", n.model.dropout}}},
          {"bn",
           {{"momentum", n.bn.momentum},
            {"eps", n.bn.eps},
            {"affine", n.bn.learn_affine ? "learn" : "frozen"},
            {"gamma", n.bn.gamma},
            {"beta", n.bn.beta},
            {"noise_mean", n.bn.noise_mean},
            {"noise_std", n.bn.noise_std}}},
          {"optim", {{"lr", n.optim.lr}, {"momentum", n.optim.momentum}}}};
}

}  // namespace

json to_json(const RunConfig& c) {
  json j;
  j["seed"] = c.seed;
  j["backend"] = to_string(c.backend);
  j["threads"] = c.threads;
  j["data"] = {{"kind", to_string(c.data.kind)},   {"train_size", c.data.train_size},
               {"test_size", c.data.test_size},    {"shuffle", c.data.shuffle},
               {"binarize", c.data.binarize},      {"train_images", c.data.train_images},
               {"train_labels", c.data.train_labels}, {"test_images", c.data.test_images},
               {"test_labels", c.data.test_labels}, {"dim", c.data.dim},
               {"classes", c.data.classes},        {"noise", c.data.noise}};
  // The shared sections repeat the first network's settings; every network is spelled out whole.
  const json first = network_sections(c.networks.at(0));
  j["model"] = first["model"];
  j["bn"] = first["bn"];
  j["optim"] = first["optim"];
  j["optim"]["batch"] = c.batch;
  j["steps"] = c.steps;
  j["eval_every"] = c.eval_every;
  j["eval_train_size"] = c.eval_train_size;
  j["log_every"] = c.log_every;
  j["eval_stats"] = to_string(c.eval_stats);
  j["stats"] = {{"probe_size", c.stats.probe_size}, {"bins", c.stats.bins}, {"typical_unit", c.stats.typical_unit}};
  j["landscape"] = {{"every", c.landscape.every}, {"multipliers", c.landscape.multipliers}};
  j["networks"] = json::array();
  for (const auto& n : c.networks) {
    json e = network_sections(n);
    e["name"] = n.name;
    j["networks"].push_back(e);
  }
  return j;
}

// [SECTION] Presets

namespace {

json preset_file(const std::string& name) {
  const std::string_view text = embedded_file("presets/" + name + ".json");
  if (text.empty()) return nullptr;
  return parse_config_text(std::string(text), "preset " + name);
}

}  // namespace

std::vector<PresetInfo> list_presets() {
  std::vector<PresetInfo> out;
  for (const auto& file : embedded_names("presets/")) {
    std::string name = file.substr(8, file.size() - 8 - 5);  // strip "presets/" and ".json"
    out.push_back({name, preset_file(name).value("summary", "")});
  }
  return out;
}

json preset_json(const std::string& name) {
  json p = preset_file(name);
  if (p.is_null()) {
    std::string names;
    for (const auto& info : list_presets()) names += (names.empty() ? "" : ", ") + info.name;
    throw ConfigError("no preset named '" + name + "'; presets: " + names);
  }
  return p.at("config");
}

RunConfig build_config(const std::string& preset, const std::string& config_file,
                       const std::vector<std::string>& sets) {
  if (!preset.empty() && !config_file.empty()) throw ConfigError("give --preset or --config, not both");
  json doc;
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) throw ConfigError(config_file + ": cannot read the config file");
    std::stringstream text;
    text << in.rdbuf();
    doc = parse_config_text(text.str(), config_file);
  } else {
    doc = preset_json(preset.empty() ? "paper-fig1" : preset);
  }
  for (const auto& s : sets) apply_override(doc, s);
  RunConfig cfg = resolve_config(doc);
  if (config_file.empty()) cfg.preset = preset.empty() ? "paper-fig1" : preset;
  return cfg;
}

}  // namespace bnlab
