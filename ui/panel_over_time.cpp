// panel_over_time.cpp — each layer's histogram over training as a heatmap (as TensorBoard's
// distributions): x is the step, y the value, darker cells hold more of the probe set's values.
// Rows are layers, columns networks; the tap is chosen in the side panel.

#include <cstdio>

#include "ui/panel_common.h"

namespace bnlab {

void panel_over_time(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  char note[320];
  std::snprintf(note, sizeof note, "Histogram of the %s over training: darker = more values in that bin (square-root scale)%s.",
                tap_label(v.heatmap_tap), v.heatmap_tap == kTapNonlinIn ? "; black line = median" : "");
  network_legend_row(s, v, note);
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  const ImVec2 cell = grid_cell(static_cast<int>(nets.size()), layers, 150);
  for (int l = 0; l < layers; ++l) {
    for (size_t n = 0; n < nets.size(); ++n) {
      if (n) ImGui::SameLine();
      if (l >= static_cast<int>(nets[n].layers.size())) {
        ImGui::Dummy(cell);
        continue;
      }
      const NetworkConfig& cfg = s.active.networks[n];
      const HistogramTrack& t = nets[n].layers[l].hist[v.heatmap_tap];
      const std::string title = cfg.name + ", " + layer_label(cfg, l), title_short = cfg.name + ", " + layer_label_short(cfg, l);
      plot::Spec spec;
      spec.title = title.c_str();
      spec.title_short = title_short.c_str();
      spec.x_label = "training step";
      spec.y_label = tap_label(v.heatmap_tap);
      spec.y_label_short = v.heatmap_tap == kTapOutput ? "output" : v.heatmap_tap == kTapPreNorm ? "x" : "input";
      spec.legend = plot::Legend::Off;
      if (t.columns() > 0) {
        spec.y_min = t.lo();
        spec.y_max = t.hi();
      }
      if (!plot::BeginPlot(("##heat" + std::to_string(l) + "_" + std::to_string(n)).c_str(), spec, cell)) continue;
      float vmax = 0;
      for (int i = 0; i < t.columns() * t.bins(); ++i) vmax = std::max(vmax, t.values()[i]);
      plot::PlotHeatmap(cfg.name.c_str(), t.values(), t.columns(), t.bins(), t.x(), t.lo(), t.hi(),
                        network_color(s, static_cast<int>(n), v), vmax);
      // The median on top, so the heatmap reads like the percentile view.
      if (v.heatmap_tap == kTapNonlinIn)
        plot_series("median", nets[n].layers[l].pct[2], ImGui::GetColorU32(ImGuiCol_Text, 0.8f), 1.5f);
      plot_event_markers(s, v, static_cast<int>(n));
      plot::EndPlot();
    }
  }
}

}  // namespace bnlab
