// panel_figure1.cpp — the default view: Ioffe & Szegedy 2015, Figure 1, live.
//
// Top: (a) test accuracy and the train loss of every network, overlaid. Middle: (b, c) the
// 15/50/85th percentiles of the input to the typical sigmoid of the last hidden layer, one plot
// per network on a shared scale, so the baseline's drift and BN's steadiness are seen side by
// side. Bottom: the current distribution of that layer's nonlinearity input, with the region
// where the activation saturates shaded.
//
// Above them, the x-axis choice: the whole run, or the early phase (the first kEarlyPhaseSteps),
// where BN's lead is widest and which a whole-run axis squeezes into a sliver at the left edge;
// and the networks' names in their colours, the one legend of every plot: legends inside plots
// this short would cover the data, and clip with three networks or more.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/speedup.h"
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

// The x axis of the plots over steps: fitted to the whole run, or fixed to the early phase.
void set_x_axis(plot::Spec* spec, const ViewOptions& v) {
  spec->x_label = v.early_phase ? "training step (the first 2,000)" : "training step";
  if (!v.early_phase) return;
  spec->x_min = 0;
  spec->x_max = static_cast<double>(kEarlyPhaseSteps);
}

// The pairs where one network reached another's final (so far) test accuracy sooner: what the
// readout says and the accuracy plot marks (core/speedup.h).
std::vector<PairSpeedup> faster_pairs(const LabState& s) {
  std::vector<PairSpeedup> out;
  for (const PairSpeedup& p : all_speedups(s.history, s.chance))
    if (p.reference == 0 && p.s.reached() && p.s.factor > 1 && p.other < static_cast<int>(s.active.networks.size()))
      out.push_back(p);
  std::sort(out.begin(), out.end(), [](const PairSpeedup& a, const PairSpeedup& b) { return a.s.step < b.s.step; });
  return out;
}

void accuracy_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  plot::Spec spec;
  spec.title = v.train_accuracy ? "Test accuracy, train accuracy pale (eval mode)" : "Test accuracy (eval mode)";
  set_x_axis(&spec, v);
  spec.y_label = "accuracy";
  spec.y_label_short = "acc.";
  spec.y_min = 0;  // the whole scale (it spans about 0.1 to 0.96 anyway), ticks at 0, 0.5, 1
  spec.y_max = 1;
  spec.legend = plot::Legend::Off;
  if (!plot::BeginPlot("##fig1_acc", spec, size)) return;
  const auto& nets = s.history.networks();
  if (v.train_accuracy)
    for (size_t n = 0; n < nets.size(); ++n) {
      const std::string label = s.active.networks[n].name + " (train)";
      plot_series(label.c_str(), nets[n].train_acc, network_color(s, static_cast<int>(n), v, 0.4f), line_width(v));
    }
  for (size_t n = 0; n < nets.size(); ++n)
    plot_series(s.active.networks[n].name.c_str(), nets[n].test_acc, network_color(s, static_cast<int>(n), v), line_width(v));
  for (const PairSpeedup& p : faster_pairs(s)) {
    char caption[96];
    std::snprintf(caption, sizeof caption, "%.1f×", p.s.factor);
    plot::PlotMarkerX(caption, static_cast<double>(p.s.step), network_color(s, p.other, v));
  }
  plot_event_markers(s, v);
  if (nets.empty() || nets[0].test_acc.empty()) plot::PlotMessage("waiting for the first evaluation");
  plot::EndPlot();
}

// The range of the raw train loss over the early phase, padded for a log axis: the plot would
// otherwise fit the whole run's losses, down to the small ones of much later steps.
void early_loss_range(const LabState& s, double* lo, double* hi) {
  *lo = INFINITY;
  *hi = 0;
  for (const NetworkHistory& n : s.history.networks()) {
    const Series& l = n.train_loss;
    for (int i = 0; i < l.size() && l.x()[i] <= static_cast<double>(kEarlyPhaseSteps); ++i) {
      if (std::isfinite(l.lo()[i]) && l.lo()[i] > 0) *lo = std::min(*lo, static_cast<double>(l.lo()[i]));
      if (std::isfinite(l.hi()[i])) *hi = std::max(*hi, static_cast<double>(l.hi()[i]));
    }
  }
  if (!(*hi > *lo)) {
    *lo = *hi = plot::kAuto;
    return;
  }
  *lo /= 1.25;
  *hi *= 1.25;
}

