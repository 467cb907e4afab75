// out_loss.comp — the output layer fused with softmax cross-entropy.
//
// logits = W a + b per example, softmax stabilized by the row maximum, loss −log p_label (floored
// at the smallest normal float, as the CPU reference), ∂ℓ/∂logits = (softmax − onehot)/rows.
// One work group per network sums the pass's losses in a fixed order, so results are
// deterministic. Training: the batch-mean loss goes to the loss ring, and a loss that is not
// finite marks the network diverged at this step (later kernels skip it; its loss reads NaN from
// then on). Eval: the chunk's loss sum and correct count go to the network's status words.
//
// Dispatch: (1, 1, networks).

shared float s_loss[GROUP_SIZE];
shared int s_correct[GROUP_SIZE];

void main() {
  const int n = int(gl_GlobalInvocationID.z);
  const int lid = int(gl_LocalInvocationID.x);
  const int rows = PASS_ROWS;
  const int step = PASS_STEP;
  if (PASS_MODE == MODE_TRAIN && net_diverged(n)) {
    if (lid == 0) losses[(step % LOSS_RING) * NETS + n] = uintBitsToFloat(0x7fc00000u);  // NaN
    return;
  }
  const int l = LAYERS - 1;
  const int in_dim = LAYER_IN[l];
  const int u = output_at(n, l - 1);  // the last hidden layer's output, after dropout
  const int w = w_at(n, l), b = b_at(n, l);
  const int logits = slot_at(n, l, SLOT_X), dlogits = slot_at(n, l, SLOT_DX);

  float loss = 0.0;
  int correct = 0;
  for (int i = lid; i < rows; i += GROUP_SIZE) {
    float z[CLASSES];
    float zmax = uintBitsToFloat(0xff800000u);  // −inf
    int best = 0;  // the first maximum, as Eigen's maxCoeff
    for (int c = 0; c < CLASSES; ++c) {
      float s = 0.0;
      for (int k = 0; k < in_dim; ++k) s += params[w + c * in_dim + k] * acts[u + i * in_dim + k];
      z[c] = s + params[b + c];
      acts[logits + i * CLASSES + c] = z[c];
      if (z[c] > zmax) {
        zmax = z[c];
        best = c;
      }
    }
    float sum = 0.0;
    for (int c = 0; c < CLASSES; ++c) {
      z[c] = exp(z[c] - zmax);
      sum += z[c];
    }
    const int label = label_of(i);
    for (int c = 0; c < CLASSES; ++c) {
      const float p = z[c] / sum;
      acts[dlogits + i * CLASSES + c] = (p - (c == label ? 1.0 : 0.0)) / float(rows);
      // Floored at the smallest normal float as the CPU's std::max, which keeps a NaN (tested by
      // bits: comparisons with NaN may be compiled away under fast-math).
      if (c == label) loss -= is_finite(p) ? log(max(p, 1.17549435e-38)) : p;
    }
    correct += best == label ? 1 : 0;
  }
  s_loss[lid] = loss;
  s_correct[lid] = correct;
  barrier();
  for (int stride = GROUP_SIZE / 2; stride > 0; stride /= 2) {
    if (lid < stride) {
      s_loss[lid] += s_loss[lid + stride];
      s_correct[lid] += s_correct[lid + stride];
    }
    barrier();
  }
  if (lid != 0) return;
  if (PASS_MODE == MODE_TRAIN) {
    const float mean = s_loss[0] / float(rows);
    losses[(step % LOSS_RING) * NETS + n] = mean;
    // The step number after this update, as the CPU reference counts it.
    if (!is_finite(mean)) status[n * STATUS_STRIDE + STATUS_DIVERGED] = step + 1;
  } else {
    const int at = n * STATUS_STRIDE + STATUS_EVAL + 2 * step;
    status[at] = floatBitsToInt(s_loss[0]);
    status[at + 1] = s_correct[0];
  }
}
