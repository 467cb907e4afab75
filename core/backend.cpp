// backend.cpp — backend choice: the GPU engine where it pays, the CPU reference otherwise.
//
// auto probes the GL driver first: on a software rasterizer (llvmpipe, softpipe, SwiftShader) the
// compute path runs as CPU code behind an extra layer, and the Eigen reference is several times
// faster, so auto trains there on the CPU. Any GPU failure (no EGL or GL 4.3, no compute, a shader
// that does not compile, an allocation the driver refuses) falls back to the CPU with the reason.

#include "core/backend.h"

#include <stdexcept>
#include <string>

#include "core/dataset.h"
#include "core/gl_context.h"
#include "core/gpu_trainer.h"

namespace bnlab {

std::unique_ptr<Trainer> make_trainer(const RunConfig& cfg, const DataSplit& data, std::string* why) {
  why->clear();
  // Both engines take the probe set from the test set; saying so beats silently probing fewer.
  if (cfg.stats.probe_size > data.test.size())
    throw std::runtime_error("stats.probe_size=" + std::to_string(cfg.stats.probe_size) + " but the test set has " +
                             std::to_string(data.test.size()) + " examples; allowed: 2 … " +
                             std::to_string(data.test.size()));
  if (cfg.backend == Backend::Cpu) return make_cpu_trainer(cfg, data);
  try {
    if (cfg.backend == Backend::Auto) {
      const GlContext probe;
      if (probe.is_software()) {
        *why = "backend auto: the GL renderer is " + probe.renderer() +
               ", a software rasterizer, where the CPU reference is faster; training on the CPU";
        return make_cpu_trainer(cfg, data);
      }
      *why = "backend auto: training on the GPU (" + probe.renderer() + ")";
    }
    return make_gpu_trainer(cfg, data);
  } catch (const GpuError& e) {
    *why = std::string("the GPU backend is unavailable (") + e.what() + "); training on the CPU reference";
    return make_cpu_trainer(cfg, data);
  }
}

}  // namespace bnlab