void loss_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  plot::Spec spec;
  spec.title = "Train loss (shaded: range of the raw loss, line: smoothed)";
  spec.title_short = "Train loss (shaded: raw range)";
  set_x_axis(&spec, v);
  spec.y_label = "loss";  // the decade ticks say it is a log scale
  spec.y_log = true;
  spec.legend = plot::Legend::Off;
  if (v.early_phase) early_loss_range(s, &spec.y_min, &spec.y_max);
  if (!plot::BeginPlot("##fig1_loss", spec, size)) return;
  const auto& nets = s.history.networks();
  std::vector<std::vector<float>> smooth;  // (networks, buckets); alive until EndPlot
  for (size_t n = 0; n < nets.size(); ++n) {
    const Series& l = nets[n].train_loss;
    const int net = static_cast<int>(n);
    plot::PlotBand("##range", l.x(), l.lo(), l.hi(), l.size(), network_color(s, net, v, 0.25f));
    smooth.push_back(v.loss_smoothing > 0 ? smoothed(l, v.loss_smoothing) : std::vector<float>());
  }
  for (size_t n = 0; n < nets.size(); ++n) {
    const Series& l = nets[n].train_loss;
    const char* name = s.active.networks[n].name.c_str();
    if (!smooth[n].empty()) plot::PlotLine(name, l.x(), smooth[n].data(), l.size(), network_color(s, static_cast<int>(n), v), line_width(v));
    else plot_series(name, l, network_color(s, static_cast<int>(n), v), line_width(v));
  }
  plot_event_markers(s, v);
  if (nets.empty() || nets[0].train_loss.empty()) plot::PlotMessage("press Space to train");
  plot::EndPlot();
}

// What the percentile plots below it show, said once for all of them (they need no legends,
// which would cover the bands in plots this short).
std::string unit_caption(const LabState& s, bool shared_scale) {
  const NetworkConfig& cfg = s.active.networks[0];
  return "Input to " + std::string(to_string(cfg.model.activation)) + " unit " +
         std::to_string(s.active.stats.typical_unit) +
         " of the last hidden layer (Figure 1b, c) — line: median; dark band: 15th–85th, light band: 2nd–98th "
         "percentile" + (shared_scale ? "" : "; each network on its own y scale");
}

void unit_plot(const LabState& s, const ViewOptions& v, int net, ImVec2 size, double y0, double y1) {
  const NetworkConfig& cfg = s.active.networks[net];
  const int last = static_cast<int>(cfg.model.hidden.size()) - 1;
  // A normalization switched on (or off) mid-run is not claimed for the whole run.
  const int64_t since = s.history.networks()[net].norm_since;
  const char* norm = cfg.model.norm[last] == Norm::None ? nullptr : norm_short(cfg.model.norm[last]);
  const std::string title = cfg.name + (since > 0 ? std::string(" (") + (norm ? norm : "no norm") + " from step " + with_thousands(since) + ")"
                                        : norm ? std::string(" (after ") + norm + ")" : std::string(" (no norm)"));
  plot::Spec spec;
  spec.title = title.c_str();
  spec.title_short = cfg.name.c_str();  // six networks side by side in presentation mode
  set_x_axis(&spec, v);
  spec.y_label = "input";
  spec.y_min = y0;
  spec.y_max = y1;
  spec.legend = plot::Legend::Off;
  if (!plot::BeginPlot(("##fig1_unit" + std::to_string(net)).c_str(), spec, size)) return;
  const NetworkHistory& h = s.history.networks()[net];
  plot_percentile_bands(h.layers[last].unit_pct, network_color(s, net, v), v);
  plot_event_markers(s, v, net);
  if (h.diverged_at >= 0 && h.layers[last].unit_pct[0].size() < 2)  // nothing to see but why (the step: above)
    plot::PlotMessage("diverged");
  plot::EndPlot();
}

