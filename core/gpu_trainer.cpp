// gpu_trainer.cpp — the compute-shader engine behind the Trainer interface.
//
// [SECTION] Layout of a run on the GPU
// [SECTION] Buffers and fences
// [SECTION] The trainer: set-up
// [SECTION] Training
// [SECTION] The meters
// [SECTION] Losses
// [SECTION] Snapshots
// [SECTION] Parameters
// [SECTION] Entry points
//
// Data flow of one step (kernels in shaders/, see gpu_trainer.h for the dispatch count):
//   indices ─▶ matmul(data) ─▶ norm_act ─▶ … ─▶ out_loss ─▶ matmul(backward) ─▶ norm_back ─▶ … ─▶ update
// The CPU's work per step is only issuing those dispatches; mini-batch indices are uploaded for
// many steps at once, and losses and snapshots come back through persistently mapped buffers
// after a fence, so the caller waits only when it asks for results that are not ready.
// A snapshot: the eval chunks when asked, the probe forward (its first product from the fixed
// probe rows' nonzero inputs only: a fifth of the work on MNIST, see matmul.comp), then one
// stats dispatch for every layer and network.

#include "core/gpu_trainer.h"

#include <epoxy/gl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <unordered_set>

#include "core/batches.h"
#include "core/cpu_network.h"
#include "core/dataset.h"
#include "core/embedded.h"
#include "core/gl_context.h"
#include "core/gl_program.h"

