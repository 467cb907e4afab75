// network.cpp — how a network's parameters are laid out, named, checked and initialized.
#include "core/network.h"

#include <cmath>
#include <stdexcept>

#include "core/npy.h"
#include "core/rng.h"

namespace bnlab {

namespace {

// Standard deviation of the initial weights of an (out, in) layer.
double init_std(const ModelConfig& model, int in, int out) {
  switch (model.init) {
    case Init::Gaussian: return model.init_std;
    case Init::Xavier: return std::sqrt(2.0 / (in + out));  // Glorot & Bengio 2010, normal form
    case Init::He: return std::sqrt(2.0 / in);              // He et al. 2015, for ReLU
    case Init::Zero: return 0.0;  // every unit of a layer computes the same thing, forever
  }
  throw std::logic_error("init_std: unknown Init");
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

}  // namespace

NetworkParams param_layout(const ModelConfig& model, int input_dim, int classes) {
  if (model.norm.size() != model.hidden.size())
    throw std::runtime_error("model.norm has " + std::to_string(model.norm.size()) +
                             " entries for " + std::to_string(model.hidden.size()) +
                             " hidden layers");
  NetworkParams p;
  int in = input_dim;
  for (size_t l = 0; l < model.hidden.size(); ++l) {
    LayerParams layer;
    layer.in = in;
    layer.out = model.hidden[l];
    layer.norm = model.norm[l];
    p.layers.push_back(layer);
    in = layer.out;
  }
  LayerParams output;
  output.in = in;
  output.out = classes;
  p.layers.push_back(output);
  return p;
}

std::vector<TensorSlot> layer_tensors(Norm norm) {
  switch (norm) {
    case Norm::None: return {{"weight", &LayerParams::weight}, {"bias", &LayerParams::bias}};
    case Norm::Batch:
      return {{"weight", &LayerParams::weight},
              {"bn.weight", &LayerParams::gamma},
              {"bn.bias", &LayerParams::beta},
              {"bn.running_mean", &LayerParams::running_mean},
              {"bn.running_var", &LayerParams::running_var}};
    case Norm::Layer:
      return {{"weight", &LayerParams::weight},
              {"bias", &LayerParams::bias},
              {"ln.weight", &LayerParams::gamma},
              {"ln.bias", &LayerParams::beta}};
  }
  throw std::logic_error("layer_tensors: unknown Norm");
}

std::string tensor_name(int layer, const TensorSlot& t) {
  return "layers." + std::to_string(layer) + "." + t.suffix;
}

std::vector<int64_t> tensor_shape(const LayerParams& layer, const TensorSlot& t) {
  if (t.member == &LayerParams::weight) return {layer.out, layer.in};
  return {layer.out};
}

NetworkParams init_params(const ModelConfig& model, const BnConfig& bn, int input_dim, int classes,
                          uint64_t seed) {
  NetworkParams p = param_layout(model, input_dim, classes);
  for (size_t l = 0; l < p.layers.size(); ++l) {
    LayerParams& layer = p.layers[l];
    const double sigma = init_std(model, layer.in, layer.out);
    // One stream per layer index, so a layer's W does not depend on the layers before it.
    Rng rng(seed, kStreamWeights + l);
    layer.weight.resize(static_cast<size_t>(layer.out) * layer.in);  // (out, in)
    for (float& w : layer.weight) w = static_cast<float>(sigma * rng.normal());
    const size_t out = static_cast<size_t>(layer.out);
    if (layer.norm != Norm::Batch) layer.bias.assign(out, 0.0f);
    if (layer.norm != Norm::None) {
      layer.gamma.assign(out, static_cast<float>(bn.gamma));
      layer.beta.assign(out, static_cast<float>(bn.beta));
    }
    if (layer.norm == Norm::Batch) {
      layer.running_mean.assign(out, 0.0f);
      layer.running_var.assign(out, 1.0f);
    }
  }
  return p;
}

NetworkParams convert_params(const NetworkParams& p, const ModelConfig& model, const BnConfig& bn) {
  NetworkParams out = param_layout(model, p.layers.empty() ? 0 : p.layers[0].in,
                                   p.layers.empty() ? 0 : p.layers.back().out);
  if (out.layers.size() != p.layers.size())
    throw std::runtime_error("the new settings have " + std::to_string(out.layers.size() - 1) +
                             " hidden layers, the network " + std::to_string(p.layers.size() - 1) +
                             ": reset to apply them");
  for (size_t l = 0; l < out.layers.size(); ++l) {
    const LayerParams& from = p.layers[l];
    LayerParams& to = out.layers[l];
    if (to.in != from.in || to.out != from.out)
      throw std::runtime_error("layer " + std::to_string(l) + " changes shape: reset to apply the new widths");
    to.weight = from.weight;
    const auto n = static_cast<size_t>(to.out);
    if (to.norm != Norm::Batch) to.bias = from.bias.empty() ? std::vector<float>(n, 0.f) : from.bias;
    if (to.norm == Norm::None) continue;
    const bool keep_affine = from.norm != Norm::None && bn.learn_affine;
    to.gamma = keep_affine ? from.gamma : std::vector<float>(n, static_cast<float>(bn.gamma));
    to.beta = keep_affine ? from.beta : std::vector<float>(n, static_cast<float>(bn.beta));
    if (to.norm == Norm::Batch) {
      const bool keep_running = from.norm == Norm::Batch;
      to.running_mean = keep_running ? from.running_mean : std::vector<float>(n, 0.f);
      to.running_var = keep_running ? from.running_var : std::vector<float>(n, 1.f);
    }
  }
  return out;
}

void check_shapes(const NetworkParams& p, const ModelConfig& model, int input_dim, int classes) {
  const NetworkParams want = param_layout(model, input_dim, classes);
  if (p.layers.size() != want.layers.size())
    throw std::runtime_error("network has " + std::to_string(p.layers.size()) +
                             " layers, the model needs " + std::to_string(want.layers.size()) +
                             " (" + std::to_string(model.hidden.size()) + " hidden + output)");

  // Every vector of LayerParams: a tensor the layer's norm lists must hold exactly its shape's
  // values, any other must be empty.
  const std::pair<std::vector<float> LayerParams::*, const char*> fields[] = {
      {&LayerParams::weight, "weight"},
      {&LayerParams::bias, "bias"},
      {&LayerParams::gamma, "gamma"},
      {&LayerParams::beta, "beta"},
      {&LayerParams::running_mean, "running_mean"},
      {&LayerParams::running_var, "running_var"}};

  for (size_t l = 0; l < p.layers.size(); ++l) {
    const LayerParams& got = p.layers[l];
    const LayerParams& w = want.layers[l];
    const std::string layer = "layers." + std::to_string(l);
    if (got.norm != w.norm)
      throw std::runtime_error(layer + ": norm '" + to_string(got.norm) + "' expected '" +
                               to_string(w.norm) + "'");
    if (got.out != w.out || got.in != w.in)
      throw std::runtime_error(layer + ".weight: shape " + shape_string({got.out, got.in}) +
                               " expected " + shape_string({w.out, w.in}));

    const std::vector<TensorSlot> slots = layer_tensors(w.norm);
    for (const auto& [member, field] : fields) {
      const size_t size = (got.*member).size();
      bool listed = false;
      for (const TensorSlot& t : slots) {
        if (t.member != member) continue;
        listed = true;
        const std::vector<int64_t> shape = tensor_shape(w, t);
        if (static_cast<int64_t>(size) != element_count(shape))
          throw std::runtime_error(tensor_name(static_cast<int>(l), t) + ": " +
                                   std::to_string(size) + " values, shape " + shape_string(shape) +
                                   " needs " + std::to_string(element_count(shape)));
      }
      if (!listed && size != 0)
        throw std::runtime_error(layer + ": " + field + " holds " + std::to_string(size) +
                                 " values, but a layer with norm '" + to_string(w.norm) +
                                 "' has none");
    }
  }
}

}  // namespace bnlab
