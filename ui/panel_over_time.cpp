// panel_over_time.cpp — each layer's histogram over training as a heatmap (as TensorBoard's
// distributions): x is the step, y the value, darker cells hold more of the probe set's values.
// Rows are layers, columns networks (in groups of rows where the width holds too few); the tap is
// chosen in the side panel.

#include <cstdio>
#include <string>
#include <vector>

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
  std::vector<std::string> titles, short_titles;  // (networks, layers); empty past a network's depth
  for (size_t n = 0; n < nets.size(); ++n)
    for (int l = 0; l < layers; ++l) {
      const NetworkConfig& cfg = s.active.networks[n];
      const bool has = l < static_cast<int>(nets[n].layers.size());
      titles.push_back(has ? cfg.name + ", " + layer_label(cfg, l) : "");
      short_titles.push_back(has ? cfg.name + ", " + layer_label_short(cfg, l) : "");
    }
  const int count = static_cast<int>(nets.size());
  const NetworkGrid grid = network_grid(count, layers, plot_min_width(short_titles), 150);
  for (int first = 0; first < count; first += grid.per_row) {
    for (int l = 0; l < layers; ++l) {
      for (int n = first; n < std::min(count, first + grid.per_row); ++n) {
        if (n > first) ImGui::SameLine();
        const std::string& title = titles[static_cast<size_t>(n * layers + l)];
        if (title.empty()) {
          ImGui::Dummy(grid.cell);
          continue;
        }
        const NetworkConfig& cfg = s.active.networks[n];
        const HistogramTrack& t = nets[n].layers[l].hist[v.heatmap_tap];
        plot::Spec spec;
        spec.title = title.c_str();
        spec.title_short = short_titles[static_cast<size_t>(n * layers + l)].c_str();
        spec.x_label = "training step";
        spec.y_label = tap_label(v.heatmap_tap);
        spec.y_label_short = v.heatmap_tap == kTapOutput ? "output" : v.heatmap_tap == kTapPreNorm ? "x" : "input";
        spec.legend = plot::Legend::Off;
        if (t.columns() > 0) {
          spec.y_min = t.lo();
          spec.y_max = t.hi();
        }
        if (!plot::BeginPlot(("##heat" + std::to_string(l) + "_" + std::to_string(n)).c_str(), spec, grid.cell)) continue;
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
      }
    }
  }
}

}  // namespace bnlab
