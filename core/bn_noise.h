// bn_noise.h — the "noisy BN" draws, computed identically by the CPU reference and the shaders.
//
// [SECTION] Counter-based hash
// [SECTION] The noise
//
// Santurkar, Tsipras, Ilyas & Madry 2018, "How Does Batch Normalization Help Optimization?"
// (NeurIPS, arXiv:1805.11604), §2.1: to test whether BN works by stabilizing the distribution of
// layer inputs, they inject noise after BN — i.i.d. for each activation of each example, from a
// distribution with non-zero mean and non-unit variance that changes at every training step — and
// find that the noisy network trains about as well as the plain BN network although its layer
// inputs are far less stable.
//
// The paper's text fixes those properties (i.i.d. per activation and example, non-zero mean,
// non-unit variance, a new distribution every step); the exact sampling ranges of its appendix
// were not available when this was written, so the form below — additive, with uniform ranges —
// is bnlab's choice. What bnlab implements (bn.noise_mean = a, bn.noise_std = b):
//   for step t, hidden layer l and unit j:  μ_tlj ~ U(−a, a),  σ_tlj ~ U(0, b)
//   for example i of the pass:               z_ij = γ_j x̂_ij + β_j + μ_tlj + σ_tlj · g_tlji,
//                                             g ~ N(0, 1) (Box–Muller)
// So each unit's input to the nonlinearity has its mean moved by up to ±a and its spread widened
// by up to b, differently at every step. Because the noise is added (∂z/∂y = 1) and does not
// depend on the parameters, the backward pass is the usual one evaluated at the noisy z.
//
// Every draw is a pure function of (seed, t, l, j, i): no generator state, so the GPU computes
// the same numbers in common.glsl (bn_noise there is this code, line for line, on 32-bit uints).
// Training step t uses t = the number of updates before it; a probe pass after s updates uses
// t = s (the draws the next step will see), so the snapshots show what training sees.
// Evaluation passes never add noise.
#pragma once

#include <cmath>
#include <cstdint>

namespace bnlab {

// [SECTION] Counter-based hash

// PCG-based integer hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering").
inline uint32_t pcg_hash(uint32_t v) {
  const uint32_t state = v * 747796405u + 2891336453u;
  const uint32_t word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// The run and step a draw belongs to; bn_noise_hash adds (layer, unit, example, kind), where
// `kind` separates the draws of one (t, l, j, i).
struct BnNoiseKey {
  uint64_t seed = 0;
  int64_t step = 0;
};

inline uint32_t bn_noise_hash(const BnNoiseKey& k, uint32_t layer, uint32_t unit, uint32_t example, uint32_t kind) {
  uint32_t h = pcg_hash(static_cast<uint32_t>(k.seed) ^ 0x9e3779b9u);
  h = pcg_hash(h ^ static_cast<uint32_t>(k.seed >> 32));
  h = pcg_hash(h ^ static_cast<uint32_t>(k.step));
  h = pcg_hash(h ^ layer);
  h = pcg_hash(h ^ unit);
  h = pcg_hash(h ^ example);
  return pcg_hash(h ^ kind);
}

// A uniform in (0, 1): the top 24 bits, centred in their cell (exact in float).
inline float bn_noise_uniform(uint32_t h) { return (static_cast<float>(h >> 8u) + 0.5f) * (1.0f / 16777216.0f); }

// [SECTION] The noise

// The distribution of unit j of layer l at step t: its mean μ and standard deviation σ for
// noise_mean a and noise_std b.
inline void bn_noise_unit(const BnNoiseKey& k, int layer, int unit, float a, float b, float* mu, float* sigma) {
  const auto l = static_cast<uint32_t>(layer), j = static_cast<uint32_t>(unit);
  constexpr uint32_t kPerUnit = 0xffffffffu;  // the per-unit draws use no example index
  *mu = a * (2.0f * bn_noise_uniform(bn_noise_hash(k, l, j, kPerUnit, 0u)) - 1.0f);
  *sigma = b * bn_noise_uniform(bn_noise_hash(k, l, j, kPerUnit, 1u));
}

// The standard normal g of (layer, unit, example) at step t; the noise added is μ + σ·g.
inline float bn_noise_gauss(const BnNoiseKey& k, int layer, int unit, int example) {
  const auto l = static_cast<uint32_t>(layer), j = static_cast<uint32_t>(unit), i = static_cast<uint32_t>(example);
  const float u1 = bn_noise_uniform(bn_noise_hash(k, l, j, i, 2u));
  const float u2 = bn_noise_uniform(bn_noise_hash(k, l, j, i, 3u));
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530718f * u2);
}

}  // namespace bnlab
