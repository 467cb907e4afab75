// dropout.h — dropout's keep/drop draws, computed identically by the CPU reference and the shaders.
//
// Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014, "Dropout: A Simple Way to
// Prevent Neural Networks from Overfitting" (JMLR 15), in the "inverted" form of PyTorch's
// nn.Dropout(p): in training each element is kept with probability 1 − p and scaled by
// 1/(1 − p), so that its expectation is unchanged; in evaluation the layer is the identity.
//
// Where it sits in bnlab (model.dropout, one p per hidden layer): after the hidden layer's
// activation, on its output —
//   x = W u (+ b) → [BN or LN] → z → a = act(z) → dropout → the next layer's input
// which is PyTorch's Sequential(Linear, BatchNorm1d, Sigmoid, Dropout), the usual order and the
// one Ioffe & Szegedy's §3.4 experiment removes dropout from. Training and probe passes drop
// (the probe shows what training sees, as noisy BN's draws do); evaluation passes never do.
// The statistics' taps x, z and a are before dropout; the next layer's x sees the dropped input.
//
// Backward: ∂ℓ/∂a = ∂ℓ/∂out ⊙ mask / (1 − p), with the mask of the forward pass.
//
// The draw of element (example i, unit j) of hidden layer l at step t is a pure function of
// (seed, t, l, j, i) — bn_noise.h's counter-based hash with its own `kind` — so runs are bit-for-
// bit repeatable, the GPU (common.glsl's dropout_keep, this code line for line) draws the same
// masks, and the GPU's backward pass recomputes the forward's mask instead of storing it. Step t is
// the number of updates before the step (probe passes after s updates: t = s), as for noisy BN.
#pragma once

#include "core/bn_noise.h"

namespace bnlab {

// The hash kind of dropout's draws (noisy BN uses 0 … 3).
constexpr uint32_t kDropoutKind = 4u;

// Is element (unit, example) of hidden layer `layer` kept at dropout probability p? A uniform
// u ∈ (0, 1) of 24 bits is kept when u ≥ p: probability 1 − p (to 2⁻²⁴).
inline bool dropout_keep(const BnNoiseKey& k, int layer, int unit, int example, float p) {
  const uint32_t h = bn_noise_hash(k, static_cast<uint32_t>(layer), static_cast<uint32_t>(unit),
                                   static_cast<uint32_t>(example), kDropoutKind);
  return bn_noise_uniform(h) >= p;
}

// The factor a kept element is multiplied by: 1/(1 − p), in float as the shaders compute it.
inline float dropout_scale(float p) { return 1.0f / (1.0f - p); }

}  // namespace bnlab
