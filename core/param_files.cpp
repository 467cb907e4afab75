// param_files.cpp — saving and loading a network's parameters as .npy files (see param_files.h).
#include "core/param_files.h"

#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/npy.h"

namespace bnlab {

namespace fs = std::filesystem;

namespace {

std::string tensor_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / (name + ".npy")).string();
}

// Network names become directory names, so they must not reach outside `dir`.
void check_network_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw std::runtime_error("network name '" + name +
                             "' cannot name a parameter directory (it must be one path "
                             "component: not empty, '.', '..' or containing '/')");
}

// With bn.affine = frozen, γ and β stay at the configured values for the whole run, so a file
// holding anything else asks for two different things; say so instead of silently choosing one.
void check_pinned(const std::string& file, const std::vector<float>& values, float pinned,
                  const char* symbol, const char* key) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == pinned) continue;
    std::ostringstream msg;
    msg << std::setprecision(9) << file << ": " << symbol << "[" << i << "] = " << values[i]
        << ", but bn.affine = frozen pins " << symbol << " at " << key << " = " << pinned
        << "; set bn.affine = learn to start from the file's values";
    throw std::runtime_error(msg.str());
  }
}

}  // namespace

void save_params(const std::string& dir, const NetworkParams& p) {
  // Check every tensor first, so a malformed network leaves the directory untouched.
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const LayerParams& layer = p.layers[l];
    for (const TensorSlot& t : layer_tensors(layer.norm)) {
      int64_t count = 1;
      for (const int64_t d : tensor_shape(layer, t)) count *= d;
      const size_t size = (layer.*t.member).size();
      if (static_cast<int64_t>(size) != count)
        throw std::runtime_error(tensor_name(static_cast<int>(l), t) + ": " + std::to_string(size) +
                                 " values, shape " + shape_string(tensor_shape(layer, t)) +
                                 " needs " + std::to_string(count));
    }
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create the directory (" + ec.message() + ")");

  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (size_t l = 0; l < p.layers.size(); ++l) {
    const LayerParams& layer = p.layers[l];
    for (const TensorSlot& t : layer_tensors(layer.norm)) {
      const std::string name = tensor_name(static_cast<int>(l), t);
      const std::vector<int64_t> shape = tensor_shape(layer, t);
      write_npy(tensor_path(dir, name), shape, layer.*t.member);
      tensors.push_back(
          {{"name", name}, {"file", name + ".npy"}, {"shape", shape}, {"dtype", "float32"}});
    }
  }
  // One tensor per line, so the manifest reads as a table.
  std::string manifest = "{\n  \"format\": \"bnlab-params-1\",\n  \"tensors\": [\n";
  for (size_t i = 0; i < tensors.size(); ++i)
    manifest += "    " + tensors[i].dump() + (i + 1 < tensors.size() ? ",\n" : "\n");
  manifest += "  ]\n}\n";
  write_file_atomic((fs::path(dir) / "manifest.json").string(), manifest);
}

NetworkParams load_params(const std::string& dir, const ModelConfig& model, const BnConfig& bn,
                          int input_dim, int classes) {
  if (!fs::exists(dir)) throw std::runtime_error(dir + ": parameter directory does not exist");
  if (!fs::is_directory(dir))
    throw std::runtime_error(dir + ": not a directory (parameters are a directory of .npy files)");

  NetworkParams p = param_layout(model, input_dim, classes);
  for (size_t l = 0; l < p.layers.size(); ++l) {
    LayerParams& layer = p.layers[l];
    for (const TensorSlot& t : layer_tensors(layer.norm)) {
      const std::string name = tensor_name(static_cast<int>(l), t);
      const std::string file = tensor_path(dir, name);
      const std::vector<int64_t> shape = tensor_shape(layer, t);
      if (!fs::exists(file))
        throw std::runtime_error(file + ": missing; the model needs " + name + " " +
                                 shape_string(shape) + " (layer " + std::to_string(l) + ", norm " +
                                 to_string(layer.norm) + ")");
      NpyArray a = read_npy(file);
      if (a.shape != shape)
        throw std::runtime_error(file + ": shape " + shape_string(a.shape) + " expected " +
                                 shape_string(shape));
      if (!bn.learn_affine && t.member == &LayerParams::gamma)
        check_pinned(file, a.data, static_cast<float>(bn.gamma), "γ", "bn.gamma");
      if (!bn.learn_affine && t.member == &LayerParams::beta)
        check_pinned(file, a.data, static_cast<float>(bn.beta), "β", "bn.beta");
      layer.*t.member = std::move(a.data);
    }
  }
  return p;
}

void save_run_params(const std::string& dir, const std::vector<std::string>& names,
                     const std::vector<NetworkParams>& params) {
  if (names.size() != params.size())
    throw std::invalid_argument("save_run_params: " + std::to_string(names.size()) + " names for " +
                                std::to_string(params.size()) + " networks");
  std::set<std::string> seen;
  for (const std::string& name : names) {
    check_network_name(name);
    if (!seen.insert(name).second)
      throw std::runtime_error("network name '" + name +
                               "' appears twice; each network needs "
                               "its own parameter directory");
  }
  for (size_t i = 0; i < names.size(); ++i)
    save_params((fs::path(dir) / names[i]).string(), params[i]);
}

std::string network_params_dir(const std::string& dir, const std::string& name) {
  check_network_name(name);
  const fs::path sub = fs::path(dir) / name;
  return fs::is_directory(sub) ? sub.string() : dir;
}

std::vector<NetworkParams> load_run_params(const std::string& dir,
                                           const std::vector<NetworkConfig>& networks,
                                           int input_dim, int classes) {
  std::vector<NetworkParams> out;
  for (const NetworkConfig& n : networks) {
    try {
      out.push_back(
          load_params(network_params_dir(dir, n.name), n.model, n.bn, input_dim, classes));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error("network '" + n.name + "': " + e.what());
    }
  }
  return out;
}

}  // namespace bnlab
