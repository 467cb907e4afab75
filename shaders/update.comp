// update.comp — every parameter gradient of the step and the SGD update, in one dispatch.
//
// All ∂ℓ/∂x and ∂ℓ/∂z of the step are known when this runs (the backward products already read
// the old weights), so the gradients can be formed and applied in place in one pass over all
// layers. Tasks (invocations) of one network, layer by layer (tables TASK_OFF, UNIT_TASK_OFF,
// each part starting on a work group, so that the part and the layer are the same for the whole
// group: llvmpipe then branches instead of running every path under a lane mask):
//   4×4 blocks of W:  ∂ℓ/∂W = ∂ℓ/∂xᵀ · u, register-blocked as in matmul.comp;
//   one per unit:     ∂ℓ/∂b = Σ ∂ℓ/∂x; ∂ℓ/∂γ = Σ ∂ℓ/∂z · x̂; ∂ℓ/∂β = Σ ∂ℓ/∂z
//                     (frozen affine: γ and β stay).
// SGD with heavy-ball momentum as PyTorch: v = μ·v + g; θ −= lr·v; without momentum θ −= lr·g
// and no velocity is kept (as the CPU reference). The last step of a train() call also stores its
// gradients (grads), for the snapshot's norms and the parity tests; the other steps skip those
// stores, which llvmpipe pays lane by lane.
//
// Dispatch: x covers TASKS invocations, z the networks.

void sgd(int at, float g, float lr, float mom) {
  if (PASS_KEEP_GRADS != 0) grads[at] = g;
  if (mom == 0.0) {
    params[at] -= lr * g;
  } else {
    const float v = mom * velocity[at] + g;
    velocity[at] = v;
    params[at] -= lr * v;
  }
}

void main() {
  const int n = int(gl_GlobalInvocationID.z);
  if (skip_network(n)) return;
  const int group_first = int(gl_WorkGroupID.x) * GROUP_SIZE;
  int l = 0;
  while (group_first >= TASK_OFF[l + 1]) ++l;
  const int task = int(gl_GlobalInvocationID.x);
  const int rows = PASS_ROWS;
  const int units = LAYER_OUT[l], in_dim = LAYER_IN[l];
  const int dx = slot_at(n, l, SLOT_DX);
  const float lr = net_float(n, META_LR), mom = net_float(n, META_MOMENTUM);

  if (group_first >= UNIT_TASK_OFF[l]) {
    const int j = task - UNIT_TASK_OFF[l];
    if (j >= units) return;
    if (layer_has_bias(n, l)) {
      float g = 0.0;
      for (int i = 0; i < rows; ++i) g += acts[dx + i * units + j];
      sgd(b_at(n, l) + j, g, lr, mom);
    }
    if (layer_norm(n, l) != NORM_NONE && meta[n * META_STRIDE + META_LEARN_AFFINE] != 0) {
      const int dz = slot_at(n, l, SLOT_DZ), xh = slot_at(n, l, SLOT_XHAT);
      float g_gamma = 0.0, g_beta = 0.0;
      for (int i = 0; i < rows; ++i) {
        g_gamma += acts[dz + i * units + j] * acts[xh + i * units + j];
        g_beta += acts[dz + i * units + j];
      }
      sgd(gamma_at(n, l) + j, g_gamma, lr, mom);
      sgd(beta_at(n, l) + j, g_beta, lr, mom);
    }
    return;
  }

  // A 4×4 block of W: units j0.., inputs k0.. (loads clamped at the edges, stores guarded).
  const int block = task - TASK_OFF[l];
  const int k_blocks = (in_dim + 3) / 4;
  if (block >= ((units + 3) / 4) * k_blocks) return;
  const int j0 = (block / k_blocks) * 4, k0 = (block % k_blocks) * 4;
  int j[4], k[4];
  for (int c = 0; c < 4; ++c) {
    j[c] = min(j0 + c, units - 1);
    k[c] = min(k0 + c, in_dim - 1);
  }
  // The layer's input u: dataset rows for the first layer, the previous layer's output otherwise.
  const bool from_data = l == 0;
  const int u = from_data ? 0 : output_at(n, l - 1);  // after dropout, as the forward pass read it
  vec4 acc[4] = vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));  // acc[c][r]: unit j0+r, input k0+c
  for (int i = 0; i < rows; ++i) {
    const int d = dx + i * units;
    const vec4 g = vec4(acts[d + j[0]], acts[d + j[1]], acts[d + j[2]], acts[d + j[3]]);
    vec4 x;
    if (from_data) {
      const int e = example_at(i);
      x = vec4(data_x(e + k[0]), data_x(e + k[1]), data_x(e + k[2]), data_x(e + k[3]));
    } else {
      const int e = u + i * in_dim;
      x = vec4(acts[e + k[0]], acts[e + k[1]], acts[e + k[2]], acts[e + k[3]]);
    }
    acc[0] += g * x.x;
    acc[1] += g * x.y;
    acc[2] += g * x.z;
    acc[3] += g * x.w;
  }
  for (int r = 0; r < 4 && j0 + r < units; ++r)
    for (int c = 0; c < 4 && k0 + c < in_dim; ++c)
      sgd(w_at(n, l) + (j0 + r) * in_dim + k0 + c, acc[c][r], lr, mom);
}
