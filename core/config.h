// config.h — one run described as one JSON document, resolved into plain structs.
//
// [SECTION] Enumerations and their spellings
// [SECTION] Resolved configuration
// [SECTION] Loading, overriding and validating
//
// A run is a JSON document layered on top of the documented defaults (default_config_json()).
// The top-level sections model/bn/optim describe every network; the "networks" list names the
// networks of the run and may override any key of model/bn/optim per network (except the batch
// size, which is shared because all networks see the same batches). Unknown keys, wrong types and
// out-of-range values throw ConfigError with one message naming the key, the value and what is
// allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bnlab {

// [SECTION] Enumerations and their spellings

enum class Activation { Sigmoid, Tanh, Relu, Linear };
enum class Norm { None, Batch, Layer };
enum class Init { Gaussian, Xavier, He, Zero };  // Zero: every weight 0 (the symmetry failure)
enum class DataKind { Mnist, Mnist10k, FashionMnist, Spiral, Blobs, Idx };  // Mnist: the full set
enum class Backend { Auto, Gpu, Cpu };
enum class EvalStats { Running, Batch };  // which statistics BN uses at evaluation

const char* to_string(Activation a);
const char* to_string(Norm n);
const char* to_string(Init i);
const char* to_string(DataKind d);
const char* to_string(Backend b);
const char* to_string(EvalStats e);

// [SECTION] Resolved configuration

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DataConfig {
  DataKind kind = DataKind::Mnist;
  int train_size = 0;  // 0 = everything the source has
  int test_size = 0;
  bool shuffle = true;    // reshuffle the training order every epoch
  bool binarize = false;  // pixels > 0.5 → 1, else 0
  std::string train_images, train_labels, test_images, test_labels;  // kind = idx
  int dim = 2;          // synthetic: input dimension
  int classes = 3;      // synthetic: number of classes
  double noise = 0.1;   // synthetic: noise std
};

struct ModelConfig {
  std::vector<int> hidden;  // widths of the hidden layers
  Activation activation = Activation::Sigmoid;
  std::vector<Norm> norm;   // one per hidden layer
  // Dropout probability p of each hidden layer (empty = none), as PyTorch's nn.Dropout placed
  // after the layer's activation: in training and probe passes each unit of each example is kept
  // with probability 1 − p and scaled by 1/(1 − p); evaluation passes are the identity
  // (core/dropout.h).
  std::vector<double> dropout;
  Init init = Init::Gaussian;
  double init_std = 0.1;    // for init = gaussian
};

struct BnConfig {
  double momentum = 0.1;  // running = (1 − momentum)·running + momentum·batch (PyTorch)
  double eps = 1e-5;
  bool learn_affine = true;  // false: γ and β stay pinned at the values below
  double gamma = 1.0;
  double beta = 0.0;
  // "Noisy BN" (Santurkar et al. 2018, §2.1): in training and probe passes, after each BN layer's
  // y = γx̂ + β, add n ~ N(μ, σ²) per example and unit, where each unit's μ ~ U(−noise_mean,
  // noise_mean) and σ ~ U(0, noise_std) are redrawn every step (core/bn_noise.h). 0, 0 = off.
  double noise_mean = 0.0;
  double noise_std = 0.0;
};

struct OptimConfig {
  double lr = 0.5;
  double momentum = 0.0;  // heavy-ball: v = momentum·v + g; θ −= lr·v
};

struct NetworkConfig {
  std::string name;
  ModelConfig model;
  BnConfig bn;
  OptimConfig optim;
};

struct StatsConfig {
  int probe_size = 256;   // fixed test examples every snapshot is measured on
  int bins = 64;          // histogram bins per tap
  int typical_unit = 0;   // the unit of each layer followed as in the paper's Figure 1b/c
};

// The "why BN works" meters (core/landscape.h): Santurkar et al. 2018's ICS and loss-landscape
// measurements, taken every `every` steps (0 = off) over step sizes multipliers × lr.
struct LandscapeConfig {
  int64_t every = 100;
  std::vector<double> multipliers = {0.25, 0.5, 1, 2, 4};
};
constexpr size_t kMaxMultipliers = 16;

constexpr size_t kMaxNetworks = 16;  // networks that train side by side in one run
constexpr int kMaxThreads = 256;     // the `threads` key's upper bound
constexpr int kMaxClasses = 100;     // classes of a data set: data.classes, and labels 0 … 99 of IDX files

struct RunConfig {
  std::string preset;  // the built-in preset it came from ("" for a config file); not a config key
  uint64_t seed = 1;
  Backend backend = Backend::Cpu;
  int threads = 0;  // the CPU reference's threads; 0 = every core (the lab: every core but one)
  DataConfig data;
  int batch = 60;
  int64_t steps = 1000;
  int64_t eval_every = 500;
  // Train accuracy is measured at every evaluation on the first N training examples (all when
  // fewer): a fixed subset, so that its curve is comparable step to step with test accuracy.
  int eval_train_size = 10000;
  int64_t log_every = 100;
  EvalStats eval_stats = EvalStats::Running;
  StatsConfig stats;
  LandscapeConfig landscape;
  std::vector<NetworkConfig> networks;
};

// [SECTION] Loading, overriding and validating

// The documented defaults: every key a config may contain, with its default value.
const nlohmann::json& default_config_json();

// Parses JSON text; `source` names the file in error messages.
nlohmann::json parse_config_text(const std::string& text, const std::string& source);

// Applies "key=value" with a dotted key (networks.1.optim.lr=2). The value is read as JSON when
// it parses as JSON, as a list when it contains commas (100,100,100), else as a string.
void apply_override(nlohmann::json& doc, const std::string& assignment);

// Layers `doc` on the defaults, checks every key and value, and returns the resolved run.
RunConfig resolve_config(const nlohmann::json& doc);

// The fully resolved run as JSON (what `bnlab run` writes as config.json); resolve_config of it
// gives back the same run.
nlohmann::json to_json(const RunConfig& cfg);

// Built-in presets (assets/presets/*.json, embedded in the binary).
struct PresetInfo {
  std::string name;
  std::string summary;
};
std::vector<PresetInfo> list_presets();
nlohmann::json preset_json(const std::string& name);  // throws ConfigError listing the names

// The run a command line asks for: a preset or a config file (or neither: the default preset,
// paper-fig1), then each "key=value" of --set in order.
RunConfig build_config(const std::string& preset, const std::string& config_file,
                       const std::vector<std::string>& sets);

bool any_norm(const RunConfig& cfg, Norm n);
// Dropout p of hidden layer l (0 when the model lists none).
inline double dropout_p(const ModelConfig& m, size_t l) { return l < m.dropout.size() ? m.dropout[l] : 0.0; }
bool any_dropout(const ModelConfig& m);
// One line naming what sets a network apart, for summaries: "bn: norm batch, dropout 0.5, lr 0.5"
// (norm and dropout spelled per layer when the layers differ).
std::string describe_network(const NetworkConfig& n);

// The lab's global learning rate: the smallest network's, the base the others are multiples of
// (lesson 3's ×1, ×5, ×30). set_base_lr scales every network's rate by base / base_lr(cfg), so
// each keeps its multiplier; the factor is limited so that every rate stays in [lo, hi].
double base_lr(const RunConfig& cfg);
void set_base_lr(RunConfig& cfg, double base, double lo, double hi);

}  // namespace bnlab
