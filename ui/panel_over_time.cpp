// panel_over_time.cpp — each layer's histogram over training as a heatmap (as TensorBoard's
// distributions): x is the step, y the value, darker cells hold more of the probe set's values.
// Rows are layers, columns networks (in groups of rows where the width holds too few); the tap is
// chosen in the side panel.

#include <cstdio>
#include <string>

#include "ui/panel_common.h"

namespace bnlab {

void panel_over_time(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  char note[320];
  std::snprintf(note, sizeof note, "Histogram of the %s over training: darker = more values in that bin (square-root scale)%s.",
                tap_label(v.heatmap_tap), v.heatmap_tap == kTapNonlinIn ? "; black line = median" : "");
  network_legend_row(s, v, note);
  network_layer_grid(s, 150, "", "", [&](int n, int l, plot::Spec& spec, ImVec2 cell) {
    const NetworkConfig& cfg = s.active.networks[n];
    const HistogramTrack& t = nets[n].layers[l].hist[v.heatmap_tap];
    spec.x_label = "training step";
    spec.y_label = tap_label(v.heatmap_tap);
    spec.y_label_short = v.heatmap_tap == kTapOutput ? "output" : v.heatmap_tap == kTapPreNorm ? "x" : "input";
    spec.legend = plot::Legend::Off;
    if (t.columns() > 0) {
      spec.y_min = t.lo();
      spec.y_max = t.hi();
    }
    if (!plot::BeginPlot(("##heat" + std::to_string(l) + "_" + std::to_string(n)).c_str(), spec, cell)) return;
    float vmax = 0;
    for (int i = 0; i < t.columns() * t.bins(); ++i) vmax = std::max(vmax, t.values()[i]);
    plot::PlotHeatmap(cfg.name.c_str(), t.values(), t.columns(), t.bins(), t.x(), t.lo(), t.hi(), network_color(s, n, v), vmax);
    // The median on top, so the heatmap reads like the percentile view.
    if (v.heatmap_tap == kTapNonlinIn)
      plot_series("median", nets[n].layers[l].pct[2], ImGui::GetColorU32(ImGuiCol_Text, 0.8f), 1.5f);
    if (nets[n].diverged_at >= 0 && t.columns() < 2)  // one column at step 0: say why there is no more
      plot::PlotMessage(("diverged\nat step " + with_thousands(nets[n].diverged_at)).c_str());
    plot_event_markers(s, v, n);
    plot::EndPlot();
  });
}

}  // namespace bnlab
