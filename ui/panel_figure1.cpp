// panel_figure1.cpp — the default view: Ioffe & Szegedy 2015, Figure 1, live.
//
// Top: (a) test accuracy and the train loss of every network, overlaid. Middle: (b, c) the
// 15/50/85th percentiles of the input to the typical sigmoid of the last hidden layer, one plot
// per network on a shared scale, so the baseline's drift and BN's steadiness are seen side by
// side. Bottom: the current distribution of that layer's nonlinearity input, with the region
// where the activation saturates shaded.

#include <cmath>
#include <vector>

#include "ui/panel_common.h"

namespace bnlab {

namespace {

// Exponential smoothing of the train loss, per step: a bucket standing for k steps weighs as k
// steps would. (buckets)
std::vector<float> smoothed(const Series& s, float smoothing) {
  std::vector<float> out(s.size(), kNaN);
  double avg = 0;
  bool started = false;
  const double keep_one = smoothing;
  const double keep_bucket = std::pow(keep_one, static_cast<double>(s.stride()));
  for (int i = 0; i < s.size(); ++i) {
    const float y = s.mean()[i];
    if (!std::isfinite(y)) continue;
    const double keep = i + 1 == s.size() ? keep_one : keep_bucket;
    avg = started ? keep * avg + (1 - keep) * y : y;
    started = true;
    out[i] = static_cast<float>(avg);
  }
  return out;
}

void accuracy_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  plot::Spec spec;
  spec.title = "Test accuracy (eval mode)";
  spec.x_label = "training step";
  spec.y_label = "accuracy";
  spec.legend = plot::Legend::BottomRight;
  if (!plot::BeginPlot("##fig1_acc", spec, size)) return;
  const auto& nets = s.history.networks();
  for (size_t n = 0; n < nets.size(); ++n)
    plot_series(s.active.networks[n].name.c_str(), nets[n].test_acc, network_color(static_cast<int>(n), v), line_width(v));
  plot_divergence_markers(s, v);
  if (nets.empty() || nets[0].test_acc.empty()) plot::PlotMessage("waiting for the first evaluation");
  plot::EndPlot();
}

void loss_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  plot::Spec spec;
  spec.title = "Train loss (shaded: range of the raw loss, line: smoothed)";
  spec.x_label = "training step";
  spec.y_label = "cross-entropy (log scale)";
  spec.y_log = true;
  if (!plot::BeginPlot("##fig1_loss", spec, size)) return;
  const auto& nets = s.history.networks();
  std::vector<std::vector<float>> smooth;  // (networks, buckets); alive until EndPlot
  for (size_t n = 0; n < nets.size(); ++n) {
    const Series& l = nets[n].train_loss;
    const int net = static_cast<int>(n);
    plot::PlotBand("##range", l.x(), l.lo(), l.hi(), l.size(), network_color(net, v, 0.25f));
    smooth.push_back(v.loss_smoothing > 0 ? smoothed(l, v.loss_smoothing) : std::vector<float>());
  }
  for (size_t n = 0; n < nets.size(); ++n) {
    const Series& l = nets[n].train_loss;
    const char* name = s.active.networks[n].name.c_str();
    if (!smooth[n].empty()) plot::PlotLine(name, l.x(), smooth[n].data(), l.size(), network_color(static_cast<int>(n), v), line_width(v));
    else plot_series(name, l, network_color(static_cast<int>(n), v), line_width(v));
  }
  plot_divergence_markers(s, v);
  if (nets.empty() || nets[0].train_loss.empty()) plot::PlotMessage("press Space to train");
  plot::EndPlot();
}

void unit_plot(const LabState& s, const ViewOptions& v, int net, ImVec2 size, double y0, double y1) {
  const NetworkConfig& cfg = s.active.networks[net];
  const int last = static_cast<int>(cfg.model.hidden.size()) - 1;
  const std::string title = cfg.name + ": input to " + to_string(cfg.model.activation) + " unit " +
                            std::to_string(s.active.stats.typical_unit) + " of the last hidden layer" +
                            (cfg.model.norm[last] == Norm::Batch ? " (after BN)" : cfg.model.norm[last] == Norm::Layer ? " (after LN)" : "");
  plot::Spec spec;
  spec.title = title.c_str();
  spec.x_label = "training step";
  spec.y_label = "percentiles of the input";
  spec.y_min = y0;
  spec.y_max = y1;
  if (!plot::BeginPlot(("##fig1_unit" + std::to_string(net)).c_str(), spec, size)) return;
  const NetworkHistory& h = s.history.networks()[net];
  plot_percentile_bands(h.layers[last].unit_pct, network_color(net, v), v);
  plot_divergence_markers(s, v);
  plot::EndPlot();
}

void histogram_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  const auto& nets = s.history.networks();
  const NetworkConfig& first = s.active.networks[0];
  const int last = static_cast<int>(first.model.hidden.size()) - 1;
  const std::string title = std::string("Now: distribution of the ") + to_string(first.model.activation) +
                            " input in the last hidden layer (all units, probe set)";
  plot::Spec spec;
  spec.title = title.c_str();
  spec.x_label = "nonlinearity input";
  spec.y_label = "share of values";
  spec.x_is_step = false;
  if (!plot::BeginPlot("##fig1_hist", spec, size)) return;
  plot_saturating_regions(first.model.activation, kTapNonlinIn);
  std::vector<std::vector<float>> shares(nets.size());  // (networks, bins); alive until EndPlot
  for (size_t n = 0; n < nets.size(); ++n) {
    if (nets[n].latest.layers.size() <= static_cast<size_t>(last)) continue;
    const std::string label = s.active.networks[n].name + (nets[n].diverged_at >= 0 ? " (diverged)" : "");
    plot_histogram(label.c_str(), nets[n].latest.layers[last].hist[kTapNonlinIn], network_color(static_cast<int>(n), v),
                   &shares[n], static_cast<int>(n), static_cast<int>(nets.size()));
  }
  plot::EndPlot();
}

}  // namespace

void panel_figure1(const LabState& s, const ViewOptions& v) {
  const int nets = static_cast<int>(s.history.networks().size());
  if (nets == 0 || s.active.networks.empty()) return;
  const float total = ImGui::GetContentRegionAvail().y;
  const float sp = ImGui::GetStyle().ItemSpacing.y;
  const float row = std::floor((total - 2 * sp) / 3);

  ImVec2 cell = grid_cell(2, 1, 100);
  cell.y = row;
  accuracy_plot(s, v, cell);
  ImGui::SameLine();
  loss_plot(s, v, cell);

  const int last = static_cast<int>(s.active.networks[0].model.hidden.size()) - 1;
  double y0, y1;
  shared_percentile_range(s, last, /*unit=*/true, &y0, &y1);
  cell = grid_cell(nets, 1, 100);
  cell.y = row;
  for (int n = 0; n < nets; ++n) {
    if (n) ImGui::SameLine();
    unit_plot(s, v, n, cell, y0, y1);
  }
  histogram_plot(s, v, ImVec2(ImGui::GetContentRegionAvail().x, row));
}

}  // namespace bnlab
