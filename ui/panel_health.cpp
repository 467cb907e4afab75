// panel_health.cpp — how each layer fares over training: saturation (%), gradient norm ‖∂ℓ/∂W‖
// (log scale) and the update-to-weight ratio log10(‖ΔW‖/‖W‖) (about −3 is the classic healthy
// value). Rows are metrics, columns layers (for deep networks the other way round); networks
// overlaid.

#include <cmath>

#include "ui/panel_common.h"

namespace bnlab {

namespace {

enum Metric { kSaturation, kGradNorm, kUpdateRatio, kMetricCount };
constexpr const char* kTitles[] = {"saturation (%)", "gradient norm", "update/weight ratio"};
constexpr const char* kYLabels[] = {"saturated (%)", "‖∂ℓ/∂W‖", "log10 ratio"};
constexpr const char* kYLabelsShort[] = {"%", "‖∂ℓ/∂W‖", "log10"};

// A metric's series transformed for display: percent, raw, log10. (buckets)
std::vector<float> metric_values(const LayerHistory& h, int metric) {
  const Series& s = metric == kSaturation ? h.saturation : metric == kGradNorm ? h.grad_norm : h.update_ratio;
  std::vector<float> out(s.mean(), s.mean() + s.size());
  for (float& y : out) {
    if (metric == kSaturation) y *= 100.f;
    if (metric == kUpdateRatio) y = y > 0 ? std::log10(y) : kNaN;
  }
  return out;
}

}  // namespace

void panel_health(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  const Activation act = s.active.networks[0].model.activation;
  const std::string note = std::string("Saturation: ") + saturation_definition(act) +
                           ". Update ratio: about −3 is the classic healthy value.";
  network_legend_row(s, v, note.c_str());
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  // Layers as columns while each plot keeps a readable width; deeper networks (lesson 13's ten
  // layers) get a row per layer instead, metrics as columns, and the view scrolls.
  const bool by_row = grid_cell(layers, kMetricCount, 150).x < ImGui::GetFontSize() * 12;
  // A row keeps room for its plots under titles and axis labels at any text size (presentation mode).
  const ImVec2 cell = by_row ? grid_cell(kMetricCount, std::min(layers, 3), ImGui::GetFontSize() * 12)
                             : grid_cell(layers, kMetricCount, 150);
  auto draw = [&](int m, int l) {
    const std::string title = "layer " + std::to_string(l + 1) + ": " + kTitles[m];
    plot::Spec spec;
    spec.title = title.c_str();
    spec.x_label = "training step";
    spec.y_label = kYLabels[m];
    spec.y_label_short = kYLabelsShort[m];
    spec.y_log = m == kGradNorm;
    if (m == kSaturation) spec.y_min = 0;
    spec.legend = plot::Legend::Off;  // the row above names the networks
    if (!plot::BeginPlot(("##health" + std::to_string(m) + "_" + std::to_string(l)).c_str(), spec, cell)) return;
    std::vector<std::vector<float>> values(nets.size());  // (networks, buckets); alive until EndPlot
    for (size_t n = 0; n < nets.size(); ++n) {
      if (l >= static_cast<int>(nets[n].layers.size())) continue;
      values[n] = metric_values(nets[n].layers[l], m);
      const Series& x = nets[n].layers[l].saturation;  // every metric is measured at the same steps
      plot::PlotLine(s.active.networks[n].name.c_str(), x.x(), values[n].data(), static_cast<int>(values[n].size()),
                     network_color(s, static_cast<int>(n), v), line_width(v));
    }
    plot_event_markers(s, v);
    plot::EndPlot();
  };
  const int rows = by_row ? layers : kMetricCount, cols = by_row ? kMetricCount : layers;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      if (c) ImGui::SameLine();
      if (by_row) draw(c, r);
      else draw(r, c);
    }
}

}  // namespace bnlab
