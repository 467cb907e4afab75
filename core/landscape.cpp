// landscape.cpp — ICS (Santurkar et al.'s Definition 2.1) and the loss landscape along the
// gradient, on scratch copies of a CpuNetwork (definitions in landscape.h).
//
// [SECTION] Quantities by name
// [SECTION] Scratch networks
// [SECTION] Measuring

#include "core/landscape.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/stats.h"

namespace bnlab {

// [SECTION] Quantities by name

namespace {

float min_of(const std::vector<float>& v) { return v.empty() ? kNaN : *std::min_element(v.begin(), v.end()); }
float max_of(const std::vector<float>& v) { return v.empty() ? kNaN : *std::max_element(v.begin(), v.end()); }

}  // namespace

float NetworkLandscape::loss_min() const { return min_of(loss_at); }
float NetworkLandscape::loss_max() const { return max_of(loss_at); }
float NetworkLandscape::gradpred_min() const { return min_of(gradpred); }
float NetworkLandscape::gradpred_max() const { return max_of(gradpred); }

std::string loss_at_name(double multiplier) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "loss_at_%g", multiplier);
  return buf;
}

std::vector<std::pair<std::string, float>> network_quantities(const NetworkLandscape& n,
                                                              const std::vector<double>& multipliers) {
  std::vector<std::pair<std::string, float>> q = {{"loss_min", n.loss_min()},
                                                  {"loss_max", n.loss_max()},
                                                  {"gradpred_min", n.gradpred_min()},
                                                  {"gradpred_max", n.gradpred_max()},
                                                  {"beta_smooth", n.beta_smooth}};
  for (size_t j = 0; j < multipliers.size() && j < n.loss_at.size(); ++j)
    q.emplace_back(loss_at_name(multipliers[j]), n.loss_at[j]);
  return q;
}

std::vector<std::pair<std::string, float>> layer_quantities(const LayerIcs& l) {
  return {{"ics_l2", l.l2}, {"ics_cos", l.cos}, {"ics_rel", l.rel}};
}

// [SECTION] Scratch networks

namespace {

// Calls f(l, param, grad) for every trainable tensor of layer l of a network shaped as `net`, in
// a fixed order — per layer W, b (when the layer has one), then γ and β when normalized and
// learned: what update() moves. param and grad are pointers to CpuLayer members, so that one call
// can reach the same tensor in several networks.
template <class T, class F>
void for_each_trainable(const CpuNetwork<T>& net, F f) {
  using Layer = CpuLayer<T>;
  const bool affine = net.config().bn.learn_affine;
  for (size_t l = 0; l < net.layers().size(); ++l) {
    const Layer& L = net.layers()[l];
    f(l, &Layer::W, &Layer::dW);
    if (L.has_bias) f(l, &Layer::b, &Layer::db);
    if (L.norm != Norm::None && affine) {
      f(l, &Layer::gamma, &Layer::dgamma);
      f(l, &Layer::beta, &Layer::dbeta);
    }
  }
}

// Layer l of dst takes layer l of src's parameters (W, b, γ, β), into the buffers it has.
template <class T>
void copy_layer_parameters(CpuLayer<T>& dst, const CpuLayer<T>& src) {
  dst.norm = src.norm;
  dst.has_bias = src.has_bias;
  dst.W = src.W;
  dst.b = src.b;
  dst.gamma = src.gamma;
  dst.beta = src.beta;
}

// `scratch` becomes a network with src's settings and parameters (with its momentum buffers when
// `velocity`). The first time it is a copy; after that the scratch network's buffers are reused,
// so that a measurement allocates nothing and copies parameters only, not src's gradients and
// caches. BN's running statistics are not copied: probe passes do not read them.
template <class T>
CpuNetwork<T>& load(std::optional<CpuNetwork<T>>& scratch, const CpuNetwork<T>& src, bool velocity) {
  if (!scratch) return scratch.emplace(src);
  CpuNetwork<T>& dst = *scratch;
  dst.config() = src.config();
  dst.layers().resize(src.layers().size());
  for (size_t l = 0; l < src.layers().size(); ++l) {
    CpuLayer<T>& d = dst.layers()[l];
    const CpuLayer<T>& s = src.layers()[l];
    copy_layer_parameters(d, s);
    if (velocity) {
      d.vW = s.vW;
      d.vb = s.vb;
      d.vgamma = s.vgamma;
      d.vbeta = s.vbeta;
    }
  }
  return dst;
}

}  // namespace

// [SECTION] Measuring

