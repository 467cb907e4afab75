// landscape.h — the "why BN works" meters of Santurkar, Tsipras, Ilyas & Madry 2018, "How Does
// Batch Normalization Help Optimization?" (NeurIPS, arXiv:1805.11604), measured on a live run.
//
// [SECTION] What is measured
// [SECTION] Measuring one network
//
// Every landscape.every steps, at the parameters θ_t after t updates, on the mini-batch the next
// update will use, with normalization by that batch's statistics (train mode; noisy BN with the
// draws of that step). Everything is computed on copies of the network: parameters, momentum
// buffers, BN's running statistics and the data order are untouched, so a run measures the same
// losses bit for bit with the meters on or off.
//
// ICS, the paper's Definition 2.1, for layer i (1-based; hidden layers, then the output layer k):
//   G  = ∂L/∂W_i at θ_t;
//   G′ = ∂L/∂W_i once the parameters of layers 1 … i−1 (W, b, γ, β) take the values this step's
//        update gives them — the network's own update: its lr and momentum, v′ = μ·v + ∇L(θ_t),
//        θ − lr·v′ — layers i … k unchanged, the same mini-batch;
//   ics_l2 = ‖G − G′‖ (Frobenius), ics_cos = ⟨G, G′⟩ / (‖G‖‖G′‖), ics_rel = ‖G − G′‖ / ‖G‖.
//   Layer 1 has no layer before it: G′ = G, so ics_l2 = 0 and ics_cos = 1 by definition.
// The landscape along g = ∇L(θ_t) over every trainable parameter (W, b, and γ, β when learned),
// for η_j = m_j · lr over landscape.multipliers:
//   loss_at[j]  = L(θ_t − η_j g);
//   gradpred[j] = ‖∇L(θ_t) − ∇L(θ_t − η_j g)‖ (gradient predictiveness);
//   beta_smooth = max_j gradpred[j] / ‖η_j g‖ (effective β-smoothness).
// Cost per network and measurement: one forward and backward pass at θ_t, one per multiplier, and
// k − 1 shorter ones for ICS (forward from the layer that moved last, backward down to layer i;
// together about one full pass for the paper's network), on two scratch networks that are
// allocated once and then take parameters only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bn_noise.h"
#include "core/cpu_network.h"

namespace bnlab {

// [SECTION] What is measured

struct LayerIcs {
  float l2 = 0, cos = 1, rel = 0;
};

struct NetworkLandscape {
  bool measured = false;           // false for a network that has diverged
  std::vector<LayerIcs> ics;       // (hidden layers + 1): layer i at [i − 1], the output layer last
  std::vector<float> loss_at;      // (multipliers) L(θ − η_j g)
  std::vector<float> gradpred;     // (multipliers) ‖∇L(θ) − ∇L(θ − η_j g)‖
  float beta_smooth = 0;           // max_j gradpred[j] / ‖η_j g‖
  float loss_min() const;
  float loss_max() const;
  float gradpred_min() const;
  float gradpred_max() const;
};

struct LandscapeStats {
  int64_t step = 0;                          // t: updates done at θ_t
  std::vector<double> multipliers;           // (multipliers) the grid, × lr
  std::vector<NetworkLandscape> networks;    // (networks)
};

// The network-wide quantities in the order files and exports list them, and the per-layer ones.
// Names: "loss_min", "loss_max", "gradpred_min", "gradpred_max", "beta_smooth", then
// "loss_at_<m>" per multiplier (m printed as %g: loss_at_0.25); per layer "ics_l2", "ics_cos",
// "ics_rel".
std::vector<std::pair<std::string, float>> network_quantities(const NetworkLandscape& n,
                                                              const std::vector<double>& multipliers);
std::vector<std::pair<std::string, float>> layer_quantities(const LayerIcs& l);
std::string loss_at_name(double multiplier);  // "loss_at_0.25"

// [SECTION] Measuring one network

// The networks a measurement computes on, kept from one measurement to the next (one per thread).
template <class T>
struct LandscapeScratch {
  std::optional<CpuNetwork<T>> at;     // θ_t's gradient, then θ_{t+1}
  std::optional<CpuNetwork<T>> moved;  // the ICS and landscape points
};

// Measures `net` at its current parameters on the batch u (in, m) — or on `sparse` when given (u
// is then not read), as CpuNetwork::forward takes them — with `labels` (m); `noise` as the next
// training step's forward pass would use it. `net` is not changed.
template <class T>
NetworkLandscape measure_landscape(const CpuNetwork<T>& net, const typename CpuNetwork<T>::Mat& u,
                                   const typename CpuNetwork<T>::Sparse* sparse, const int32_t* labels, const BnNoiseKey& noise,
                                   const std::vector<double>& multipliers, LandscapeScratch<T>& scratch);
// The same on a dense batch, with scratch networks of its own.
template <class T>
NetworkLandscape measure_landscape(const CpuNetwork<T>& net, const typename CpuNetwork<T>::Mat& u,
                                   const int32_t* labels, const BnNoiseKey& noise,
                                   const std::vector<double>& multipliers);

}  // namespace bnlab
