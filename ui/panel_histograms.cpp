// panel_histograms.cpp — the latest snapshot's histograms of the three taps of every layer: the
// pre-normalization input x, the nonlinearity's input (after BN and γ/β) and the activation's
// output; networks overlaid, the activation's saturating regions shaded.

#include <cstdio>

#include "ui/panel_common.h"

namespace bnlab {

namespace {

// A tap's title, and its short form for narrow plots.
const char* tap_title(int tap, bool short_form) {
  switch (tap) {
    case kTapPreNorm: return short_form ? "x, before norm." : "x = Wu (+b), before normalization";
    case kTapNonlinIn: return short_form ? "nonlinearity input" : "nonlinearity input (after BN, γ, β)";
    default: return short_form ? "output" : "activation output";
  }
}

}  // namespace

void panel_histograms(const LabState& s, const ViewOptions& v) {
  const auto& nets = s.history.networks();
  if (nets.empty()) return;
  std::string notes;
  for (size_t n = 0; n < nets.size(); ++n) {
    const std::string d = divergence_note(s, static_cast<int>(n));
    if (!d.empty()) notes += "   " + s.active.networks[n].name + " " + d;
  }
  char note[512];
  std::snprintf(note, sizeof note, "Share of the probe set's values per bin at step %lld; red: where the activation saturates.%s",
                static_cast<long long>(nets[0].latest_step), notes.c_str());
  network_legend_row(s, v, note);
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.layers.size()));
  const ImVec2 cell = grid_cell(kTapCount, layers, 150);
  const Activation act = s.active.networks[0].model.activation;
  for (int l = 0; l < layers; ++l) {
    for (int t = 0; t < kTapCount; ++t) {
      if (t) ImGui::SameLine();
      const std::string layer = "layer " + std::to_string(l + 1) + ": ";
      const std::string title = layer + tap_title(t, false), title_short = layer + tap_title(t, true);
      plot::Spec spec;
      spec.title = title.c_str();
      spec.title_short = title_short.c_str();
      spec.x_label = t == kTapOutput ? "activation" : "value";
      spec.y_label = "share";
      spec.x_is_step = false;
      spec.y_min = 0;
      spec.legend = plot::Legend::Off;  // the row above names the networks
      if (!plot::BeginPlot(("##hist" + std::to_string(l) + "_" + std::to_string(t)).c_str(), spec, cell)) continue;
      plot_saturating_regions(act, t);
      // Outlines, not bars: two networks' bars side by side in a plot this small are slivers
      // thinner than a pixel, and outlines overlay without hiding each other.
      std::vector<std::vector<double>> xs(nets.size());     // (networks, 2 × bins); alive until EndPlot
      std::vector<std::vector<float>> shares(nets.size());
      for (size_t n = 0; n < nets.size(); ++n) {
        if (l >= static_cast<int>(nets[n].latest.layers.size())) continue;
        plot_histogram_outline(s.active.networks[n].name.c_str(), nets[n].latest.layers[l].hist[t],
                               network_color(s, static_cast<int>(n), v), line_width(v), &xs[n], &shares[n]);
      }
      plot::EndPlot();
    }
  }
}

}  // namespace bnlab
