// panel_affine.cpp — what normalization learned and what BN will evaluate with, per unit.
//
// [SECTION] Columns
// [SECTION] The panel
//
// Rows are layers. Left: γ and β of every hidden unit. Right: BN's running mean and (unbiased)
// running variance — the statistics evaluation uses instead of the batch's (Algorithm 2) — drawn
// against the same unit's batch statistics on the probe set, measured in the latest snapshot
// (LayerStats::unit_mean/unit_var, unbiased like running_var), units sorted by the batch value
// (sort_by_batch says why). Where the two lines part, eval mode
// normalizes with numbers the current weights no longer produce: the running averages lag when
// bn.momentum is small or the weights move fast.

#include "ui/panel_common.h"

namespace bnlab {

namespace {

// [SECTION] Columns

struct Column {
  const char* title;
  const char* title_short;  // for narrow plots
  const char* y_label;
  std::vector<float> UnitParams::*unit;  // the parameter, or the running statistic
  std::vector<float> LayerStats::*batch; // the probe batch's statistic beside it; null for γ, β
};
constexpr Column kColumns[] = {
    {"γ (scale)", "γ", "γ", &UnitParams::gamma, nullptr},
    {"β (shift)", "β", "β", &UnitParams::beta, nullptr},
    {"mean: running vs batch", "mean", "E[x]", &UnitParams::running_mean, &LayerStats::unit_mean},
    {"var: running vs batch", "var", "Var[x]", &UnitParams::running_var, &LayerStats::unit_var},
};

// [SECTION] The panel

// Unit indices 0 … n−1 as the x of a per-unit line.
const double* unit_xs(size_t n, std::vector<double>* xs) {
  xs->resize(n);
  for (size_t i = 0; i < n; ++i) (*xs)[i] = static_cast<double>(i);
  return xs->data();
}

// The running statistic and the batch's, units reordered by the batch value: the batch line then
// rises smoothly and the running one follows it where BN's averages are current, so a gap reads
// at once (100 units in their own order would be two jagged lines on top of each other).
void sort_by_batch(const std::vector<float>& running, const std::vector<float>& batch, std::vector<float>* r,
                   std::vector<float>* b) {
  std::vector<size_t> order(batch.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return batch[x] < batch[y]; });
  r->clear();
  b->clear();
  for (size_t i : order) {
    r->push_back(running[i]);
    b->push_back(batch[i]);
  }
}

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
  network_legend_row(s, v,
                     "γ, β: per unit. Running vs batch: units sorted by their batch value on the probe set (wide light "
                     "line); the thin line is BN's running statistic of the same unit, which eval mode uses. Apart = "
                     "eval normalizes with stale numbers.");
  int layers = 0;
  for (const auto& n : nets) layers = std::max(layers, static_cast<int>(n.units.size()));
  const ImVec2 cell = grid_cell(4, layers, 150);
  for (int l = 0; l < layers; ++l) {
    for (int c = 0; c < 4; ++c) {
      if (c) ImGui::SameLine();
      const Column& col = kColumns[c];
      const std::string layer = "layer " + std::to_string(l + 1) + ": ";
      const std::string title = layer + col.title, title_short = layer + col.title_short;
      plot::Spec spec;
      spec.title = title.c_str();
      spec.title_short = title_short.c_str();
      spec.x_label = col.batch ? "unit, sorted by batch value" : "unit";
      spec.y_label = col.y_label;
      spec.x_is_step = false;
      spec.legend = plot::Legend::Off;  // the row above names the networks and the lines
      if (!plot::BeginPlot(("##affine" + std::to_string(l) + "_" + std::to_string(c)).c_str(), spec, cell)) continue;
      // Alive until EndPlot, per network: unit indices, item labels, the reordered values.
      std::vector<std::vector<double>> xs(nets.size());
      std::vector<std::string> labels(2 * nets.size());
      std::vector<std::vector<float>> running(nets.size()), batch(nets.size());
      bool drawn = false;
      for (size_t n = 0; n < nets.size(); ++n) {
        if (l >= static_cast<int>(nets[n].units.size())) continue;
        const std::vector<float>& y = nets[n].units[l].*col.unit;
        if (y.empty()) continue;
        const int net = static_cast<int>(n), count = static_cast<int>(y.size());
        const std::string& name = s.active.networks[n].name;
        const double* x = unit_xs(y.size(), &xs[n]);
        drawn = true;
        const auto& latest = nets[n].latest.layers;
        if (!col.batch || l >= static_cast<int>(latest.size()) || (latest[l].*col.batch).size() != y.size()) {
          plot::PlotLine(name.c_str(), x, y.data(), count, network_color(net, v), line_width(v) * 0.75f);
          continue;
        }
        labels[2 * n] = name + ": batch (probe)";
        labels[2 * n + 1] = name + ": running";
        sort_by_batch(y, latest[l].*col.batch, &running[n], &batch[n]);
        plot::PlotLine(labels[2 * n].c_str(), x, batch[n].data(), count, network_color(net, v, 0.35f), line_width(v) * 2.5f);
        plot::PlotLine(labels[2 * n + 1].c_str(), x, running[n].data(), count, network_color(net, v), line_width(v) * 0.6f);
      }
      if (!drawn) plot::PlotMessage(col.batch ? "no BatchNorm in this layer" : "no normalization in this layer");
      plot::EndPlot();
    }
  }
}

}  // namespace bnlab