namespace bnlab {

namespace {

constexpr int kIdxRing = 512;      // steps of mini-batch indices resident on the GPU
constexpr int kUploadChunk = 256;  // steps per index upload: at most half the ring, so an upload
                                   // never lands on the chunk queued just before (GL orders it
                                   // right anyway; this spares drivers a stall)
constexpr int kLossRing = 8192;    // steps of losses held on the GPU between reads
constexpr int kSnapSlots = 8;      // snapshots in flight
constexpr int kEvalChunkRunning = 1000;  // test rows per chunk when BN uses running statistics

// [SECTION] Layout of a run on the GPU

// Shapes and offsets shared by the C++ side and the kernels (emitted as GLSL by glsl_run_defines).
struct Layout {
  int nets = 0, layers = 0, hidden = 0, batch = 0, in_dim = 0, classes = 0, bins = 0, typical_unit = 0;
  int probe_rows = 0;
  uint64_t seed = 0;  // the run's seed: noisy BN's draws hash it (bn_noise.h)
  int rows_max = 0;   // rows of every activation slot: the largest pass
  int stat_rows = 0;  // entries of μ and 1/σ: max(rows_max, widest layer)
  std::vector<int> in, out;                  // (layers)
  std::vector<int> param_off, act_off;       // (layers) within one network's stride
  std::vector<int> task_off, unit_task_off;  // update tasks: (layers + 1) and (layers)
  int param_stride = 0, act_stride = 0, meta_stride = 0, status_stride = 0, tasks = 0;
  int snap_units = 0;  // per-unit entries of a layer's snapshot: the widest hidden layer
  int snap_layer_words = 0, snap_net_words = 0, snap_slot_words = 0;
  // The BN strip (stats.h BatchStrip) of each layer, after its μ and 1/σ: the typical unit's
  // x, x̂ and z over the last kept training step's batch, then μ, 1/σ, γ, β — (3·batch + 4) words.
  int strip_words = 0;
  std::vector<std::pair<int, int>> eval_chunks;   // (first test row, rows), as the CPU reference
  std::vector<std::pair<int, int>> train_chunks;  // (first training row, rows) of the train-accuracy subset
};

// Evaluation chunks over the first `rows` examples: with batch statistics, `batch` consecutive
// rows each, a last chunk of one row folded into the one before (cpu_trainer.cpp); with running
// statistics any chunking gives the same result.
std::vector<std::pair<int, int>> eval_chunks(const RunConfig& cfg, int rows) {
  const int chunk = cfg.eval_stats == EvalStats::Batch ? cfg.batch : kEvalChunkRunning;
  std::vector<std::pair<int, int>> chunks;
  for (int begin = 0; begin < rows;) {
    int end = std::min(begin + chunk, rows);
    if (rows - end == 1) end = rows;
    chunks.emplace_back(begin, end - begin);
    begin = end;
  }
  return chunks;
}

Layout make_layout(const RunConfig& cfg, const DataSplit& data) {
  Layout L;
  const ModelConfig& model = cfg.networks.front().model;
  L.nets = static_cast<int>(cfg.networks.size());
  L.hidden = static_cast<int>(model.hidden.size());
  L.layers = L.hidden + 1;
  L.batch = cfg.batch;
  L.in_dim = data.train.dim;
  L.classes = data.train.classes;
  L.bins = cfg.stats.bins;
  L.typical_unit = cfg.stats.typical_unit;
  L.probe_rows = std::min(cfg.stats.probe_size, data.test.size());
  L.seed = cfg.seed;

  L.eval_chunks = eval_chunks(cfg, data.test.size());
  L.train_chunks = eval_chunks(cfg, std::min(cfg.eval_train_size, data.train.size()));
  L.rows_max = std::max(L.batch, L.probe_rows);
  for (const auto* chunks : {&L.eval_chunks, &L.train_chunks})
    for (const auto& c : *chunks) L.rows_max = std::max(L.rows_max, c.second);

  int widest = 0, param = 0, act = 0, task = 0;
  for (int l = 0; l < L.layers; ++l) {
    const int in = l == 0 ? L.in_dim : model.hidden[l - 1];
    const int out = l < L.hidden ? model.hidden[l] : L.classes;
    L.in.push_back(in);
    L.out.push_back(out);
    widest = std::max(widest, out);
    L.param_off.push_back(param);
    param += out * in + 5 * out;  // W, b, γ, β, running mean, running var
    // update.comp: 4×4 blocks of W, then one task per unit, each part on whole work groups.
    auto whole_groups = [](int n) { return (n + GROUP_SIZE - 1) / GROUP_SIZE * GROUP_SIZE; };
    L.task_off.push_back(task);
    task += whole_groups(((out + 3) / 4) * ((in + 3) / 4));
    L.unit_task_off.push_back(task);
    task += whole_groups(out);
  }
  L.task_off.push_back(task);
  L.tasks = task;
  L.stat_rows = std::max(L.rows_max, widest);
  L.strip_words = 3 * L.batch + 4;
  for (int l = 0; l < L.layers; ++l) {
    L.act_off.push_back(act);
    act += SLOT_COUNT * L.rows_max * L.out[l] + 2 * L.stat_rows + L.strip_words;
  }
  L.param_stride = param;
  L.act_stride = act;
  L.meta_stride = META_NORM + 2 * L.hidden + 2;  // + noisy BN's noise_mean, noise_std, dropout p per layer
  // Test chunks' sums first, then the training subset's.
  L.status_stride = STATUS_EVAL + 2 * static_cast<int>(L.eval_chunks.size() + L.train_chunks.size());
  L.snap_units = *std::max_element(model.hidden.begin(), model.hidden.end());
  L.snap_layer_words = kTapCount * (L.bins + 2) + SNAP_SCALARS + 2 * L.snap_units;
  L.snap_net_words = SNAP_LAYERS + L.hidden * L.snap_layer_words;
  L.snap_slot_words = L.nets * L.snap_net_words;
  return L;
}

std::string glsl_int_table(const char* name, const std::vector<int>& v) {
  std::string s = "const int " + std::string(name) + "[" + std::to_string(v.size()) + "] = int[](";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ");\n";
}

std::string glsl_run_defines(const Layout& L) {
  std::string s;
  auto def = [&](const char* name, int value) { s += "#define " + std::string(name) + " " + std::to_string(value) + "\n"; };
  def("NETS", L.nets);
  def("LAYERS", L.layers);
  def("HIDDEN", L.hidden);
  def("BATCH", L.batch);
  def("IN_DIM", L.in_dim);
  def("CLASSES", L.classes);
  def("BINS", L.bins);
  def("TYPICAL_UNIT", L.typical_unit);
  def("ROWS_MAX", L.rows_max);
  def("PROBE_ROWS", L.probe_rows);
  def("STAT_ROWS", L.stat_rows);
  def("STRIP_WORDS", L.strip_words);
  def("IDX_RING", kIdxRing);
  def("LOSS_RING", kLossRing);
  def("PARAM_STRIDE", L.param_stride);
  def("ACT_STRIDE", L.act_stride);
  def("META_STRIDE", L.meta_stride);
  def("META_NOISE_MEAN", META_NORM + L.hidden);
  def("META_NOISE_STD", META_NORM + L.hidden + 1);
  def("META_DROPOUT", META_NORM + L.hidden + 2);
  s += "#define NOISE_SEED uvec2(" + std::to_string(static_cast<uint32_t>(L.seed)) + "u, " +
       std::to_string(static_cast<uint32_t>(L.seed >> 32)) + "u)\n";
  def("STATUS_STRIDE", L.status_stride);
  def("TRAIN_EVAL_CHUNKS", static_cast<int>(L.train_chunks.size()));
  def("TRAIN_EVAL_ROWS", L.train_chunks.empty() ? 0 : L.train_chunks.back().first + L.train_chunks.back().second);
  def("TASKS", L.tasks);
  def("SNAP_UNITS", L.snap_units);
  def("SNAP_LAYER_WORDS", L.snap_layer_words);
  def("SNAP_NET_WORDS", L.snap_net_words);
  def("SNAP_SLOT_WORDS", L.snap_slot_words);
  s += glsl_int_table("LAYER_IN", L.in);
  s += glsl_int_table("LAYER_OUT", L.out);
  s += glsl_int_table("PARAM_OFF", L.param_off);
  s += glsl_int_table("ACT_OFF", L.act_off);
  s += glsl_int_table("TASK_OFF", L.task_off);
  s += glsl_int_table("UNIT_TASK_OFF", L.unit_task_off);
  s += "const double PERCENTILES[5] = double[](";
  for (size_t k = 0; k < kPercentiles.size(); ++k)
    s += (k ? ", " : "") + std::to_string(kPercentiles[k]) + "lf";
  return s + ");\n";
}

// [SECTION] Buffers and fences

// An immutable-storage buffer; `mapped` ones stay mapped for CPU reads for their whole life.
class GlBuffer {
 public:
  GlBuffer() = default;
  GlBuffer(const char* what, size_t bytes, const void* data, bool mapped) {
    GLint64 limit = 0;
    glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &limit);
    if (static_cast<GLint64>(bytes) > limit)
      throw GpuError(std::string("the ") + what + " buffer needs " + std::to_string(bytes >> 20) +
                     " MiB, more than this driver's storage-block limit of " + std::to_string(limit >> 20) +
                     " MiB");
    glCreateBuffers(1, &id_);
    const GLbitfield map_bits = GL_MAP_READ_BIT | GL_MAP_PERSISTENT_BIT | GL_MAP_COHERENT_BIT;
    glNamedBufferStorage(id_, static_cast<GLsizeiptr>(std::max<size_t>(bytes, 4)), data,
                         GL_DYNAMIC_STORAGE_BIT | (mapped ? map_bits : 0));
    check_gl(what);
    if (mapped) {
      map_ = glMapNamedBufferRange(id_, 0, static_cast<GLsizeiptr>(bytes), map_bits);
      if (!map_) throw GpuError(std::string("cannot map the ") + what + " buffer");
    }
  }
  ~GlBuffer() {
    if (id_) glDeleteBuffers(1, &id_);  // also unmaps
  }
  GlBuffer(GlBuffer&& o) noexcept : id_(std::exchange(o.id_, 0)), map_(std::exchange(o.map_, nullptr)) {}
  GlBuffer& operator=(GlBuffer&& o) noexcept {
    std::swap(id_, o.id_);
    std::swap(map_, o.map_);
    return *this;
  }
  GLuint id() const { return id_; }
  template <class T>
  const T* map() const { return static_cast<const T*>(map_); }

