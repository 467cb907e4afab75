// matmul.comp — the dense products of the forward and backward passes, 4×4 outputs per invocation.
//
// Compiled four times (the C++ side adds one #define):
//   MM_FORWARD_DATA  layer 0:    X = U Wᵀ + b, U gathered from the dataset rows of the pass
//   MM_FORWARD       layer l>0:  X = A_{l−1} Wᵀ + b   (A after dropout when the pass drops)
//   MM_BACKWARD      layer l:    ∂ℓ/∂a_l = ∂ℓ/∂x_{l+1} · W_{l+1}
//   MM_PROBE_SPARSE  layer 0 of the probe pass, from the probe rows' nonzero inputs only (below)
// Each invocation keeps a 4×4 block of outputs in registers and loads 8 values per 16 FMAs.
// llvmpipe runs a work group as CPU code with one SIMD lane per invocation, and (Mesa 22) every
// storage-buffer load is a per-lane gather, so loads per FMA is what counts: a 4×4 block beats
// one column per lane with group-wide rows (1.1 vs 2.9 GFLOP/s measured on the first layer), and
// shared-memory tiling only adds barriers and copies. On a hardware GPU these products are too
// small for tiling to matter; the step is dispatch-bound.
//
// Dispatch: x covers ceil(rows/4)·ceil(cols/4) invocations (MM_PROBE_SPARSE: rows·ceil(cols/4)),
// z the networks.

#ifdef MM_PROBE_SPARSE
// The probe rows never change, and image inputs are mostly exact zeros (MNIST: 81% of pixels), so
// the snapshot's largest product skips them: each row's nonzero inputs in ascending column order,
// (column, value bits) pairs, after PROBE_ROWS + 1 row starts. The sum visits the nonzero terms in
// the dense loop's order, and a skipped term 0·w adds exactly 0 for finite w, so the result is the
// dense product's; a diverged network (weights may be Inf or NaN, where 0·w is NaN) takes the
// dense loop. One invocation per (row, 4 columns): the lanes of a SIMD batch mostly share a row,
// hence its trip count.
layout(std430, binding = BIND_PROBE_SPARSE) readonly restrict buffer ProbeSparse { int probe_sparse[]; };

void main() {
  const int n = int(gl_GlobalInvocationID.z);
  const int cols = LAYER_OUT[0], col_blocks = (cols + 3) / 4;
  const int i = int(gl_GlobalInvocationID.x) / col_blocks, j0 = (int(gl_GlobalInvocationID.x) % col_blocks) * 4;
  if (i >= PASS_ROWS) return;
  int w_row[4];  // W is (cols, IN_DIM): row j0 + c, clamped at the edge
  for (int c = 0; c < 4; ++c) w_row[c] = w_at(n, 0) + min(j0 + c, cols - 1) * IN_DIM;
  vec4 acc = vec4(0.0);
  if (net_diverged(n)) {
    const int e = example_at(i);
    for (int t = 0; t < IN_DIM; ++t) {
      const float u = data_x(e + t);
      acc += u * vec4(params[w_row[0] + t], params[w_row[1] + t], params[w_row[2] + t], params[w_row[3] + t]);
    }
  } else {
    const int pairs = PROBE_ROWS + 1, end = probe_sparse[i + 1];
    for (int k = probe_sparse[i]; k < end; ++k) {
      const int t = probe_sparse[pairs + 2 * k];
      const float u = intBitsToFloat(probe_sparse[pairs + 2 * k + 1]);
      acc += u * vec4(params[w_row[0] + t], params[w_row[1] + t], params[w_row[2] + t], params[w_row[3] + t]);
    }
  }
  const int dst = slot_at(n, 0, SLOT_X) + i * cols;
  const bool bias = layer_has_bias(n, 0);
  for (int c = 0; c < 4 && j0 + c < cols; ++c) acts[dst + j0 + c] = acc[c] + (bias ? params[b_at(n, 0) + j0 + c] : 0.0);
}
#else
void main() {
  const int n = int(gl_GlobalInvocationID.z);
  if (skip_network(n)) return;
  const int l = u_layer;
  const int rows = PASS_ROWS;
#ifdef MM_BACKWARD
  const int cols = LAYER_OUT[l];
  const int depth = LAYER_OUT[l + 1];  // summed over the next layer's units
#else
  const int cols = LAYER_OUT[l];
  const int depth = LAYER_IN[l];
#endif
  const int col_blocks = (cols + 3) / 4;
  const int block = int(gl_GlobalInvocationID.x);
  const int i0 = (block / col_blocks) * 4, j0 = (block % col_blocks) * 4;
  if (i0 >= rows) return;
  // Loads are clamped to the last row/column so edge blocks need no branches in the loop;
  // their extra results are simply not stored.
  int a_row[4];  // start of each of the 4 rows of the left operand
  for (int r = 0; r < 4; ++r) {
    const int i = min(i0 + r, rows - 1);
#if defined(MM_FORWARD_DATA)
    a_row[r] = example_at(i);
#elif defined(MM_FORWARD)
    a_row[r] = output_at(n, l - 1) + i * depth;
#else
    a_row[r] = slot_at(n, l + 1, SLOT_DX) + i * depth;
#endif
  }
  // Right operand: element (t, c) of the block is at b_col[c] + t·b_t.
#ifdef MM_BACKWARD
  const int b_base = w_at(n, l + 1) + min(j0, cols - 1);
  const int b_t = cols, b_c = 1;  // W_{l+1} is (depth, cols): row t, column j0 + c
#else
  const int b_base = w_at(n, l) + min(j0, cols - 1) * depth;
  const int b_t = 1, b_c = depth;  // W_l is (cols, depth): row j0 + c, column t
#endif
  int b_col[4];
  for (int c = 0; c < 4; ++c) b_col[c] = b_base + (min(j0 + c, cols - 1) - min(j0, cols - 1)) * b_c;
  vec4 acc[4] = vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));  // acc[c][r]
  for (int t = 0; t < depth; ++t) {
#ifdef MM_FORWARD_DATA
    const vec4 a = vec4(data_x(a_row[0] + t), data_x(a_row[1] + t), data_x(a_row[2] + t), data_x(a_row[3] + t));
#else
    const vec4 a = vec4(acts[a_row[0] + t], acts[a_row[1] + t], acts[a_row[2] + t], acts[a_row[3] + t]);
#endif
    const int bt = t * b_t;
    acc[0] += a * params[b_col[0] + bt];
    acc[1] += a * params[b_col[1] + bt];
    acc[2] += a * params[b_col[2] + bt];
    acc[3] += a * params[b_col[3] + bt];
  }
#ifdef MM_BACKWARD
  const int dst = slot_at(n, l, SLOT_DZ);
  const bool bias = false;
#else
  const int dst = slot_at(n, l, SLOT_X);
  const bool bias = layer_has_bias(n, l);
#endif
  for (int c = 0; c < 4; ++c) {
    const int j = j0 + c;
    if (j >= cols) break;
    const float b = bias ? params[b_at(n, l) + j] : 0.0;
    for (int r = 0; r < 4 && i0 + r < rows; ++r) acts[dst + (i0 + r) * cols + j] = acc[c][r] + b;
  }
}
#endif
