// landscape.cpp — ICS (Santurkar et al.'s Definition 2.1) and the loss landscape along the
// gradient, on copies of a CpuNetwork (definitions in landscape.h).
//
// [SECTION] Quantities by name
// [SECTION] Gradients as one vector
// [SECTION] Measuring

#include "core/landscape.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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

// [SECTION] Gradients as one vector

namespace {

// Calls f(param, grad) for every trainable tensor of `net`, in a fixed order: per layer W, b (when
// the layer has one), then γ and β when normalized and learned — what update() moves.
template <class T, class F>
void for_each_trainable(CpuNetwork<T>& net, F f) {
  const bool affine = net.config().bn.learn_affine;
  for (auto& L : net.layers()) {
    f(L.W, L.dW);
    if (L.has_bias) f(L.b, L.db);
    if (L.norm != Norm::None && affine) {
      f(L.gamma, L.dgamma);
      f(L.beta, L.dbeta);
    }
  }
}

// The gradient of the last backward pass over every trainable parameter, (parameters).
template <class T>
std::vector<T> gradient(CpuNetwork<T>& net) {
  std::vector<T> g;
  for_each_trainable(net, [&](auto&, auto& d) { g.insert(g.end(), d.data(), d.data() + d.size()); });
  return g;
}

// θ −= η·g for g laid out as gradient() lays it out.
template <class T>
void step_along(CpuNetwork<T>& net, const std::vector<T>& g, T eta) {
  size_t at = 0;
  for_each_trainable(net, [&](auto& p, auto&) {
    for (Eigen::Index i = 0; i < p.size(); ++i) p.data()[i] -= eta * g[at + static_cast<size_t>(i)];
    at += static_cast<size_t>(p.size());
  });
}

template <class T>
double distance(const std::vector<T>& a, const std::vector<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
  return std::sqrt(s);
}

}  // namespace

// [SECTION] Measuring

template <class T>
NetworkLandscape measure_landscape(const CpuNetwork<T>& net, const typename CpuNetwork<T>::Mat& u,
                                   const int32_t* labels, const BnNoiseKey& noise,
                                   const std::vector<double>& multipliers) {
  using Net = CpuNetwork<T>;
  NetworkLandscape out;
  out.measured = true;
  const double lr = net.config().optim.lr;

  // θ_t: the gradient the next update will use (a probe pass computes the training pass's
  // values without moving BN's running statistics).
  Net at = net;
  at.forward(u, labels, PassMode::Probe, &noise);
  at.backward(u, labels);
  const std::vector<T> g = gradient(at);

  // θ_{t+1}: the network's own update, momentum included.
  Net next = at;
  next.update();

  // ICS per layer: layers before i moved to θ_{t+1}, the rest at θ_t.
  const size_t layers = net.layers().size();
  out.ics.resize(layers);
  for (size_t i = 1; i < layers; ++i) {
    Net moved = net;
    for (size_t l = 0; l < i; ++l) {
      auto& dst = moved.layers()[l];
      const auto& src = next.layers()[l];
      dst.W = src.W;
      dst.b = src.b;
      dst.gamma = src.gamma;
      dst.beta = src.beta;
    }
    moved.forward(u, labels, PassMode::Probe, &noise);
    moved.backward(u, labels);
    const auto& G = at.layers()[i].dW;
    const auto& G2 = moved.layers()[i].dW;
    const double g_norm = G.template cast<double>().norm(), g2_norm = G2.template cast<double>().norm();
    const double diff = (G - G2).template cast<double>().norm();
    LayerIcs& r = out.ics[i];
    r.l2 = static_cast<float>(diff);
    r.cos = static_cast<float>(G.template cast<double>().cwiseProduct(G2.template cast<double>()).sum() / (g_norm * g2_norm));
    r.rel = static_cast<float>(diff / g_norm);
  }

  // The landscape along −g.
  double g_norm = 0;
  for (T v : g) g_norm += static_cast<double>(v) * static_cast<double>(v);
  g_norm = std::sqrt(g_norm);
  out.beta_smooth = 0;
  for (double m : multipliers) {
    const double eta = m * lr;
    Net moved = net;
    step_along(moved, g, static_cast<T>(eta));
    out.loss_at.push_back(static_cast<float>(moved.forward(u, labels, PassMode::Probe, &noise)));
    moved.backward(u, labels);
    const double d = distance(g, gradient(moved));
    out.gradpred.push_back(static_cast<float>(d));
    const auto beta = static_cast<float>(d / (eta * g_norm));
    if (std::isnan(beta) || beta > out.beta_smooth) out.beta_smooth = beta;  // a NaN stays, not hidden by max
  }
  return out;
}

template NetworkLandscape measure_landscape<float>(const CpuNetwork<float>&, const CpuNetwork<float>::Mat&,
                                                   const int32_t*, const BnNoiseKey&, const std::vector<double>&);
template NetworkLandscape measure_landscape<double>(const CpuNetwork<double>&, const CpuNetwork<double>::Mat&,
                                                    const int32_t*, const BnNoiseKey&, const std::vector<double>&);

}  // namespace bnlab
