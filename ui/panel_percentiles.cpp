// panel_percentiles.cpp — Figure 1b/c for every layer: the 2/15/50/85/98th percentiles of the
// nonlinearity input over training, for the whole layer or its typical unit. Rows are layers,
// columns networks (in groups of rows where the width holds too few); each row shares one scale
// so networks compare by eye, unless one network's range dwarfs another's (y scale: auto, shared
// or own).

#include <cstdio>
#include <vector>

#include "ui/panel_common.h"

namespace bnlab {

void panel_percentiles(const LabState& s, ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  std::vector<PercentileRanges> ranges;  // (layers)
  bool all_shared = true;
  for (int l = 0; l < layers; ++l) {
    ranges.push_back(percentile_ranges(s, l, v.unit_percentiles, v.y_scale));
    all_shared &= ranges.back().shared;
  }
  char note[384];
  std::snprintf(note, sizeof note,
                "Nonlinearity input over training (%s): line = median, dark band = 15th–85th percentile, faint band = "
                "2nd–98th.%s \"Typical unit\" in the side panel switches.",
                v.unit_percentiles ? "the typical unit" : "all units of the layer",
                all_shared ? "" : " Each network on its own y scale: read the ticks.");
  y_scale_combo(v);
  ImGui::SameLine(0, ImGui::GetFontSize() * 1.5f);
  network_legend_row(s, v, note);
  const std::string unit = v.unit_percentiles ? ": unit " + std::to_string(s.active.stats.typical_unit) : "";
  network_layer_grid(s, 160, unit.empty() ? ": all units" : unit, unit, [&](int n, int l, plot::Spec& spec, ImVec2 cell) {
    spec.x_label = "training step";
    spec.y_label = "nonlinearity input";
    spec.y_label_short = "input";
    spec.y_min = ranges[l].y[n].first;
    spec.y_max = ranges[l].y[n].second;
    spec.legend = plot::Legend::Off;  // explained in the row above: a legend would cover the bands
    if (!plot::BeginPlot(("##pct" + std::to_string(l) + "_" + std::to_string(n)).c_str(), spec, cell)) return;
    const LayerHistory& h = nets[n].layers[l];
    plot_percentile_bands(v.unit_percentiles ? h.unit_pct : h.pct, network_color(s, n, v), v);
    if (nets[n].diverged_at >= 0 && h.pct[2].size() < 2)  // one point at step 0: say why there is no more
      plot::PlotMessage(("diverged\nat step " + with_thousands(nets[n].diverged_at)).c_str());
    plot_event_markers(s, v, n);
    plot::EndPlot();
  });
}

}  // namespace bnlab