template <class T>
NetworkLandscape measure_landscape(const CpuNetwork<T>& net, const typename CpuNetwork<T>::Mat& u,
                                   const typename CpuNetwork<T>::Sparse* sparse, const int32_t* labels, const BnNoiseKey& noise,
                                   const std::vector<double>& multipliers, LandscapeScratch<T>& scratch) {
  NetworkLandscape out;
  out.measured = true;
  const double lr = net.config().optim.lr;

  // θ_t: the gradient g the next update will use (a probe pass computes the training pass's
  // values without moving BN's running statistics) ...
  CpuNetwork<T>& at = load(scratch.at, net, true);
  at.forward(u, labels, PassMode::Probe, &noise, sparse);
  at.backward(u, labels, sparse);
  // ... then θ_{t+1} by the network's own update, momentum included. `at` keeps g in its
  // gradients: update() reads them and moves the parameters and momentum buffers only.
  at.update();

  // ICS per layer i: layers before i at θ_{t+1}, the rest at θ_t. Going up the layers, one more
  // layer of `moved` takes its θ_{t+1} each time, so the forward pass starts at that layer (the
  // ones below are as the last pass left them) and the backward pass stops at layer i.
  const size_t layers = net.layers().size();
  out.ics.resize(layers);
  CpuNetwork<T>& moved = load(scratch.moved, net, false);
  for (size_t i = 1; i < layers; ++i) {
    copy_layer_parameters(moved.layers()[i - 1], at.layers()[i - 1]);
    moved.forward(u, labels, PassMode::Probe, &noise, sparse, static_cast<int>(i - 1));
    moved.backward(u, labels, sparse, static_cast<int>(i));
    const auto& G = at.layers()[i].dW;
    const auto& G2 = moved.layers()[i].dW;
    const double g_norm = G.template cast<double>().norm(), g2_norm = G2.template cast<double>().norm();
    const double diff = (G - G2).template cast<double>().norm();
    LayerIcs& r = out.ics[i];
    r.l2 = static_cast<float>(diff);
    r.cos = static_cast<float>(G.template cast<double>().cwiseProduct(G2.template cast<double>()).sum() / (g_norm * g2_norm));
    r.rel = static_cast<float>(diff / g_norm);
  }

  // The landscape along −g: every trainable tensor of `moved` at θ_t − η·g. What is not trainable
  // (frozen γ/β) no update moves: `moved` has it at θ_t already.
  double g_sq = 0;
  for_each_trainable(net, [&](size_t l, auto, auto d) { g_sq += (at.layers()[l].*d).template cast<double>().squaredNorm(); });
  const double g_norm = std::sqrt(g_sq);
  out.beta_smooth = 0;
  for (double m : multipliers) {
    const double eta = m * lr;
    for_each_trainable(net, [&](size_t l, auto p, auto d) {
      moved.layers()[l].*p = net.layers()[l].*p - static_cast<T>(eta) * at.layers()[l].*d;
    });
    out.loss_at.push_back(static_cast<float>(moved.forward(u, labels, PassMode::Probe, &noise, sparse)));
    moved.backward(u, labels, sparse);
    double d_sq = 0;
    for_each_trainable(net, [&](size_t l, auto, auto d) {
      d_sq += (at.layers()[l].*d - moved.layers()[l].*d).template cast<double>().squaredNorm();
    });
    const double d = std::sqrt(d_sq);
    out.gradpred.push_back(static_cast<float>(d));
    const auto beta = static_cast<float>(d / (eta * g_norm));
    if (std::isnan(beta) || beta > out.beta_smooth) out.beta_smooth = beta;  // a NaN stays, not hidden by max
  }
  return out;
}

template <class T>
NetworkLandscape measure_landscape(const CpuNetwork<T>& net, const typename CpuNetwork<T>::Mat& u,
                                   const int32_t* labels, const BnNoiseKey& noise,
                                   const std::vector<double>& multipliers) {
  LandscapeScratch<T> scratch;
  return measure_landscape(net, u, nullptr, labels, noise, multipliers, scratch);
}

#define BNLAB_MEASURE_LANDSCAPE(T)                                                                               \
  template NetworkLandscape measure_landscape<T>(const CpuNetwork<T>&, const CpuNetwork<T>::Mat&,                \
                                                 const CpuNetwork<T>::Sparse*, const int32_t*, const BnNoiseKey&,         \
                                                 const std::vector<double>&, LandscapeScratch<T>&);              \
  template NetworkLandscape measure_landscape<T>(const CpuNetwork<T>&, const CpuNetwork<T>::Mat&, const int32_t*, \
                                                 const BnNoiseKey&, const std::vector<double>&);
BNLAB_MEASURE_LANDSCAPE(float)
BNLAB_MEASURE_LANDSCAPE(double)
#undef BNLAB_MEASURE_LANDSCAPE

}  // namespace bnlab