void histogram_plot(const LabState& s, const ViewOptions& v, ImVec2 size) {
  const auto& nets = s.history.networks();
  const NetworkConfig& first = s.active.networks[0];
  const int last = static_cast<int>(first.model.hidden.size()) - 1;
  std::string title = std::string("Now: distribution of the ") + to_string(first.model.activation) +
                      " input in the last hidden layer (all units, probe set)";
  double span[4];
  if (saturating_spans(first.model.activation, kTapNonlinIn, span)) {
    char note[64];
    std::snprintf(note, sizeof note, " — shaded: it saturates (|x| > %.2g)", span[2]);
    title += note;
  }
  const std::string title_short = std::string("Now: ") + to_string(first.model.activation) + " input, last hidden layer";
  plot::Spec spec;
  spec.title = title.c_str();
  spec.title_short = title_short.c_str();
  spec.x_label = "nonlinearity input";
  spec.y_label = "share";
  spec.x_is_step = false;
  spec.legend = plot::Legend::Off;
  if (!plot::BeginPlot("##fig1_hist", spec, size)) return;
  plot_saturating_regions(first.model.activation, kTapNonlinIn);
  // Side-by-side bars read well for a pair of twins; past three networks they become a comb, and
  // step outlines (as in the Histograms tab) keep each network's shape apart.
  const bool bars = nets.size() <= 3;
  std::vector<std::vector<float>> shares(nets.size());  // (networks, bins or 2·bins); alive until EndPlot
  std::vector<std::vector<double>> xs(nets.size());     // (networks, 2·bins) outline corners
  for (size_t n = 0; n < nets.size(); ++n) {
    if (nets[n].latest.layers.size() <= static_cast<size_t>(last)) continue;
    const std::string label = s.active.networks[n].name + (nets[n].diverged_at >= 0 ? " (diverged)" : "");
    const Histogram& h = nets[n].latest.layers[last].hist[kTapNonlinIn];
    const ImU32 color = network_color(s, static_cast<int>(n), v);
    if (bars) plot_histogram(label.c_str(), h, color, &shares[n], static_cast<int>(n), static_cast<int>(nets.size()));
    else plot_histogram_outline(label.c_str(), h, color, line_width(v), &xs[n], &shares[n]);
  }
  plot::EndPlot();
}

}  // namespace

void figure1_toolbar(const LabState& s, ViewOptions& v) {
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("steps shown:");
  static_assert(kEarlyPhaseSteps == 2000, "the labels say 2,000");
  same_line_if_fits(toggle_width("whole run"));
  if (ImGui::RadioButton("whole run", !v.early_phase)) v.early_phase = false;
  tip("The plots over training span every step so far.");
  same_line_if_fits(toggle_width("first 2,000 steps"));
  if (ImGui::RadioButton("first 2,000 steps", v.early_phase)) v.early_phase = true;
  tip("The plots over training span steps 0 to 2,000: the early phase, where BN's lead is widest (the paper's "
      "Figure 1a: about 0.9 test accuracy against 0.75–0.8 around step 500), which a whole-run axis squeezes "
      "against the left edge. Test accuracy is measured more often there.");
  same_line_if_fits(toggle_width("train accuracy"));
  ImGui::Checkbox("train accuracy", &v.train_accuracy);
  tip("Also plot each network's accuracy on a fixed subset of the training set (pale), measured at the same steps "
      "as test accuracy: the gap between the two is the generalization gap.");
  same_line_if_fits(ImGui::CalcTextSize(("■ " + s.active.networks.at(0).name).c_str()).x, ImGui::GetFontSize() * 2);
  network_legend_row(s, v);
  // The paper's "14 times fewer steps", live (core/speedup.h defines it).
  for (const ReadoutLine& line : speedup_readout(s)) {
    ImGui::TextWrapped("%s", line.text.c_str());
    tip(line.tip.c_str());
  }
}

