// norm_back.comp — backward through the activation and the normalization of hidden layer u_layer.
//
// In: SLOT_DZ holds ∂ℓ/∂ of the layer's output (a, or a after dropout). Out: SLOT_DZ holds ∂ℓ/∂z (the γ and β gradients read it), SLOT_DX
// holds ∂ℓ/∂x. The paper's §3 chain per normalized group of size m (BN: the batch of one unit;
// LN: the units of one example), with ∂ℓ/∂x̂ = ∂ℓ/∂z · γ, collapses to
//   ∂ℓ/∂x = (1/σ) · (∂ℓ/∂x̂ − mean(∂ℓ/∂x̂) − x̂ · mean(∂ℓ/∂x̂ · x̂)),
// the same expression as the CPU reference. The two means need the whole group, so each
// invocation owns one group (a unit for BN and for no normalization, an example for LN).
//
// Dispatch: x covers max(width, rows) invocations, z the networks.

void main() {
  const int n = int(gl_GlobalInvocationID.z);
  if (skip_network(n)) return;
  const int l = u_layer;
  const int width = LAYER_OUT[l], rows = PASS_ROWS;
  const int g = int(gl_GlobalInvocationID.x);
  const int norm = layer_norm(n, l);
  const int act = net_act(n);
  const int dz = slot_at(n, l, SLOT_DZ), dx = slot_at(n, l, SLOT_DX);
  const int z = slot_at(n, l, SLOT_Z), a = slot_at(n, l, SLOT_A), xh = slot_at(n, l, SLOT_XHAT);

  // The group: `count` elements starting at `first`, `stride` apart.
  int first, stride, count;
  if (norm == NORM_LAYER) {
    if (g >= rows) return;
    first = g * width, stride = 1, count = width;
  } else {
    if (g >= width) return;
    first = g, stride = width, count = rows;
  }

  float sum_d = 0.0, sum_dh = 0.0;  // Σ ∂ℓ/∂x̂ and Σ ∂ℓ/∂x̂ · x̂
  for (int e = 0; e < count; ++e) {
    const int at = first + e * stride;
    // ∂ℓ/∂out → ∂ℓ/∂a (dropout's factor, 1 when the pass did not drop) → ∂ℓ/∂z.
    const int i = norm == NORM_LAYER ? g : e, j = norm == NORM_LAYER ? e : g;
    const float d = (acts[dz + at] * dropout_factor(n, l, i, j)) * activation_slope(act, acts[z + at], acts[a + at]);
    acts[dz + at] = d;
    if (norm == NORM_NONE) {
      acts[dx + at] = d;
    } else {
      const float dh = d * params[gamma_at(n, l) + (norm == NORM_LAYER ? e : g)];
      sum_d += dh;
      sum_dh += dh * acts[xh + at];
    }
  }
  if (norm == NORM_NONE) return;

  const float mean_d = sum_d / float(count), mean_dh = sum_dh / float(count);
  const float istd = acts[istd_at(n, l) + g];
  for (int e = 0; e < count; ++e) {
    const int at = first + e * stride;
    const float dh = acts[dz + at] * params[gamma_at(n, l) + (norm == NORM_LAYER ? e : g)];
    acts[dx + at] = (dh - mean_d - acts[xh + at] * mean_dh) * istd;
  }
}
