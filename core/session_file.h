// session_file.h — a lab session saved as one file and reopened to the same picture.
//
// [SECTION] Format
// [SECTION] Saving and loading
//
// [SECTION] Format
// A session is one JSON file, by convention NAME.bnlab.json. One file rather than a directory:
// it is written atomically in one piece (write_file_atomic — a reader sees the old session or the
// new one, never a mixture of two saves), it travels as one attachment, and any JSON tool reads
// it. Top-level keys:
//   "format": "bnlab-session", "version": 1   what this is; a newer version is refused by name
//   "preset"       the built-in preset (lesson) it came from, "" for none
//   "config"       the run's settings, as `bnlab run` writes config.json (to_json(RunConfig))
//   "step", "order_start"   the step reached, and the step its data order began (Trainer::seek)
//   "history"      RunHistory in full: per network train_loss/test_loss/test_acc/train_acc, "latest_step",
//                  "diverged_at", "color" (its palette index), "norm_since" (the step its current
//                  normalization began), "latest" (the last snapshot: per
//                  layer histograms, percentiles, norms), "units" (γ, β, running statistics per
//                  unit) and per layer every
//                  Series and HistogramTrack with its decimation state (stride, open_count,
//                  per-bucket finite counts), so a reopened history goes on exactly as it would have;
//                  "events": the user's edits while training, [{"step", "net" (−1: all), "text"}]
//   "params"       per network, per layer (hidden layers, then the output layer): in, out, norm
//                  and the tensors weight (out, in) row-major, bias, gamma, beta, running_mean,
//                  running_var (network.h's LayerParams; PyTorch's layout)
// Numbers are float32 values written in their shortest exact decimal form; NaN is written as null
// (JSON has no NaN). Loading checks every part and throws one message naming the file and what is
// wrong, so a damaged or foreign file never half-loads.
#pragma once

#include <string>

#include "core/lab_session.h"

namespace bnlab {

// [SECTION] Saving and loading

constexpr int kSessionVersion = 1;

// The file's JSON text for `s`.
std::string encode_session(const LabSnapshot& s);
// Parses a session's text; `name` (the file's path) starts every error message.
LabSnapshot decode_session(const std::string& text, const std::string& name);

// Writes `s` to `path` atomically. Throws std::runtime_error naming the file (no permission,
// no such directory, disk full); nothing is left behind on failure.
void save_session(const std::string& path, const LabSnapshot& s);
// Reads a session file; throws std::runtime_error naming the file and what is wrong (unreadable,
// not JSON, not a bnlab session, a newer version, a part missing or inconsistent).
LabSnapshot load_session(const std::string& path);

}  // namespace bnlab
