// series_export.h — every series the lab's views show, as CSV (long format) and as JSON, for
// plotting elsewhere (pandas, R, a spreadsheet).
//
// [SECTION] CSV columns
// [SECTION] JSON layout
// [SECTION] Series names (shared with session files)
// [SECTION] Exporting
//
// [SECTION] CSV columns
// One header line, then one row per value:
//   network,layer,series,index,step,value,lo,hi,samples
//   network  the network's name (config)
//   layer    hidden layer 1, 2, ... as the views number them; empty for a network's own series;
//            for ics_* 1 … hidden + 1, the last being the output layer
//   series   train_loss, test_loss, test_acc, train_acc, diverged_at      (per network)
//            event                 (a user's edit: "L1 BN", "lr 0.003", "batch 30", "+ copy")
//            p2 p15 p50 p85 p98   percentiles of the layer's nonlinearity input, all units
//            unit_p2 ... unit_p98 the same for the typical unit (stats.typical_unit; Figure 1b/c)
//            mean std saturation grad_norm weight_norm update_ratio
//            gamma_mean gamma_std beta_mean beta_std             (per layer, over training)
//            hist.<tap>        the latest histogram of tap pre_norm, nonlin_in or output
//            hist_track.<tap>  the histogram over training (the Over time heatmap)
//            gamma beta running_mean running_var                 (per unit, latest)
//            loss_min loss_max gradpred_min gradpred_max beta_smooth  (per network, the "why BN
//                              works" meters of core/landscape.h, every measurement)
//            ics_l2 ics_cos ics_rel  (per layer incl. the output layer: Santurkar et al.'s ICS)
//   index    histogram bin or unit number (from 0); empty for series over training
//   step     over training: the training step — for a decimated bucket the MEAN step of the
//            samples it merges; hist.*, units: the step of the latest snapshot;
//            diverged_at: the first step whose loss was NaN/Inf (value repeats it);
//            event: a change the user made while training, at the step it took effect (value
//            repeats it), its label in `index` (quoted), network empty when it concerns the run
//   value    the sample, or a decimated bucket's mean; histograms: the share of the probe values
//            that fell in the bin (shares of a column sum below 1 when values fell outside);
//            empty for NaN (no finite sample: a gap, e.g. after divergence)
//   lo, hi   series over training: the minimum and maximum of the samples a decimated bucket
//            merges, empty for a single sample; hist.*, hist_track.*: the bin's edges [lo, hi)
//   samples  series over training and hist_track: how many samples the bucket/column merges —
//            1 = raw, more = DECIMATED (RunHistory halves its resolution when a buffer fills)
//
// [SECTION] JSON layout
// {"format": "bnlab-data", "version": 1, "step": S, "config": {...},
//  "networks": [{"name", "diverged_at" (or null),
//                "series": {"train_loss": {"step": [...], "value": [...], "lo": [...], "hi": [...],
//                                          "samples": [...]}, "test_loss": ..., "test_acc": ..., "train_acc": ...,
//                           "loss_min": ..., "loss_max", "gradpred_min", "gradpred_max", "beta_smooth"},
//                "layers": [{"layer": 1, "series": {"p2": ..., "mean": ..., ...},
//                            "histograms": {"<tap>": {"step", "lo", "hi", "shares": [bins]}},
//                            "histogram_tracks": {"<tap>": {"lo", "hi", "step": [columns],
//                                                 "samples": [columns], "shares": [[bins] per column]}},
//                            "units": {"step", "gamma": [...], "beta", "running_mean", "running_var"}}],
//                "ics": [{"layer": 1, "series": {"ics_l2": ..., "ics_cos", "ics_rel"}}, ...]}],
//  "events": [{"step", "network" (null: the whole run), "text"}]}
// with the same meanings as the CSV columns; NaN is null; lo/hi of a series are its buckets' min/max
// (equal to value where samples is 1).
#pragma once

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/run_history.h"

namespace bnlab {

// [SECTION] Series names (shared with session files)

// The name of percentile series p (index into kPercentiles): "p15", or "unit_p15" for the unit's.
std::string percentile_series_name(size_t p, bool unit);
// The per-unit values (UnitParams) by name.
struct UnitSlot {
  const char* name;
  std::vector<float> UnitParams::*member;
};
extern const std::array<UnitSlot, 4> kUnitSeries;
// A float as a JSON number in its shortest exact decimal form (0.1f → 0.1, not
// 0.100000001490116), or null for NaN/Inf, which JSON cannot hold.
nlohmann::json json_float(float f);
nlohmann::json json_floats(const float* v, size_t n);  // an array of json_float

// [SECTION] Exporting

// Network i's name is cfg.networks[i].name ("net<i>" past the end of the list).
std::string series_csv(const RunConfig& cfg, const RunHistory& h);
nlohmann::json series_json(const RunConfig& cfg, const RunHistory& h);

// Written atomically (write_file_atomic); throws std::runtime_error naming the file on failure.
void save_series_csv(const std::string& path, const RunConfig& cfg, const RunHistory& h);
void save_series_json(const std::string& path, const RunConfig& cfg, const RunHistory& h);

}  // namespace bnlab