 private:
  GLuint id_ = 0;
  void* map_ = nullptr;
};

// Makes shader writes visible to mapped reads, then fences everything queued so far.
GLsync fence_for_readback() {
  glMemoryBarrier(GL_CLIENT_MAPPED_BUFFER_BARRIER_BIT);
  GLsync f = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
  glFlush();  // submit now, so the GPU works while the caller does something else
  return f;
}

// Waits for a fence (or only looks, with wait = false); true when it has signalled.
bool fence_done(GLsync f, bool wait) {
  for (;;) {
    const GLenum r = glClientWaitSync(f, GL_SYNC_FLUSH_COMMANDS_BIT, wait ? 1000000000u : 0u);
    if (r == GL_ALREADY_SIGNALED || r == GL_CONDITION_SATISFIED) return true;
    if (r == GL_WAIT_FAILED) throw GpuError("waiting for the GPU failed (context lost?)");
    if (!wait) return false;
  }
}

float word_float(uint32_t w) {
  float f;
  std::memcpy(&f, &w, sizeof f);
  return f;
}

int32_t float_word(float f) {
  int32_t w;
  std::memcpy(&w, &f, sizeof w);
  return w;
}

// The distinct example values of both sets, when there are at most 256 (image data: bytes/255);
// throws GpuError otherwise, naming why they were wanted.
std::vector<float> data_palette(const DataSplit& data, const std::string& why) {
  std::unordered_set<uint32_t> seen;
  for (const Dataset* d : {&data.train, &data.test})
    for (float v : d->x) {
      uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      if (seen.insert(bits).second && seen.size() > 256)
        throw GpuError(why + ", and they have more than 256 distinct values, so cannot be stored as bytes");
    }
  std::vector<float> palette;
  for (uint32_t bits : seen) palette.push_back(word_float(bits));
  std::sort(palette.begin(), palette.end());
  return palette;
}

// A set's examples as palette indices, 4 to a word (the layout data_x() in common.glsl reads).
std::vector<uint32_t> pack_indices(const Dataset& d, const std::vector<float>& palette) {
  std::vector<uint32_t> words((d.x.size() + 3) / 4, 0u);
  for (size_t e = 0; e < d.x.size(); ++e) {
    const auto at = std::lower_bound(palette.begin(), palette.end(), d.x[e]) - palette.begin();
    words[e / 4] |= static_cast<uint32_t>(at) << (8 * (e % 4));
  }
  return words;
}

// The first `rows` examples' nonzero inputs, the layout MM_PROBE_SPARSE reads: (rows + 1) row
// starts into the pairs, then (column, value bits) pairs in ascending column order.
std::vector<int32_t> probe_nonzeros(const Dataset& d, int rows) {
  std::vector<int32_t> starts{0}, pairs;
  for (int i = 0; i < rows; ++i) {
    for (int t = 0; t < d.dim; ++t) {
      const float v = d.x[static_cast<size_t>(i) * d.dim + t];
      if (v != 0.f) pairs.insert(pairs.end(), {t, float_word(v)});
    }
    starts.push_back(static_cast<int32_t>(pairs.size() / 2));
  }
  starts.insert(starts.end(), pairs.begin(), pairs.end());
  return starts;
}

// [SECTION] The trainer: set-up

class GpuTrainer final : public Trainer {
 public:
  GpuTrainer(const RunConfig& cfg, const DataSplit& data)
      : cfg_(cfg), data_(data), order_(data.train.size(), cfg.batch, cfg.data.shuffle, cfg.seed) {
    check_batch(cfg.batch);
    for (const auto& n : cfg.networks) check_shape(n);
    // The dataset stays on the GPU for the whole run: as floats, or as bytes indexing a palette of
    // its values when the floats exceed the driver's storage-block limit (llvmpipe: 128 MiB, less
    // than Fashion-MNIST's 60,000 training images).
    GLint64 limit = 0;
    glGetInteger64v(GL_MAX_SHADER_STORAGE_BLOCK_SIZE, &limit);
    const size_t largest = std::max(bytes(data.train.x), bytes(data.test.x));
    if (static_cast<GLint64>(largest) > limit) {
      palette_ = data_palette(data, "the examples need " + std::to_string(largest >> 20) +
                                        " MiB, more than this driver's storage-block limit of " +
                                        std::to_string(limit >> 20) + " MiB");
      const std::vector<uint32_t> train = pack_indices(data.train, palette_), test = pack_indices(data.test, palette_);
      train_x_ = GlBuffer("training-set", bytes(train), train.data(), false);
      test_x_ = GlBuffer("test-set", bytes(test), test.data(), false);
      palette_buffer_ = GlBuffer("palette", bytes(palette_), palette_.data(), false);
      glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_PALETTE, palette_buffer_.id());
    } else {
      train_x_ = GlBuffer("training-set", bytes(data.train.x), data.train.x.data(), false);
      test_x_ = GlBuffer("test-set", bytes(data.test.x), data.test.x.data(), false);
    }
    train_y_ = GlBuffer("training-label", bytes(data.train.y), data.train.y.data(), false);
    const std::vector<int32_t> sparse = probe_nonzeros(data.test, std::min(cfg.stats.probe_size, data.test.size()));
    probe_sparse_ = GlBuffer("probe", bytes(sparse), sparse.data(), false);
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_PROBE_SPARSE, probe_sparse_.id());
    test_y_ = GlBuffer("test-label", bytes(data.test.y), data.test.y.data(), false);
    L_ = make_layout(cfg, data);
    std::vector<float> params(static_cast<size_t>(L_.nets) * L_.param_stride);
    for (int n = 0; n < L_.nets; ++n) {
      const NetworkConfig& nc = cfg.networks[n];
      pack_params(init_params(nc.model, nc.bn, L_.in_dim, L_.classes, cfg.seed), n,
                  params.data() + static_cast<size_t>(n) * L_.param_stride);
    }
    // Gradients start as NaN: a snapshot before any step reports "no gradient yet".
    build(params, std::vector<float>(params.size(), 0.f), std::vector<float>(params.size(), kNaN),
          std::vector<int32_t>(L_.nets, -1));
  }

  ~GpuTrainer() override {
    ctx_.make_current();
    if (loss_fence_) glDeleteSync(loss_fence_);
    for (const auto& p : pending_) glDeleteSync(p.fence);
  }

  std::string backend_name() const override { return "gpu (" + ctx_.renderer() + ")"; }
  int network_count() const override { return L_.nets; }
  int64_t step() const override { return step_; }
  int64_t dispatches() const { return dispatches_; }

  std::vector<float> take_losses() override {
    ctx_.make_current();
    copy_losses();
    return std::exchange(losses_, {});
  }

  void set_landscape_every(int64_t every) override { landscape_every_ = every; }
  std::vector<LandscapeStats> take_landscape() override { return std::exchange(landscape_, {}); }

  GpuLayerTensors layer_tensors(int net, int layer, int rows);

 private:
  void compile_programs() {
    const std::string head = "#version 430 core\n" + glsl_shared_defines() + glsl_run_defines(L_) +
                             (palette_.empty() ? "" : "#define DATA_PALETTE\n");
    auto program = [&](const char* file, const char* variant) {
      const std::string_view common = embedded_file("common.glsl"), kernel = embedded_file(file);
      if (common.empty() || kernel.empty())
        throw GpuError(std::string("shader ") + file + " is not embedded in this binary");
      std::string defines = head;
      if (*variant) defines += std::string("#define ") + variant + "\n";
      return GlProgram(std::string(file) + (*variant ? std::string(" (") + variant + ")" : ""),
                       {{"generated defines", defines},
                        {"common.glsl", std::string(common)},
                        {file, std::string(kernel)}});
    };
    mm_data_ = program("matmul.comp", "MM_FORWARD_DATA");
    mm_fwd_ = program("matmul.comp", "MM_FORWARD");
    mm_bwd_ = program("matmul.comp", "MM_BACKWARD");
    mm_probe_ = program("matmul.comp", "MM_PROBE_SPARSE");
    norm_act_ = program("norm_act.comp", "");
    out_loss_ = program("out_loss.comp", "");
    norm_back_ = program("norm_back.comp", "");
    update_ = program("update.comp", "");
    stats_ = program("stats.comp", "");
  }

  template <class V>
  static size_t bytes(const V& v) {
    return v.size() * sizeof v[0];
  }

  void check_batch(int batch) const {
    if (batch > data_.train.size())
      throw ConfigError("optim.batch=" + std::to_string(batch) + ": larger than the training set (" +
                        std::to_string(data_.train.size()) + " examples)");
  }

  void check_shape(const NetworkConfig& n) const {
    if (n.model.hidden != cfg_.networks.front().model.hidden)
      throw GpuError("networks '" + cfg_.networks.front().name + "' and '" + n.name +
                     "' differ in model.hidden; the GPU engine trains networks of one shape in lockstep");
  }

  // Network n's settings as the kernels read them (META_* words).
  std::vector<int32_t> meta_words(int n) const {
    const NetworkConfig& nc = cfg_.networks[n];
    std::vector<int32_t> m(L_.meta_stride);
    m[META_ACT] = static_cast<int32_t>(nc.model.activation);
    m[META_LEARN_AFFINE] = nc.bn.learn_affine;
    m[META_LR] = float_word(static_cast<float>(nc.optim.lr));
    m[META_MOMENTUM] = float_word(static_cast<float>(nc.optim.momentum));
    m[META_EPS] = float_word(static_cast<float>(nc.bn.eps));
    m[META_BN_MOMENTUM] = float_word(static_cast<float>(nc.bn.momentum));
    for (int t = 0; t < kTapCount; ++t) {
      float lo, hi;
      tap_range(t, nc.model.activation, &lo, &hi);
      m[META_TAP_RANGE + 2 * t] = float_word(lo);
      m[META_TAP_RANGE + 2 * t + 1] = float_word(hi);
    }
    for (int l = 0; l < L_.hidden; ++l) m[META_NORM + l] = static_cast<int32_t>(nc.model.norm[l]);
    m[META_NORM + L_.hidden] = float_word(static_cast<float>(nc.bn.noise_mean));
    m[META_NORM + L_.hidden + 1] = float_word(static_cast<float>(nc.bn.noise_std));
    for (int l = 0; l < L_.hidden; ++l)
      m[META_NORM + L_.hidden + 2 + l] = float_word(static_cast<float>(dropout_p(nc.model, static_cast<size_t>(l))));
    return m;
  }

  // Programs and every buffer whose shape follows the layout, from the networks' state:
  // params, velocity, grads (nets, param_stride) and the step each diverged at (nets).
  void build(const std::vector<float>& params, const std::vector<float>& velocity, const std::vector<float>& grads,
             const std::vector<int32_t>& diverged) {
    compile_programs();
    const size_t nets = static_cast<size_t>(L_.nets);
    std::vector<int32_t> meta;  // (nets, meta_stride)
    for (int n = 0; n < L_.nets; ++n) {
      const std::vector<int32_t> m = meta_words(n);
      meta.insert(meta.end(), m.begin(), m.end());
    }
    std::vector<int32_t> status(nets * L_.status_stride, 0);  // (nets, status_stride)
    for (size_t n = 0; n < nets; ++n) status[n * L_.status_stride + STATUS_DIVERGED] = diverged[n];
    const std::vector<float> zeros(nets * L_.act_stride, 0.f);

    meta_ = GlBuffer("settings", bytes(meta), meta.data(), false);
    params_ = GlBuffer("parameter", bytes(params), params.data(), false);
    velocity_ = GlBuffer("momentum", bytes(velocity), velocity.data(), false);
    grads_ = GlBuffer("gradient", bytes(grads), grads.data(), false);
    acts_ = GlBuffer("activation", bytes(zeros), zeros.data(), false);
    indices_ = GlBuffer("index", sizeof(int32_t) * kIdxRing * L_.batch, nullptr, false);
    loss_ring_ = GlBuffer("loss", sizeof(float) * kLossRing * nets, nullptr, true);
    status_ = GlBuffer("status", bytes(status), status.data(), false);
    snapshots_ = GlBuffer("snapshot", sizeof(uint32_t) * kSnapSlots * L_.snap_slot_words, nullptr, true);
    strip_snaps_ = GlBuffer("strip", sizeof(float) * kSnapSlots * L_.nets * L_.hidden * L_.strip_words, nullptr, true);
    strip_step_ = -1;  // the activation buffer starts empty
    const std::pair<int, const GlBuffer*> bindings[] = {
        {BIND_META, &meta_},           {BIND_PARAMS, &params_}, {BIND_VELOCITY, &velocity_},
        {BIND_GRADS, &grads_},         {BIND_ACTS, &acts_},     {BIND_INDICES, &indices_},
        {BIND_LOSSES, &loss_ring_},    {BIND_STATUS, &status_}, {BIND_SNAPSHOTS, &snapshots_}};
    for (const auto& [index, buffer] : bindings) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, index, buffer->id());
    bound_train_ = -1;
    check_gl("binding the buffers");
  }

  // [SECTION] Training

  struct Pass {
    int rows, mode, first, step;  // see PASS_* in common.glsl (first = keep gradients in training)
  };

  // The dataset a pass reads: training batches, or probe and eval rows of the test set.
  void bind_data(bool train) {
    if (bound_train_ == static_cast<int>(train)) return;
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DATA_X, (train ? train_x_ : test_x_).id());
    glBindBufferBase(GL_SHADER_STORAGE_BUFFER, BIND_DATA_Y, (train ? train_y_ : test_y_).id());
    bound_train_ = train;
  }

  // groups_x × groups_y work groups for every network.
  void dispatch(const GlProgram& p, int groups_x, int groups_y, const Pass& pass, int layer) {
    glUseProgram(p.id());
    glUniform4i(LOC_PASS, pass.rows, pass.mode, pass.first, pass.step);
    glUniform1i(LOC_LAYER, layer);
    glDispatchCompute(static_cast<GLuint>(groups_x), static_cast<GLuint>(groups_y), static_cast<GLuint>(L_.nets));
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT);
    ++dispatches_;
  }
  static int groups(int invocations) { return (invocations + GROUP_SIZE - 1) / GROUP_SIZE; }
  static int blocks(int rows, int cols) { return ((rows + 3) / 4) * ((cols + 3) / 4); }

  // The probe pass stops at the last hidden layer: snapshots measure hidden layers only.
  void forward(const Pass& pass) {
    for (int l = 0; l < L_.hidden; ++l) {
      if (l == 0 && pass.mode == MODE_PROBE)
        dispatch(mm_probe_, groups(pass.rows * ((L_.out[0] + 3) / 4)), 1, pass, 0);
      else
        dispatch(l == 0 ? mm_data_ : mm_fwd_, groups(blocks(pass.rows, L_.out[l])), 1, pass, l);
      dispatch(norm_act_, groups(std::max(L_.out[l], pass.rows)), 1, pass, l);
    }
    if (pass.mode != MODE_PROBE) dispatch(out_loss_, 1, 1, pass, L_.layers - 1);  // a work group per network
  }

  void backward_and_update(const Pass& pass) {
    for (int l = L_.hidden - 1; l >= 0; --l) {
      dispatch(mm_bwd_, groups(blocks(pass.rows, L_.out[l])), 1, pass, l);
      dispatch(norm_back_, groups(std::max(L_.out[l], pass.rows)), 1, pass, l);
    }
    dispatch(update_, groups(L_.tasks), 1, pass, 0);
  }

 public:
  void train(int64_t count) override {
    ctx_.make_current();
    std::vector<int32_t> idx;  // (steps of the chunk, batch)
    while (count > 0) {
      // A chunk ends before each step the meters measure at, so that step starts a chunk.
      int64_t until = count;
      if (landscape_every_ > 0) until = std::min(until, landscape_every_ - step_ % landscape_every_);
      const int chunk = static_cast<int>(std::min<int64_t>(until, kUploadChunk));
      if (step_ + chunk - losses_read_ > kLossRing) copy_losses();  // keep the ring from overrunning
      idx.resize(static_cast<size_t>(chunk) * L_.batch);
      for (int s = 0; s < chunk; ++s) std::copy_n(order_.next(), L_.batch, idx.data() + s * L_.batch);
      if (landscape_every_ > 0 && step_ % landscape_every_ == 0) measure_landscapes(idx.data());
      // Into the ring at this step's place, in two pieces when it wraps.
      const int at = static_cast<int>(step_ % kIdxRing), first = std::min(chunk, kIdxRing - at);
      glNamedBufferSubData(indices_.id(), static_cast<GLintptr>(at) * L_.batch * 4,
                           static_cast<GLsizeiptr>(first) * L_.batch * 4, idx.data());
      if (first < chunk)
        glNamedBufferSubData(indices_.id(), 0, static_cast<GLsizeiptr>(chunk - first) * L_.batch * 4,
                             idx.data() + static_cast<size_t>(first) * L_.batch);
      bind_data(true);
      for (int s = 0; s < chunk; ++s) {
        if (step_ + s == fail_at_) {
          step_ += s;
          throw GpuError("injected failure at step " + std::to_string(fail_at_) + " (BNLAB_GPU_FAIL_AT_STEP)");
        }
        const bool last = count == chunk && s + 1 == chunk;  // its gradients feed the next snapshot
        if (last) {  // and norm_act keeps its batch at the typical unit: the strip's labels and step
          strip_labels_.resize(L_.batch);
          for (int j = 0; j < L_.batch; ++j) strip_labels_[j] = data_.train.y[idx[static_cast<size_t>(s) * L_.batch + j]];
          strip_step_ = step_ + s + 1;
          std::fill(strip_kept_.begin(), strip_kept_.end(), 1);
        }
        const Pass pass{L_.batch, MODE_TRAIN, last, static_cast<int>(step_ + s)};
        forward(pass);
        backward_and_update(pass);
      }
      step_ += chunk;
      count -= chunk;
      if (loss_fence_) glDeleteSync(loss_fence_);
      loss_fence_ = fence_for_readback();
      check_gl("training");  // e.g. a lost context, once per chunk
    }
  }

  // The first layer's forward product of the last batch alone, `reps` times: the yardstick the
  // training rate is set against (bnlab bench), in GFLOP/s counting 2·m·n·k per product. Its
  // output overwrites only layer 0's x, which the next step recomputes.
  double first_layer_gflops(int reps) {
    ctx_.make_current();
    bind_data(true);
    glFinish();
    const Pass pass{L_.batch, MODE_TRAIN, 0, static_cast<int>(std::max<int64_t>(step_ - 1, 0))};
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) dispatch(mm_data_, groups(blocks(L_.batch, L_.out[0])), 1, pass, 0);
    glFinish();
    check_gl("the first-layer product");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return 2.0 * L_.batch * L_.in_dim * L_.out[0] * L_.nets * reps / seconds / 1e9;
  }

 private:
  // [SECTION] The meters

  // The meters run on the CPU from read-back state (landscape.h): each network's parameters and
  // momentum buffers at θ_t, once every queued step has finished — one stall of the GPU queue per
  // measurement — and the batch `idx` (batch) that step t + 1 trains on, gathered from the
  // training set the CPU also holds.
  void measure_landscapes(const int32_t* idx) {
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    const Dataset& train = data_.train;
    CpuNetwork<float>::Mat u(train.dim, L_.batch);  // (dim, batch)
    std::vector<int32_t> y(L_.batch);               // (batch)
    for (int j = 0; j < L_.batch; ++j) {
      std::copy_n(train.example(idx[j]), train.dim, u.col(j).data());
      y[j] = train.y[idx[j]];
    }
    LandscapeStats s;
    s.step = step_;
    s.multipliers = cfg_.landscape.multipliers;
    const BnNoiseKey noise{cfg_.seed, step_};
    for (int n = 0; n < L_.nets; ++n) {
      int32_t diverged = -1;
      glGetNamedBufferSubData(status_.id(), (static_cast<GLintptr>(n) * L_.status_stride + STATUS_DIVERGED) * 4, 4,
                              &diverged);
      if (diverged >= 0) {
        s.networks.emplace_back();
        continue;
      }
      const size_t first = static_cast<size_t>(n) * L_.param_stride;
      CpuNetwork<float> net(cfg_.networks[n], unpack(n, read(params_, first, L_.param_stride)));
      if (cfg_.networks[n].optim.momentum > 0) net.set_velocity(unpack(n, read(velocity_, first, L_.param_stride)));
      s.networks.push_back(measure_landscape(net, u, nullptr, y.data(), noise, s.multipliers, meter_scratch_));
    }
    landscape_.push_back(std::move(s));
    check_gl("the landscape meters' read-back");
  }

  // [SECTION] Losses

  // Waits for every queued step and appends its losses to losses_ (steps, networks).
  void copy_losses() {
    if (losses_read_ == step_) return;
    fence_done(loss_fence_, true);
    const float* ring = loss_ring_.map<float>();
    for (int64_t s = losses_read_; s < step_; ++s)
      losses_.insert(losses_.end(), ring + (s % kLossRing) * L_.nets, ring + (s % kLossRing + 1) * L_.nets);
    losses_read_ = step_;
  }

  // [SECTION] Snapshots

  struct PendingSnapshot {
    int64_t step;
    bool with_eval;
    int slot;
    GLsync fence;
    // The strip's step (−1: none), labels (batch), and which networks have one (nets): the
    // trainer's as they were when the snapshot was asked for.
    int64_t strip_step;
    std::vector<int32_t> strip_labels;
    std::vector<char> strip_kept;
  };

 public:
  void request_snapshot(bool with_eval) override {
    ctx_.make_current();
    if (pending_.size() == kSnapSlots) ready_.push_back(finish(true));  // every slot in flight
    const int slot = static_cast<int>(next_slot_++ % kSnapSlots);
    // Evaluation first: the probe pass must be the last one in the activation slots. The chunk
    // index (the pass's step) says where out_loss leaves each chunk's sums: the training subset's
    // after the test set's.
    if (with_eval) {
      const int mode = cfg_.eval_stats == EvalStats::Batch ? MODE_EVAL_BATCH : MODE_EVAL_RUNNING;
      const int tests = static_cast<int>(L_.eval_chunks.size());
      bind_data(true);
      for (size_t c = 0; c < L_.train_chunks.size(); ++c)
        forward({L_.train_chunks[c].second, mode, L_.train_chunks[c].first, tests + static_cast<int>(c)});
      bind_data(false);
      for (int c = 0; c < tests; ++c) forward({L_.eval_chunks[c].second, mode, L_.eval_chunks[c].first, c});
    }
    bind_data(false);
    forward({L_.probe_rows, MODE_PROBE, 0, static_cast<int>(step_)});  // step: noisy BN's draws
    dispatch(stats_, 3, L_.hidden,
             {L_.probe_rows, MODE_PROBE, static_cast<int>(test_rows()),
              with_eval ? static_cast<int>(L_.eval_chunks.size()) : 0},
             slot);
    // The strips into this slot: GPU-side copies, read back with the rest after the fence.
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    for (int n = 0; n < L_.nets; ++n)
      for (int l = 0; l < L_.hidden; ++l)
        glCopyNamedBufferSubData(acts_.id(), strip_snaps_.id(),
                                 static_cast<GLintptr>(strip_at(n, l)) * 4,
                                 static_cast<GLintptr>(((static_cast<size_t>(slot) * L_.nets + n) * L_.hidden + l) * L_.strip_words) * 4,
                                 static_cast<GLsizeiptr>(L_.strip_words) * 4);
    pending_.push_back({step_, with_eval, slot, fence_for_readback(), strip_step_, strip_labels_, strip_kept_});
    check_gl("measuring a snapshot");
  }

  std::optional<StepStats> poll_snapshot(bool wait) override {
    if (ready_.empty() && !pending_.empty()) {
      ctx_.make_current();
      if (fence_done(pending_.front().fence, wait)) ready_.push_back(finish(false));
    }
    if (ready_.empty()) return std::nullopt;
    StepStats s = std::move(ready_.front());
    ready_.pop_front();
    return s;
  }

 private:
  // Where layer l's strip of network n starts in the activation buffer (after μ and 1/σ).
  size_t strip_at(int n, int l) const {
    return static_cast<size_t>(n) * L_.act_stride + L_.act_off[l] + static_cast<size_t>(SLOT_COUNT) * L_.rows_max * L_.out[l] +
           2 * static_cast<size_t>(L_.stat_rows);
  }

  // Layer l's strip of network n from a finished snapshot slot.
  BatchStrip decode_strip(const PendingSnapshot& p, int n, int l) const {
    BatchStrip st;
    if (p.strip_step < 0 || !p.strip_kept[n]) return st;
    const float* w = strip_snaps_.map<float>() + ((static_cast<size_t>(p.slot) * L_.nets + n) * L_.hidden + l) * L_.strip_words;
    const size_t m = static_cast<size_t>(L_.batch);
    st.step = p.strip_step;
    st.norm = cfg_.networks[n].model.norm[l];
    st.labels = p.strip_labels;
    st.x.assign(w, w + m);
    if (st.norm == Norm::Batch) {
      st.xhat.assign(w + m, w + 2 * m);
      st.y.assign(w + 2 * m, w + 3 * m);
      st.mu = w[3 * m];
      st.sigma = 1.f / w[3 * m + 1];
      st.gamma = w[3 * m + 2];
      st.beta = w[3 * m + 3];
    } else {
      strip_reference(st.x, &st.mu, &st.sigma);
    }
    return st;
  }

  int64_t test_rows() const {
    return L_.eval_chunks.empty() ? 0 : L_.eval_chunks.back().first + L_.eval_chunks.back().second;
  }

  // Decodes the oldest pending snapshot (waiting for it when `wait`; callers know it is done).
  StepStats finish(bool wait) {
    PendingSnapshot p = pending_.front();
    pending_.pop_front();
    if (wait) fence_done(p.fence, true);
    glDeleteSync(p.fence);
    const uint32_t* words = snapshots_.map<uint32_t>() + static_cast<size_t>(p.slot) * L_.snap_slot_words;
    StepStats s;
    s.step = p.step;
    for (int n = 0; n < L_.nets; ++n) {
      const uint32_t* nw = words + n * L_.snap_net_words;
      const Activation act = cfg_.networks[n].model.activation;
      NetworkStats ns;
      ns.diverged_at = static_cast<int32_t>(nw[SNAP_DIVERGED]);
      ns.has_eval = p.with_eval;
      if (p.with_eval) {
        ns.test_loss = word_float(nw[SNAP_TEST_LOSS]);
        ns.test_acc = word_float(nw[SNAP_TEST_ACC]);
        ns.train_acc = word_float(nw[SNAP_TRAIN_ACC]);
      }
      for (int l = 0; l < L_.hidden; ++l) {
        const uint32_t* lw = nw + SNAP_LAYERS + l * L_.snap_layer_words;
        LayerStats ls;
        for (int t = 0; t < kTapCount; ++t) {
          Histogram& h = ls.hist[t];
          const uint32_t* c = lw + t * (L_.bins + 2);
          tap_range(t, act, &h.lo, &h.hi);
          h.counts.assign(c, c + L_.bins);
          h.underflow = c[L_.bins];
          h.overflow = c[L_.bins + 1];
        }
        const uint32_t* sc = lw + kTapCount * (L_.bins + 2);
        for (int k = 0; k < 5; ++k) {
          ls.pct[k] = word_float(sc[SNAP_PCT + k]);
          ls.unit_pct[k] = word_float(sc[SNAP_UNIT_PCT + k]);
        }
        ls.mean = word_float(sc[SNAP_MEAN]);
        ls.std = word_float(sc[SNAP_STD]);
        ls.saturation = word_float(sc[SNAP_SATURATION]);
        ls.grad_norm = word_float(sc[SNAP_GRAD_NORM]);
        ls.weight_norm = word_float(sc[SNAP_WEIGHT_NORM]);
        ls.update_ratio = word_float(sc[SNAP_UPDATE_RATIO]);
        ls.gamma_mean = word_float(sc[SNAP_GAMMA_MEAN]);
        ls.gamma_std = word_float(sc[SNAP_GAMMA_STD]);
        ls.beta_mean = word_float(sc[SNAP_BETA_MEAN]);
        ls.beta_std = word_float(sc[SNAP_BETA_STD]);
        const uint32_t* units = sc + SNAP_UNIT_MEAN;
        for (int j = 0; j < L_.out[l]; ++j) {
          ls.unit_mean.push_back(word_float(units[j]));
          ls.unit_var.push_back(word_float(units[L_.snap_units + j]));
        }
        if (ns.diverged_at < 0) ls.strip = decode_strip(p, n, l);
        ns.layers.push_back(std::move(ls));
      }
      s.networks.push_back(std::move(ns));
    }
    return s;
  }

  // [SECTION] Parameters

  Norm layer_norm(int net, int l) const {
    return l < L_.hidden ? cfg_.networks[net].model.norm[l] : Norm::None;
  }

  // One network's parameters into its stride of the flat buffer; absent tensors keep their slot.
  void pack_params(const NetworkParams& p, int net, float* flat) const {
    if (static_cast<int>(p.layers.size()) != L_.layers)
      throw std::runtime_error("parameters have " + std::to_string(p.layers.size()) + " layers, the network " +
                               std::to_string(L_.layers));
    for (int l = 0; l < L_.layers; ++l) {
      const LayerParams& lp = p.layers[l];
      const size_t out = L_.out[l], in = L_.in[l];
      const Norm norm = layer_norm(net, l);
      auto put = [&](const std::vector<float>& v, size_t size, size_t at, const char* name) {
        if (v.empty()) return;
        if (v.size() != size)
          throw std::runtime_error("layer " + std::to_string(l) + " " + name + ": " + std::to_string(v.size()) +
                                   " values, expected " + std::to_string(size));
        std::copy(v.begin(), v.end(), flat + L_.param_off[l] + at);
      };
      if (lp.norm != norm)
        throw std::runtime_error("layer " + std::to_string(l) + ": parameters for norm " + to_string(lp.norm) +
                                 ", the network uses " + to_string(norm));
      put(lp.weight, out * in, 0, "weight");
      put(lp.bias, out, out * in, "bias");
      put(lp.gamma, out, out * in + out, "gamma");
      put(lp.beta, out, out * in + 2 * out, "beta");
      put(lp.running_mean, out, out * in + 3 * out, "running_mean");
      put(lp.running_var, out, out * in + 4 * out, "running_var");
    }
  }

  // One network's slice of the parameter layout, (param_stride), as the tensors of `net`: the
  // parameters, or the momentum buffers, which share that layout.
  NetworkParams unpack(int net, const std::vector<float>& flat) const {
    NetworkParams p;
    for (int l = 0; l < L_.layers; ++l) {
      LayerParams d;
      d.in = L_.in[l];
      d.out = L_.out[l];
      d.norm = layer_norm(net, l);
      const float* at = flat.data() + L_.param_off[l];
      const size_t out = d.out, w = out * d.in;
      d.weight.assign(at, at + w);
      if (d.norm != Norm::Batch) d.bias.assign(at + w, at + w + out);
      if (d.norm != Norm::None) {
        d.gamma.assign(at + w + out, at + w + 2 * out);
        d.beta.assign(at + w + 2 * out, at + w + 3 * out);
      }
      if (d.norm == Norm::Batch) {
        d.running_mean.assign(at + w + 3 * out, at + w + 4 * out);
        d.running_var.assign(at + w + 4 * out, at + w + 5 * out);
      }
      p.layers.push_back(std::move(d));
    }
    return p;
  }

  std::vector<float> read(const GlBuffer& b, size_t first, size_t count) const {
    std::vector<float> v(count);
    glGetNamedBufferSubData(b.id(), static_cast<GLintptr>(first * 4), static_cast<GLsizeiptr>(count * 4), v.data());
    return v;
  }

 public:
  NetworkParams params(int net) const override {
    ctx_.make_current();
    return unpack(net, read(params_, static_cast<size_t>(net) * L_.param_stride, L_.param_stride));
  }

  void set_params(int net, const NetworkParams& p) override {
    ctx_.make_current();
    const size_t first = static_cast<size_t>(net) * L_.param_stride;
    std::vector<float> flat = read(params_, first, L_.param_stride);
    pack_params(p, net, flat.data());
    glNamedBufferSubData(params_.id(), static_cast<GLintptr>(first * 4), static_cast<GLsizeiptr>(flat.size() * 4),
                         flat.data());
    // A new starting point forgets the old velocity, as the CPU reference.
    const std::vector<float> zeros(flat.size(), 0.f);
    glNamedBufferSubData(velocity_.id(), static_cast<GLintptr>(first * 4), static_cast<GLsizeiptr>(zeros.size() * 4),
                         zeros.data());
  }

  void set_network(int net, const NetworkConfig& nc, const NetworkParams& p) override {
    check_shapes(p, nc.model, L_.in_dim, L_.classes);
    check_shape(nc);
    ctx_.make_current();
    cfg_.networks.at(net) = nc;
    const std::vector<int32_t> meta = meta_words(net);
    glNamedBufferSubData(meta_.id(), static_cast<GLintptr>(net) * L_.meta_stride * 4, bytes(meta), meta.data());
    set_params(net, p);
    // Trains again from here: no gradient yet, not diverged.
    const std::vector<float> nans(L_.param_stride, kNaN);
    glNamedBufferSubData(grads_.id(), static_cast<GLintptr>(net) * L_.param_stride * 4, bytes(nans), nans.data());
    strip_kept_.at(net) = 0;  // its strip is the old network's
    const int32_t healthy = -1;
    glNamedBufferSubData(status_.id(), (static_cast<GLintptr>(net) * L_.status_stride + STATUS_DIVERGED) * 4, 4,
                         &healthy);
  }

  // The batch size is compiled into the kernels and shapes the activation slots, so a new one
  // rebuilds both around the networks' current state (parameters, velocity, gradients, divergence).
  void set_batch(int batch) override {
    check_batch(batch);
    ctx_.make_current();
    copy_losses();
    while (!pending_.empty()) ready_.push_back(finish(true));
    const size_t all = static_cast<size_t>(L_.nets) * L_.param_stride;
    const std::vector<float> params = read(params_, 0, all), velocity = read(velocity_, 0, all),
                             grads = read(grads_, 0, all);
    std::vector<int32_t> diverged(L_.nets);
    for (int n = 0; n < L_.nets; ++n)
      glGetNamedBufferSubData(status_.id(), (static_cast<GLintptr>(n) * L_.status_stride + STATUS_DIVERGED) * 4, 4,
                              &diverged[n]);
    cfg_.batch = batch;
    order_ = BatchOrder(data_.train.size(), batch, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(step_));
    L_ = make_layout(cfg_, data_);
    build(params, velocity, grads, diverged);
  }

  // Index uploads and the loss ring are addressed by step modulo their size, so any step can
  // follow; only the losses of steps already queued must be read under the old numbering.
  void seek(int64_t step, int64_t order_start) override {
    check_seek(step, order_start);
    ctx_.make_current();
    copy_losses();
    order_ = BatchOrder(data_.train.size(), cfg_.batch, cfg_.data.shuffle, cfg_.seed + static_cast<uint64_t>(order_start));
    order_.skip(step - order_start);
    step_ = step;
    losses_read_ = step;
  }

 private:
  GlContext ctx_;  // first: made before and destroyed after every GL object below
  RunConfig cfg_;          // the networks' settings as changed by set_network / set_batch
  const DataSplit& data_;  // must outlive the trainer, as for the CPU reference
  BatchOrder order_;
  int64_t landscape_every_ = cfg_.landscape.every;
  std::vector<LandscapeStats> landscape_;  // measured and not yet taken, oldest first
  LandscapeScratch<float> meter_scratch_;  // the meters' networks, kept between measurements
  Layout L_;
  GlBuffer train_x_, train_y_;  // (train size, dim) floats or (train size · dim / 4) packed bytes, (train size)
  GlBuffer test_x_, test_y_;    // (test size, dim) likewise, (test size)
  std::vector<float> palette_;  // (≤ 256) distinct example values when stored as bytes; else empty
  GlBuffer palette_buffer_;     // (≤ 256)
  GlBuffer probe_sparse_;       // (probe rows + 1) row starts, then (nonzeros, 2): column, value bits
  GlProgram mm_data_, mm_fwd_, mm_bwd_, mm_probe_, norm_act_, out_loss_, norm_back_, update_, stats_;
  GlBuffer meta_;       // (nets, meta_stride) int words: act, affine, lr, momentum, ε, BN momentum, tap ranges, norms
  GlBuffer params_;     // (nets, param_stride): per layer W (out, in), b, γ, β, running mean, running var (out each)
  GlBuffer velocity_;   // (nets, param_stride)
  GlBuffer grads_;      // (nets, param_stride) of the last step
  GlBuffer acts_;       // (nets, act_stride): per layer (SLOT_COUNT, rows_max, width) + μ, 1/σ (stat_rows each)
  GlBuffer indices_;    // (kIdxRing, batch) training example of each row of each queued step
  GlBuffer loss_ring_;  // (kLossRing, nets), mapped
  GlBuffer status_;     // (nets, status_stride): divergence step, eval chunk sums
  GlBuffer snapshots_;  // (kSnapSlots, snap_slot_words), mapped
  GlBuffer strip_snaps_;  // (kSnapSlots, nets, hidden, strip_words) floats, mapped: the strips copied per snapshot
  int bound_train_ = -1;  // which dataset is bound: 1 train, 0 test, −1 none yet

  int64_t step_ = 0;
  int64_t dispatches_ = 0;
  // BNLAB_GPU_FAIL_AT_STEP (gpu_trainer.h): the step at which train() fails on purpose; −1: never.
  const int64_t fail_at_ = [] {
    const char* v = std::getenv("BNLAB_GPU_FAIL_AT_STEP");
    return v && *v ? std::strtoll(v, nullptr, 10) : int64_t{-1};
  }();
  int64_t losses_read_ = 0;     // steps whose losses are in losses_ already
  GLsync loss_fence_ = nullptr; // after the last queued step
  std::vector<float> losses_;   // (steps, nets) not yet taken
  int64_t next_slot_ = 0;
  // The last kept training step (the last of a train() call), whose batch norm_act kept at the
  // typical unit: its step (−1: none since the buffers were built), labels (batch), and per
  // network (nets) whether the strip is that network's (not one replaced since).
  int64_t strip_step_ = -1;
  std::vector<int32_t> strip_labels_;
  std::vector<char> strip_kept_ = std::vector<char>(cfg_.networks.size(), 0);
  std::deque<PendingSnapshot> pending_;
  std::deque<StepStats> ready_;
};

