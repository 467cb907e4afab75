// network.h — the parameters of one MLP, in PyTorch's layout, and how they start.
//
// Layer l (hidden layers first, the output layer last) computes x = W u (+ b); a hidden layer
// then normalizes x (BatchNorm or LayerNorm, with γ and β) and applies the activation. The output
// layer feeds softmax cross-entropy. With BatchNorm the bias is dropped, because β subsumes it
// (Ioffe & Szegedy 2015, §3.2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace bnlab {

struct LayerParams {
  int in = 0, out = 0;
  Norm norm = Norm::None;            // always None for the output layer
  std::vector<float> weight;         // (out, in) row-major, as PyTorch's Linear.weight
  std::vector<float> bias;           // (out); empty when norm == Batch
  std::vector<float> gamma, beta;    // (out); empty when norm == None
  std::vector<float> running_mean;   // (out); only when norm == Batch
  std::vector<float> running_var;    // (out); unbiased, as PyTorch's BatchNorm1d
};

struct NetworkParams {
  std::vector<LayerParams> layers;  // hidden layers, then the output layer
};

// Initial parameters. Weights of layer l come from the seed's stream kStreamWeights + l and
// depend only on (seed, l, in, out, init, init_std), so networks whose layers have the same shape
// and initialization start from identical W — the basis of every twin comparison.
NetworkParams init_params(const ModelConfig& model, const BnConfig& bn, int input_dim,
                          int classes, uint64_t seed);

// Checks that `p` has the shapes `model` implies; throws std::runtime_error naming the tensor.
void check_shapes(const NetworkParams& p, const ModelConfig& model, int input_dim, int classes);

// `p` carried over to new settings of the same shape (the lab's live changes): weights are kept;
// a layer that gains BatchNorm drops its bias and starts γ, β at bn.gamma, bn.beta with fresh
// running statistics; one that loses its normalization gets a zero bias; switching between BN and
// LayerNorm keeps γ and β; pinned γ/β (bn.learn_affine false) are set to bn.gamma, bn.beta.
// Throws std::runtime_error when the widths differ (that needs a reset).
NetworkParams convert_params(const NetworkParams& p, const ModelConfig& model, const BnConfig& bn);

// The layers `model` implies — in, out and norm set, no tensors: a network's shape.
NetworkParams param_layout(const ModelConfig& model, int input_dim, int classes);

// Tensor names. Tensor t of layer l is called "layers.<l>.<t.suffix>", as in the state_dict of a
// PyTorch module list `layers` whose block l holds the weight and bias of its linear map and a
// norm submodule `bn` (BatchNorm1d) or `ln` (LayerNorm). Files and messages use these names.
struct TensorSlot {
  const char* suffix;                       // "weight", "bias", "bn.weight", "ln.bias", ...
  std::vector<float> LayerParams::*member;  // where LayerParams keeps it
};
// The tensors of a layer with this normalization, in state_dict order.
std::vector<TensorSlot> layer_tensors(Norm norm);
std::string tensor_name(int layer, const TensorSlot& t);  // "layers.2.bn.running_var"
// (out, in) for the weight, (out) for the others.
std::vector<int64_t> tensor_shape(const LayerParams& layer, const TensorSlot& t);

}  // namespace bnlab
