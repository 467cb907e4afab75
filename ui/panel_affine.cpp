// panel_affine.cpp — what normalization learned, per unit: γ and β of every hidden unit, and BN's
// running mean and (unbiased) running variance — the statistics evaluation uses instead of the
// batch's (Algorithm 2). Rows are layers; networks without normalization have nothing here.

#include "ui/panel_common.h"

namespace bnlab {

namespace {

struct Column {
  const char* title;
  const char* y_label;
  std::vector<float> UnitParams::*member;
};
constexpr Column kColumns[] = {
    {"γ (scale)", "γ", &UnitParams::gamma},
    {"β (shift)", "β", &UnitParams::beta},
    {"running mean", "E[x]", &UnitParams::running_mean},
    {"running variance", "Var[x]", &UnitParams::running_var},
};

}  // namespace

void panel_affine(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  bool any = false;
  for (const auto& n : s.active.networks)
    for (Norm k : n.model.norm) any |= k != Norm::None;
  if (!any) {
    ImGui::TextWrapped("No network normalizes any layer: switch BN on for a network (press B, or use the side panel) to see "
                       "γ, β and the running statistics here.");
    return;
  }
  network_legend_row(s, v, "Per unit (x axis), now. The running mean and variance (BN only) replace the batch's statistics in eval mode.");
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.units.size()));
  const ImVec2 cell = grid_cell(4, layers, 150);
  for (int l = 0; l < layers; ++l) {
    for (int c = 0; c < 4; ++c) {
      if (c) ImGui::SameLine();
      const std::string title = "layer " + std::to_string(l + 1) + ": " + kColumns[c].title;
      plot::Spec spec;
      spec.title = title.c_str();
      spec.x_label = "unit";
      spec.y_label = kColumns[c].y_label;
      spec.x_is_step = false;
      spec.legend = plot::Legend::Off;  // the row above names the networks
      if (!plot::BeginPlot(("##affine" + std::to_string(l) + "_" + std::to_string(c)).c_str(), spec, cell)) continue;
      std::vector<std::vector<double>> xs(nets.size());  // (networks, units); alive until EndPlot
      bool drawn = false;
      for (size_t n = 0; n < nets.size(); ++n) {
        if (l >= static_cast<int>(nets[n].units.size())) continue;
        const std::vector<float>& y = nets[n].units[l].*kColumns[c].member;
        if (y.empty()) continue;
        xs[n].resize(y.size());
        for (size_t i = 0; i < y.size(); ++i) xs[n][i] = static_cast<double>(i);
        plot::PlotLine(s.active.networks[n].name.c_str(), xs[n].data(), y.data(), static_cast<int>(y.size()),
                       network_color(static_cast<int>(n), v), line_width(v) * 0.75f);
        drawn = true;
      }
      if (!drawn) plot::PlotMessage(c < 2 ? "no normalization in this layer" : "no BatchNorm in this layer");
      plot::EndPlot();
    }
  }
}

}  // namespace bnlab
