// param_files.h — a network's parameters as a directory of .npy files, so trained or hand-made
// weights move between bnlab, NumPy and PyTorch, and a run can start from given weights.
//
// One file per tensor, named by its PyTorch state_dict name (network.h, tensor_name):
//   layers.0.weight.npy          (100, 784)   W of the first hidden layer, (out, in)
//   layers.0.bn.weight.npy       (100,)       γ          (BatchNorm layers have no bias)
//   layers.0.bn.bias.npy         (100,)       β
//   layers.0.bn.running_mean.npy (100,)
//   layers.0.bn.running_var.npy  (100,)       unbiased, as BatchNorm1d keeps it
//   layers.1.ln.weight.npy ...                γ and β of a LayerNorm layer, which keeps its bias
//   layers.3.weight.npy, layers.3.bias.npy    the output layer, last
//   manifest.json   {"format": "bnlab-params-1", "tensors": [{"name", "file", "shape", "dtype"}]}
// The manifest is for people and scripts; loading reads the tensors the model names. In PyTorch:
//   sd = {t["name"]: torch.from_numpy(np.load(f"{d}/{t['file']}")) for t in manifest["tensors"]}
//   model.load_state_dict(sd, strict=False)   # BatchNorm1d's num_batches_tracked is not stored
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/network.h"

namespace bnlab {

// Writes every tensor of `p` and manifest.json into `dir`, creating it if needed. Each file is
// written atomically (npy.h, write_file_atomic); other files in `dir` are left alone. Throws
// std::runtime_error naming the tensor or file, before writing anything if a tensor's size
// disagrees with its layer's shape.
void save_params(const std::string& dir, const NetworkParams& p);

// Reads the tensors `model` implies from `dir` (extra files are ignored). Throws one
// std::runtime_error naming the directory or file: missing, not .npy float32, wrong shape — or,
// when bn.learn_affine is false, a γ or β that differs from the bn.gamma / bn.beta it is pinned at.
NetworkParams load_params(const std::string& dir, const ModelConfig& model, const BnConfig& bn,
                          int input_dim, int classes);

// Runs of several networks. save_run_params writes params[i] to dir/<names[i]>/. Names must be
// distinct single path components (not empty, ".", ".." or containing '/').
void save_run_params(const std::string& dir, const std::vector<std::string>& names,
                     const std::vector<NetworkParams>& params);

// Where network `name` reads its parameters: dir/<name>/ if that subdirectory exists, else `dir`
// itself — so one directory of tensors initialises every network of a run whose shapes fit it.
std::string network_params_dir(const std::string& dir, const std::string& name);

// Loads every network of a run, in order, from network_params_dir(dir, network.name). Errors
// start with "network '<name>': " and name the file.
std::vector<NetworkParams> load_run_params(const std::string& dir,
                                           const std::vector<NetworkConfig>& networks,
                                           int input_dim, int classes);

}  // namespace bnlab
