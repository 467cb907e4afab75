// panel_percentiles.cpp — Figure 1b/c for every layer: the 2/15/50/85/98th percentiles of the
// nonlinearity input over training, for the whole layer or its typical unit. Rows are layers,
// columns networks; each row shares one scale so networks compare by eye.

#include <cstdio>

#include "ui/panel_common.h"

namespace bnlab {

void panel_percentiles(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  char note[320];
  std::snprintf(note, sizeof note,
                "Nonlinearity input over training (%s): line = median, dark band = 15th–85th percentile, faint band = "
                "2nd–98th. \"Typical unit\" in the side panel switches.",
                v.unit_percentiles ? "the typical unit" : "all units of the layer");
  network_legend_row(s, v, note);
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  const ImVec2 cell = grid_cell(static_cast<int>(nets.size()), layers, 160);
  for (int l = 0; l < layers; ++l) {
    double y0, y1;
    shared_percentile_range(s, l, v.unit_percentiles, &y0, &y1);
    for (size_t n = 0; n < nets.size(); ++n) {
      if (n) ImGui::SameLine();
      const NetworkConfig& cfg = s.active.networks[n];
      if (l >= static_cast<int>(nets[n].layers.size())) {
        ImGui::Dummy(cell);
        continue;
      }
      const std::string unit = v.unit_percentiles ? ": unit " + std::to_string(s.active.stats.typical_unit) : "";
      const std::string title = cfg.name + ", " + layer_label(cfg, l) + (unit.empty() ? ": all units" : unit),
                        title_short = cfg.name + ", " + layer_label_short(cfg, l) + unit;
      plot::Spec spec;
      spec.title = title.c_str();
      spec.title_short = title_short.c_str();
      spec.x_label = "training step";
      spec.y_label = "nonlinearity input";
      spec.y_label_short = "input";
      spec.y_min = y0;
      spec.y_max = y1;
      spec.legend = plot::Legend::Off;  // explained in the row above: a legend would cover the bands
      if (!plot::BeginPlot(("##pct" + std::to_string(l) + "_" + std::to_string(n)).c_str(), spec, cell)) continue;
      const LayerHistory& h = nets[n].layers[l];
      plot_percentile_bands(v.unit_percentiles ? h.unit_pct : h.pct, network_color(s, static_cast<int>(n), v), v);
      plot_event_markers(s, v, static_cast<int>(n));
      plot::EndPlot();
    }
  }
}

}  // namespace bnlab
