// backend.h — choosing the engine a run trains on.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"
#include "core/trainer.h"

namespace bnlab {

struct DataSplit;

// The trainer for cfg.backend: cpu → the Eigen reference; gpu → the compute-shader engine;
// auto → the GPU on a hardware driver, the CPU on a software rasterizer. *why receives one line
// saying which was chosen and why (empty when there is nothing to say). A GPU that cannot be used
// falls back to the CPU with the reason in *why; it never throws for that.
std::unique_ptr<Trainer> make_trainer(const RunConfig& cfg, const DataSplit& data, std::string* why);

}  // namespace bnlab