GpuLayerTensors GpuTrainer::layer_tensors(int net, int layer, int rows) {
  ctx_.make_current();
  GpuLayerTensors t;
  const size_t width = L_.out[layer];
  const size_t count = static_cast<size_t>(rows) * width;
  auto slot = [&](int s) {
    return read(acts_, static_cast<size_t>(net) * L_.act_stride + L_.act_off[layer] + s * L_.rows_max * width, count);
  };
  t.x = slot(SLOT_X);
  t.dx = slot(SLOT_DX);
  if (layer < L_.hidden) {
    t.xhat = slot(SLOT_XHAT);
    t.z = slot(SLOT_Z);
    t.a = slot(SLOT_A);
    t.dz = slot(SLOT_DZ);
    t.out = slot(SLOT_OUT);
  }
  const size_t at = static_cast<size_t>(net) * L_.param_stride + L_.param_off[layer], w = width * L_.in[layer];
  const Norm norm = layer_norm(net, layer);
  t.dW = read(grads_, at, w);
  if (norm != Norm::Batch) t.db = read(grads_, at + w, width);
  if (norm != Norm::None) {
    t.dgamma = read(grads_, at + w + width, width);
    t.dbeta = read(grads_, at + w + 2 * width, width);
  }
  return t;
}

}  // namespace

// [SECTION] Entry points

std::unique_ptr<Trainer> make_gpu_trainer(const RunConfig& cfg, const DataSplit& data) {
  return std::make_unique<GpuTrainer>(cfg, data);
}

int64_t gpu_dispatch_count(const Trainer& gpu) { return dynamic_cast<const GpuTrainer&>(gpu).dispatches(); }

double gpu_first_layer_gflops(Trainer& gpu, int reps) { return dynamic_cast<GpuTrainer&>(gpu).first_layer_gflops(reps); }

GpuLayerTensors gpu_layer_tensors(Trainer& gpu, int net, int layer, int rows) {
  return dynamic_cast<GpuTrainer&>(gpu).layer_tensors(net, layer, rows);
}

}  // namespace bnlab
