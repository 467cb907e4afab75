// backend.cpp — backend choice. The GPU engine plugs in here.

#include "core/backend.h"

namespace bnlab {

std::unique_ptr<Trainer> make_trainer(const RunConfig& cfg, const DataSplit& data, std::string* why) {
  if (cfg.backend != Backend::Cpu) *why = "the GPU engine is not built yet; training on the CPU reference";
  return make_cpu_trainer(cfg, data);
}

}  // namespace bnlab