std::vector<ReadoutLine> speedup_readout(const LabState& s) {
  std::vector<ReadoutLine> out;
  char text[256], tip[512];
  // One line against the first network (the lesson's baseline), the others in the order they got
  // there: with six networks, every pair would be thirty lines.
  const std::vector<PairSpeedup> pairs = faster_pairs(s);
  if (!pairs.empty()) {
    const PairSpeedup& first = pairs[0];
    const std::string reference = s.active.networks[0].name;
    std::string line;
    if (pairs.size() == 1) {
      std::snprintf(text, sizeof text, "%s reached %s's final test accuracy %.3f at step %s: %.1f× fewer steps",
                    s.active.networks[first.other].name.c_str(), reference.c_str(), first.s.target,
                    with_thousands(first.s.step).c_str(), first.s.factor);
      line = text;
    } else {
      std::snprintf(text, sizeof text, "%s's final test accuracy %.3f reached by ", reference.c_str(), first.s.target);
      line = text;
      for (size_t k = 0; k < pairs.size(); ++k) {
        std::snprintf(text, sizeof text, "%s%s at step %s (%.1f× fewer steps)", k ? ", " : "",
                      s.active.networks[pairs[k].other].name.c_str(), with_thousands(pairs[k].s.step).c_str(),
                      pairs[k].s.factor);
        line += text;
      }
    }
    std::snprintf(tip, sizeof tip,
                  "Test accuracy smoothed as the mean of the last %d evaluations; the target is %s's latest smoothed "
                  "value, first reached by it at step %s. The marks on the accuracy plot are where the others got there. "
                  "Only pairs with the first network are shown; `bnlab run` writes every pair to speedup.csv.",
                  kSpeedupWindow, reference.c_str(), with_thousands(first.s.reference_step).c_str());
    out.push_back({line, tip});
  }
  // The networks that have not beaten chance while another has: a factor against them would
  // measure nothing (any network that learns "reaches" a chance-level accuracy at its first
  // evaluation), so the readout says so instead. While every network is still at chance (the
  // first evaluations) nothing is said.
  const int nets = static_cast<int>(s.active.networks.size());
  std::vector<bool> at_chance(nets, false), learned(nets, false);
  std::vector<double> acc(nets, 0);
  for (const PairSpeedup& p : all_speedups(s.history, s.chance)) {
    if (p.reference >= nets || !std::isfinite(p.s.target)) continue;
    (p.s.at_chance ? at_chance : learned)[p.reference] = true;
    acc[p.reference] = p.s.target;
  }
  if (std::find(learned.begin(), learned.end(), true) == learned.end()) return out;
  for (int n = 0; n < nets; ++n) {
    if (!at_chance[n]) continue;
    std::snprintf(text, sizeof text, "%s has not beaten chance (%.2f%%; chance %.2f%%): no speed-up to measure",
                  s.active.networks[n].name.c_str(), 100 * acc[n], 100 * s.chance.accuracy);
    std::snprintf(tip, sizeof tip,
                  "Its test accuracy (the mean of the last %d evaluations) is within %.0f standard errors of answering "
                  "the test set's most frequent class every time (%.2f%% of %s examples), which needs no learning. Any "
                  "network that learns reaches that at once, so no factor is shown.",
                  kSpeedupWindow, kChanceMargin, 100 * s.chance.accuracy, with_thousands(s.chance.examples).c_str());
    out.push_back({text, tip});
  }
  return out;
}

void panel_figure1(const LabState& s, const ViewOptions& v) {
  const int nets = static_cast<int>(s.history.networks().size());
  if (nets == 0 || s.active.networks.empty()) return;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float sp = ImGui::GetStyle().ItemSpacing.y;
  const int last = static_cast<int>(s.active.networks[0].model.hidden.size()) - 1;
  const PercentileRanges ranges = percentile_ranges(s, last, /*unit=*/true, v.y_scale);
  const std::string caption = unit_caption(s, ranges.shared);
  const float caption_h = ImGui::CalcTextSize(caption.c_str(), nullptr, false, avail.x).y;
  // Three rows of plots share the height; below a readable minimum (large text beside the
  // lesson's text) they keep it and the tab scrolls.
  const float row = std::max(std::floor((avail.y - 3 * sp - caption_h) / 3), ImGui::GetFontSize() * 5.5f);

  ImVec2 cell = grid_cell(2, 1, 100);
  cell.y = row;
  accuracy_plot(s, v, cell);
  ImGui::SameLine();
  loss_plot(s, v, cell);

  ImGui::TextWrapped("%s", caption.c_str());
  cell = grid_cell(nets, 1, 100);
  cell.y = row;
  for (int n = 0; n < nets; ++n) {
    if (n) ImGui::SameLine();
    unit_plot(s, v, n, cell, ranges.y[n].first, ranges.y[n].second);
  }
  histogram_plot(s, v, ImVec2(ImGui::GetContentRegionAvail().x, row));
}

}  // namespace bnlab
