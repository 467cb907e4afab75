// figure_kinds.cpp — one function per figure kind, turning a run into panels of series (figure.h).
//
// [SECTION] Series from snapshots
// [SECTION] paper-fig1
// [SECTION] overview and lr-sweep
// [SECTION] generalization (lesson 14)
// [SECTION] saturation
// [SECTION] histograms
// [SECTION] ics and landscape (Santurkar et al. 2018)
// [SECTION] Dispatch

#include <algorithm>
#include <cstdio>

#include "core/speedup.h"
#include "ui/figure.h"
#include "ui/lab_view.h"
#include "ui/panel_common.h"

namespace bnlab {

namespace {

// [SECTION] Series from snapshots

ImU32 color_of(int net, float alpha = 1.f) { return network_color(net, ViewOptions{}, alpha); }

// `c` mixed with white: t = 0 gives c, t = 1 white. Earlier steps of a histogram are paler.
ImU32 paler(ImU32 c, float t) {
  ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
  v.x += (1 - v.x) * t;
  v.y += (1 - v.y) * t;
  v.z += (1 - v.z) * t;
  return ImGui::ColorConvertFloat4ToU32(v);
}

std::string panel_id(size_t i) {
  std::string id;
  for (size_t k = i + 1; k > 0; k = (k - 1) / 26) id.insert(id.begin(), static_cast<char>('a' + (k - 1) % 26));
  return id;
}

std::string step_text(int64_t step) {
  char buf[32];
  if (step >= 1000 && step % 1000 == 0) std::snprintf(buf, sizeof buf, "%lldk", static_cast<long long>(step / 1000));
  else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(step));
  return buf;
}

bool has_norm(const NetworkConfig& n, Norm norm) {
  return std::find(n.model.norm.begin(), n.model.norm.end(), norm) != n.model.norm.end();
}

// A network's description for captions: "bn (BN, lr 2.5)".
std::string net_text(const NetworkConfig& n) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "lr %g", n.optim.lr);
  const char* norm = has_norm(n, Norm::Batch) ? "BN" : has_norm(n, Norm::Layer) ? "LayerNorm" : "no normalization";
  return n.name + " (" + norm + ", " + lr + ")";
}

// One value of network `net` at every record (a snapshot, or a meter measurement) that `keep`
// accepts, as a line.
template <typename Records, typename Value, typename Keep>
FigureSeries line_over(const FigureRun& r, const Records& records, int net, const std::string& name,
                       const std::string& label, ImU32 color, Value value, Keep keep) {
  FigureSeries s;
  s.network = r.cfg.networks[net].name;
  s.name = name;
  s.label = label;
  s.color = color;
  for (const auto& record : records) {
    const auto& n = record.networks[net];
    if (!keep(n)) continue;
    s.x.push_back(static_cast<double>(record.step));
    s.y.push_back(value(n));
  }
  return s;
}

// One value of network `net` at every snapshot `keep` accepts, as a line.
template <typename Value, typename Keep>
FigureSeries over_steps(const FigureRun& r, int net, const std::string& name, const std::string& label, ImU32 color,
                        Value value, Keep keep) {
  return line_over(r, r.snapshots, net, name, label, color, value, keep);
}

FigureSeries test_accuracy(const FigureRun& r, int net) {
  return over_steps(r, net, "test_acc", r.cfg.networks[net].name, color_of(net),
                    [](const NetworkStats& n) { return n.test_acc; }, [](const NetworkStats& n) { return n.has_eval; });
}

FigureSeries train_accuracy(const FigureRun& r, int net) {
  return over_steps(r, net, "train_acc", r.cfg.networks[net].name, color_of(net),
                    [](const NetworkStats& n) { return n.train_acc; }, [](const NetworkStats& n) { return n.has_eval; });
}

// The mean mini-batch loss over each interval between snapshots (metrics.csv's train_loss_mean):
// smooth enough to read, and no step left out.
FigureSeries train_loss(const FigureRun& r, int net) {
  FigureSeries s;
  s.network = r.cfg.networks[net].name;
  s.name = "train_loss_mean";
  s.label = s.network;
  s.color = color_of(net);
  const size_t nets = r.cfg.networks.size();
  for (size_t k = 1; k < r.snapshots.size(); ++k) {
    const int64_t from = r.snapshots[k - 1].step, to = r.snapshots[k].step;
    if (to <= from || static_cast<size_t>(to) * nets > r.losses.size()) continue;
    double sum = 0;
    for (int64_t t = from + 1; t <= to; ++t) sum += r.losses[static_cast<size_t>(t - 1) * nets + net];
    s.x.push_back(static_cast<double>(to));
    s.y.push_back(static_cast<float>(sum / static_cast<double>(to - from)));
  }
  return s;
}

// "baseline diverged at step N" as a marker, when it did.
void add_divergence(const FigureRun& r, FigurePanel* p) {
  for (size_t n = 0; n < r.cfg.networks.size(); ++n) {
    const int64_t at = r.snapshots.back().networks[n].diverged_at;
    if (at < 0) continue;
    FigureSeries m;
    m.kind = FigureSeries::Marker;
    m.network = r.cfg.networks[n].name;
    m.name = "diverged_at";
    m.label = m.network + " diverged at step " + std::to_string(at);
    m.color = color_of(static_cast<int>(n));
    m.x = {static_cast<double>(at)};
    m.y = {kNaN};
    p->series.push_back(std::move(m));
  }
}

FigurePanel accuracy_panel(const FigureRun& r, const std::vector<int>& nets) {
  FigurePanel p;
  p.title = "Test accuracy";
  p.x_label = "training step";
  p.y_label = "test accuracy";
  p.legend = plot::Legend::BottomRight;
  for (int n : nets) p.series.push_back(test_accuracy(r, n));
  return p;
}

FigurePanel loss_panel(const FigureRun& r) {
  FigurePanel p;
  p.title = "Train loss";
  p.x_label = "training step";
  p.y_label = "cross-entropy (log scale)";
  p.y_log = true;
  p.x_min = 0;  // its first point is the first interval's end; the axis starts with the others'
  for (size_t n = 0; n < r.cfg.networks.size(); ++n) p.series.push_back(train_loss(r, static_cast<int>(n)));
  return p;
}

// The paper's Figure 1b/c: the 15th, 50th and 85th percentiles of the input to the typical unit of
// the last hidden layer, as three lines over a faint 15–85 band.
FigurePanel unit_panel(const FigureRun& r, int net) {
  FigurePanel p;
  const NetworkConfig& cfg = r.cfg.networks[net];
  const size_t last = cfg.model.hidden.size() - 1;
  p.x_label = "training step";
  p.y_label = std::string(to_string(cfg.model.activation)) + " input (unit " + std::to_string(r.cfg.stats.typical_unit) +
              ", layer " + std::to_string(last + 1) + ")";
  p.legend = plot::Legend::Off;
  auto pct = [&](int k) { return [last, k](const NetworkStats& n) { return n.layers[last].unit_pct[k]; }; };
  auto any = [](const NetworkStats& n) { return !n.layers.empty(); };
  FigureSeries lo = over_steps(r, net, "unit_p15", "##p15", color_of(net), pct(1), any);
  FigureSeries mid = over_steps(r, net, "unit_p50", "##p50", color_of(net), pct(2), any);
  FigureSeries hi = over_steps(r, net, "unit_p85", "##p85", color_of(net), pct(3), any);
  FigureSeries band = lo;
  band.kind = FigureSeries::Band;
  band.name = "unit_p15_p85";
  band.color = color_of(net, 0.16f);
  band.hi = hi.y;
  band.csv = false;  // its edges are the p15 and p85 lines
  mid.width = 1.5f;
  lo.width = hi.width = 0.8f;
  p.series = {std::move(band), std::move(lo), std::move(mid), std::move(hi)};
  return p;
}

// As in the paper's Figure 1a, an accuracy axis starts near the lowest value after step 0 (a
// multiple of 0.05 below it), shared by `panels`: the chance level at initialization would
// squeeze the differences between networks into a sliver.
void accuracy_axis_from_training(std::vector<FigurePanel*> panels) {
  float low = INFINITY;
  for (const FigurePanel* p : panels)
    for (const FigureSeries& s : p->series)
      if (s.kind == FigureSeries::Line)
        for (size_t i = 0; i < s.x.size(); ++i)
          if (s.x[i] > 0 && std::isfinite(s.y[i])) low = std::min(low, s.y[i]);
  if (!std::isfinite(low)) return;
  for (FigurePanel* p : panels) p->y_min = std::floor(low * 20 - 0.5) / 20;
}

// One y range for several unit panels, so their drift compares by eye (the paper's b and c).
void share_y(std::vector<FigurePanel*> panels) {
  double lo = INFINITY, hi = -INFINITY;
  for (FigurePanel* p : panels)
    for (const FigureSeries& s : p->series)
      for (float y : s.y)
        if (std::isfinite(y)) lo = std::min(lo, static_cast<double>(y)), hi = std::max(hi, static_cast<double>(y));
  if (!(hi > lo)) return;
  const double pad = 0.06 * (hi - lo);
  for (FigurePanel* p : panels) {
    p->y_min = lo - pad;
    p->y_max = hi + pad;
  }
}

std::string run_text(const FigureRun& r, const std::string& data) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s; batch %d, seed %llu, %lld steps", data.c_str(), r.cfg.batch,
                static_cast<unsigned long long>(r.cfg.seed), static_cast<long long>(r.snapshots.back().step));
  return buf;
}

void letter(Figure* f) {
  for (size_t i = 0; i < f->panels.size(); ++i) {
    FigurePanel& p = f->panels[i];
    p.id = panel_id(i);
    p.title = "(" + p.id + ") " + p.title;
  }
}

// [SECTION] paper-fig1

Figure paper_fig1(const FigureRun& r, const std::string& data) {
  int base = -1, bn = -1;
  for (size_t n = 0; n < r.cfg.networks.size(); ++n) {
    const auto& net = r.cfg.networks[n];
    if (base < 0 && !has_norm(net, Norm::Batch) && !has_norm(net, Norm::Layer)) base = static_cast<int>(n);
    if (bn < 0 && has_norm(net, Norm::Batch)) bn = static_cast<int>(n);
  }
  if (base < 0 || bn < 0)
    throw ConfigError("figure kind paper-fig1 needs one network without normalization and one with BN; this run has " +
                      std::to_string(r.cfg.networks.size()) + " network(s) (try --kind overview)");
  Figure f;
  f.kind = "paper-fig1";
  f.columns = 3;
  f.panels.push_back(accuracy_panel(r, {base, bn}));
  // The paper's "fewer steps" (core/speedup.h): where BN reached the baseline's final accuracy.
  const Speedup sp = speedup(test_accuracy_curve(r.snapshots, base), test_accuracy_curve(r.snapshots, bn), r.chance);
  std::string speedup_sentence;
  if (sp.at_chance) {
    char text[200];
    std::snprintf(text, sizeof text, " %s never beat chance (%.2f%%; answering the most frequent class: %.2f%%): no speed-up "
                  "to measure.", r.cfg.networks[base].name.c_str(), 100 * sp.target, 100 * r.chance.accuracy);
    speedup_sentence = text;
  } else if (sp.reached()) {
    char text[160];
    std::snprintf(text, sizeof text, "%.1f× fewer steps", sp.factor);
    FigureSeries m;
    m.kind = FigureSeries::Marker;
    m.network = r.cfg.networks[bn].name;
    m.name = "speedup_step";
    m.label = text;
    m.color = color_of(bn);
    m.x = {static_cast<double>(sp.step)};
    m.y = {kNaN};
    f.panels[0].series.push_back(std::move(m));
    std::snprintf(text, sizeof text, "%s reached %s's final test accuracy (%.4f, first at step %lld) at step %lld: %.1f× fewer steps",
                  r.cfg.networks[bn].name.c_str(), r.cfg.networks[base].name.c_str(), sp.target,
                  static_cast<long long>(sp.reference_step), static_cast<long long>(sp.step), sp.factor);
    speedup_sentence = std::string(" ") + text + " (the dashed line; accuracy as the mean of the last " +
                       std::to_string(kSpeedupWindow) + " evaluations).";
  }
  accuracy_axis_from_training({&f.panels[0]});
  f.panels.push_back(unit_panel(r, base));
  f.panels.back().title = "Without BN";
  f.panels.push_back(unit_panel(r, bn));
  f.panels.back().title = "With BN";
  share_y({&f.panels[1], &f.panels[2]});
  letter(&f);
  const auto& unit = r.cfg.networks[base];
  f.caption = "(a) Test accuracy of the MNIST network trained with and without Batch Normalization, vs. the number of "
              "training steps." + speedup_sentence + " (b, c) The input to a typical " +
              std::string(to_string(unit.model.activation)) + " of the last hidden layer over training, as its {15, 50, 85}th "
              "percentiles (lines; shaded between 15 and 85), on one scale. After Ioffe & Szegedy 2015, Figure 1, where "
              "the distribution drifts without BN and stays steady with it; " + run_text(r, data) + ".";
  return f;
}

// [SECTION] overview and lr-sweep

// Every network's test accuracy, then every network's train loss, each marking where a network
// diverged.
void add_accuracy_and_loss(const FigureRun& r, Figure* f) {
  std::vector<int> all(r.cfg.networks.size());
  for (size_t n = 0; n < all.size(); ++n) all[n] = static_cast<int>(n);
  f->panels.push_back(accuracy_panel(r, all));
  add_divergence(r, &f->panels.back());
  f->panels.push_back(loss_panel(r));
  add_divergence(r, &f->panels.back());
}

Figure overview(const FigureRun& r, const std::string& data) {
  const int nets = static_cast<int>(r.cfg.networks.size());
  Figure f;
  f.kind = "overview";
  f.columns = std::clamp(nets, 2, 4);
  add_accuracy_and_loss(r, &f);
  std::vector<FigurePanel*> units;
  for (int n = 0; n < nets; ++n) {
    f.panels.push_back(unit_panel(r, n));
    f.panels.back().title = r.cfg.networks[n].name + ": typical unit";
  }
  for (int n = 0; n < nets; ++n) units.push_back(&f.panels[2 + n]);
  share_y(units);
  letter(&f);
  f.caption = "Test accuracy, train loss (mean over each interval between snapshots), and each network's typical unit of the "
              "last hidden layer ({15, 50, 85}th percentiles of its input, on one scale). " + run_text(r, data) + ".";
  return f;
}

Figure lr_sweep(const FigureRun& r, const std::string& data) {
  Figure f;
  f.kind = "lr-sweep";
  f.columns = 2;
  add_accuracy_and_loss(r, &f);
  letter(&f);
  std::string list;
  for (const auto& n : r.cfg.networks) list += (list.empty() ? "" : "; ") + net_text(n);
  f.caption = "Learning rates: " + list + ". A network whose loss becomes NaN or infinite is stopped and marked. " +
              run_text(r, data) + ".";
  return f;
}

// [SECTION] generalization (lesson 14)

// Test and train accuracy of every network, and the gap between them: what a regularizer
// (dropout, BN's batch noise) should narrow.
Figure generalization(const FigureRun& r, const std::string& data) {
  const int nets = static_cast<int>(r.cfg.networks.size());
  Figure f;
  f.kind = "generalization";
  f.columns = 3;
  std::vector<int> all(nets);
  for (int n = 0; n < nets; ++n) all[n] = n;
  f.panels.push_back(accuracy_panel(r, all));
  add_divergence(r, &f.panels.back());
  FigurePanel train;
  train.title = "Train accuracy";
  train.x_label = "training step";
  train.y_label = "train accuracy";
  train.legend = plot::Legend::BottomRight;
  for (int n = 0; n < nets; ++n) train.series.push_back(train_accuracy(r, n));
  f.panels.push_back(std::move(train));
  accuracy_axis_from_training({&f.panels[0], &f.panels[1]});  // one scale: test beside train
  f.panels[0].y_max = f.panels[1].y_max = 1;
  FigurePanel gap;
  gap.title = "Generalization gap";
  gap.x_label = "training step";
  gap.y_label = "train − test accuracy";
  gap.legend = plot::Legend::BottomRight;  // the gaps open upwards, away from it
  for (int n = 0; n < nets; ++n)
    gap.series.push_back(over_steps(r, n, "gap", r.cfg.networks[n].name, color_of(n),
                                    [](const NetworkStats& s) { return s.train_acc - s.test_acc; },
                                    [](const NetworkStats& s) { return s.has_eval; }));
  f.panels.push_back(std::move(gap));
  letter(&f);
  std::string nets_text;
  for (const auto& n : r.cfg.networks) nets_text += (nets_text.empty() ? "" : "; ") + describe_network(n);
  char train_text[128];
  std::snprintf(train_text, sizeof train_text, "the first %d training examples",
                r.train_examples > 0 ? std::min(r.cfg.eval_train_size, r.train_examples) : r.cfg.eval_train_size);
  f.caption = "(a) Test accuracy and (b) train accuracy — on " + std::string(train_text) +
              ", in eval mode, at the same steps — and (c) the gap between them: " + nets_text + ". " + run_text(r, data) +
              ".";
  return f;
}

// [SECTION] saturation

Figure saturation(const FigureRun& r, const std::string& data) {
  const int nets = static_cast<int>(r.cfg.networks.size());
  Figure f;
  f.kind = "saturation";
  f.columns = std::min(nets, 3);
  double top = 0;
  for (int n = 0; n < nets; ++n) {
    const NetworkConfig& cfg = r.cfg.networks[n];
    FigurePanel p;
    p.title = cfg.name;
    p.x_label = "training step";
    p.y_label = "saturated (%)";
    const int layers = static_cast<int>(cfg.model.hidden.size());
    for (int l = 0; l < layers; ++l) {
      FigureSeries s = over_steps(
          r, n, "saturation_layer" + std::to_string(l + 1), "layer " + std::to_string(l + 1),
          // Layers shade from pale (first) to full (last) in the network's colour.
          paler(color_of(n), layers > 1 ? 0.5f * static_cast<float>(layers - 1 - l) / static_cast<float>(layers - 1) : 0.f),
          [l](const NetworkStats& s) { return l < static_cast<int>(s.layers.size()) ? 100 * s.layers[l].saturation : kNaN; },
          [](const NetworkStats& s) { return !s.layers.empty(); });
      for (float y : s.y)
        if (std::isfinite(y)) top = std::max(top, static_cast<double>(y));
      p.series.push_back(std::move(s));
    }
    add_divergence(r, &p);
    f.panels.push_back(std::move(p));
  }
  for (FigurePanel& p : f.panels) {
    p.y_min = 0;
    p.y_max = std::max(1.0, top * 1.08);
  }
  letter(&f);
  f.caption = std::string("Saturation per hidden layer over training, measured as the ") +
              saturation_definition(r.cfg.networks[0].model.activation) + ". " + run_text(r, data) + ".";
  return f;
}

// [SECTION] histograms

// The snapshots nearest to each requested step, in order, without repeats.
std::vector<size_t> pick_snapshots(const FigureRun& r, std::vector<int64_t> at) {
  const int64_t last = r.snapshots.back().step;
  if (at.empty()) at = {0, last / 20, last};
  std::vector<size_t> picked;
  for (int64_t want : at) {
    size_t best = 0;
    for (size_t k = 0; k < r.snapshots.size(); ++k)
      if (std::llabs(r.snapshots[k].step - want) < std::llabs(r.snapshots[best].step - want)) best = k;
    if (std::find(picked.begin(), picked.end(), best) == picked.end()) picked.push_back(best);
  }
  std::sort(picked.begin(), picked.end());
  return picked;
}

Figure histograms(const FigureRun& r, const FigureOptions& opt, const std::string& data) {
  const int nets = static_cast<int>(r.cfg.networks.size());
  const std::vector<size_t> picked = pick_snapshots(r, opt.at);
  size_t layers = 0;
  for (const auto& n : r.cfg.networks) layers = std::max(layers, n.model.hidden.size());
  Figure f;
  f.kind = "histograms";
  f.columns = nets;
  for (size_t l = 0; l < layers; ++l) {
    // The x range of the row: every bin any network occupies at a chosen step, and the saturating
    // thresholds (±4 for a sigmoid), so the row's panels line up and show where saturation starts.
    double lo = -5, hi = 5;
    for (int n = 0; n < nets; ++n)
      for (size_t k : picked) {
        const auto& ls = r.snapshots[k].networks[n].layers;
        if (l >= ls.size()) continue;
        const Histogram& h = ls[l].hist[kTapNonlinIn];
        const double w = (h.hi - h.lo) / static_cast<double>(h.counts.size());
        for (size_t b = 0; b < h.counts.size(); ++b)
          if (h.counts[b]) lo = std::min(lo, h.lo + w * b), hi = std::max(hi, h.lo + w * (b + 1));
      }
    const size_t first = f.panels.size();
    for (int n = 0; n < nets; ++n) {
      const NetworkConfig& cfg = r.cfg.networks[n];
      FigurePanel p;
      p.title = l < cfg.model.hidden.size() ? cfg.name + ", " + layer_label(cfg, static_cast<int>(l)) : cfg.name;
      p.x_label = "nonlinearity input";
      p.y_label = "share";
      p.x_is_step = false;
      double span[4];
      if (saturating_spans(cfg.model.activation, kTapNonlinIn, span)) {
        p.shades = {{std::max(span[0], lo), span[1]}, {span[2], std::min(span[3], hi)}};
        p.shade_label = "##saturates";  // said in the caption: the legend keeps to the steps
      }
      for (size_t i = 0; i < picked.size() && l < cfg.model.hidden.size(); ++i) {
        const StepStats& snap = r.snapshots[picked[i]];
        const Histogram& h = snap.networks[n].layers[l].hist[kTapNonlinIn];
        const std::vector<float> shares = histogram_shares(h);
        FigureSeries s;
        s.kind = FigureSeries::Histogram;
        s.network = cfg.name;
        s.name = "share@" + std::to_string(snap.step);
        s.label = "step " + step_text(snap.step);
        // The latest step in the network's colour, earlier ones paler.
        const float age = picked.size() > 1 ? static_cast<float>(picked.size() - 1 - i) / static_cast<float>(picked.size() - 1) : 0.f;
        s.color = paler(color_of(n), 0.7f * age);
        s.width = i + 1 == picked.size() ? 1.f : 0.8f;
        const double w = (h.hi - h.lo) / static_cast<double>(h.counts.size());
        for (size_t b = 0; b < h.counts.size(); ++b) {
          const double centre = h.lo + w * (b + 0.5);
          if (centre < lo || centre > hi) continue;
          s.x.push_back(centre);
          s.y.push_back(shares[b]);
        }
        p.series.push_back(std::move(s));
      }
      f.panels.push_back(std::move(p));
    }
    // One y range per row: the networks' peaks compare directly.
    double top = 0;
    for (size_t i = first; i < f.panels.size(); ++i)
      for (const auto& s : f.panels[i].series)
        for (float y : s.y) top = std::max(top, static_cast<double>(y));
    for (size_t i = first; i < f.panels.size(); ++i) {
      f.panels[i].y_min = 0;
      f.panels[i].y_max = std::max(1e-3, top * 1.08);
    }
  }
  letter(&f);
  f.caption = "The input to each layer's nonlinearity on " + std::to_string(r.cfg.stats.probe_size) +
              " fixed test examples, as the share of values in each bin (" +
              std::to_string(r.snapshots[0].networks[0].layers[0].hist[kTapNonlinIn].counts.size()) +
              " bins over [-10, 10]); the latest step is drawn in full colour, earlier ones paler; shaded where the activation "
              "saturates. " + run_text(r, data) + ".";
  return f;
}

// [SECTION] ics and landscape (Santurkar et al. 2018)

// One meter of network `net` at every measurement it was measured in (not after it diverged), as
// a line.
template <typename Value>
FigureSeries meter_series(const FigureRun& r, int net, const std::string& name, const std::string& label, ImU32 color,
                          Value value) {
  return line_over(r, r.landscape, net, name, label, color, value, [](const NetworkLandscape& n) { return n.measured; });
}

std::string meter_text(const FigureRun& r) {
  char buf[160];
  std::string grid;
  for (double m : r.cfg.landscape.multipliers) {
    std::snprintf(buf, sizeof buf, "%s%g", grid.empty() ? "" : ", ", m);
    grid += buf;
  }
  std::snprintf(buf, sizeof buf, "measured every %lld steps on the mini-batch of the next update; step sizes {%s} × lr",
                static_cast<long long>(r.cfg.landscape.every), grid.c_str());
  return buf;
}

void require_meters(const FigureRun& r, const std::string& kind) {
  if (r.landscape.empty())
    throw ConfigError("figure kind " + kind + " draws the meters, and this run measured none (landscape.every=" +
                      std::to_string(r.cfg.landscape.every) + "; use --set landscape.every=100)");
}

// After Santurkar et al.'s Figure 5: per layer, how much the gradient of W_i changes when the
// layers before it take this step's update — as ‖G − G′‖ (top row) and cos(G, G′) (bottom row).
Figure ics(const FigureRun& r, const std::string& data) {
  require_meters(r, "ics");
  const int nets = static_cast<int>(r.cfg.networks.size());
  size_t layers = 0;
  for (const auto& m : r.landscape)
    for (const auto& n : m.networks) layers = std::max(layers, n.ics.size());
  Figure f;
  f.kind = "ics";
  f.columns = std::max(1, static_cast<int>(layers) - 1);
  for (int row = 0; row < 2; ++row)
    for (size_t l = 1; l < layers; ++l) {  // layer 1 has no layer before it: G′ = G
      FigurePanel p;
      const std::string layer = l + 1 == layers ? "output layer" : "layer " + std::to_string(l + 1);
      p.title = (row == 0 ? "‖G − G′‖, " : "cos(G, G′), ") + layer;
      p.x_label = "training step";
      p.y_label = row == 0 ? "ℓ2 difference (log scale)" : "cosine";
      p.y_log = row == 0;
      p.legend = row == 0 ? plot::Legend::TopRight : plot::Legend::BottomRight;
      for (int n = 0; n < nets; ++n)
        p.series.push_back(meter_series(r, n, (row == 0 ? "ics_l2_layer" : "ics_cos_layer") + std::to_string(l + 1),
                                        r.cfg.networks[n].name, color_of(n), [l, row](const NetworkLandscape& x) {
                                          return l < x.ics.size() ? (row == 0 ? x.ics[l].l2 : x.ics[l].cos) : kNaN;
                                        }));
      f.panels.push_back(std::move(p));
    }
  letter(&f);
  f.caption = "Internal covariate shift as Santurkar et al. 2018 define it (Definition 2.1): G is the gradient of layer i's "
              "weights, G′ the same gradient after the layers before i took this step's update (the network's own, "
              "momentum included), same mini-batch. Larger ‖G − G′‖ and smaller cosine mean more shift. " +
              meter_text(r) + "; " + run_text(r, data) + ".";
  return f;
}

// A band between two meters, with its edges as lines (the CSV lists the edges).
void add_meter_band(const FigureRun& r, int net, const std::string& what, float (NetworkLandscape::*lo)() const,
                    float (NetworkLandscape::*hi)() const, FigurePanel* p) {
  const std::string& name = r.cfg.networks[net].name;
  FigureSeries low = meter_series(r, net, what + "_min", "##" + what + "_min", color_of(net),
                                  [lo](const NetworkLandscape& n) { return (n.*lo)(); });
  FigureSeries high = meter_series(r, net, what + "_max", name, color_of(net),
                                   [hi](const NetworkLandscape& n) { return (n.*hi)(); });
  FigureSeries band = low;
  band.kind = FigureSeries::Band;
  band.name = what + "_band";
  band.label = "##" + what + "_band";
  band.color = color_of(net, 0.25f);
  band.hi = high.y;
  band.csv = false;
  low.width = high.width = 0.8f;
  p->series.insert(p->series.begin(), std::move(band));
  p->series.push_back(std::move(low));
  p->series.push_back(std::move(high));
}

// After Santurkar et al.'s Figure 4: along the gradient, over the step-size grid.
Figure landscape(const FigureRun& r, const std::string& data) {
  require_meters(r, "landscape");
  const int nets = static_cast<int>(r.cfg.networks.size());
  Figure f;
  f.kind = "landscape";
  f.columns = 3;
  FigurePanel loss, grad, beta;
  loss.title = "Loss landscape";
  loss.y_label = "L(θ − ηg), min to max over η (log)";
  grad.title = "Gradient predictiveness";
  grad.y_label = "‖∇L(θ) − ∇L(θ − ηg)‖ over η (log)";
  beta.title = "Effective β-smoothness";
  beta.y_label = "max over η of ‖Δ∇L‖ / ‖ηg‖ (log)";
  for (FigurePanel* p : {&loss, &grad, &beta}) {
    p->x_label = "training step";
    p->y_log = true;
  }
  for (int n = 0; n < nets; ++n) {
    add_meter_band(r, n, "loss", &NetworkLandscape::loss_min, &NetworkLandscape::loss_max, &loss);
    add_meter_band(r, n, "gradpred", &NetworkLandscape::gradpred_min, &NetworkLandscape::gradpred_max, &grad);
    beta.series.push_back(meter_series(r, n, "beta_smooth", r.cfg.networks[n].name, color_of(n),
                                       [](const NetworkLandscape& x) { return x.beta_smooth; }));
  }
  f.panels = {std::move(loss), std::move(grad), std::move(beta)};
  letter(&f);
  f.caption = "The landscape along the gradient g of the mini-batch loss, after Santurkar et al. 2018, Figure 4: (a) the "
              "range of the loss over step sizes η and (b) of the gradient's change — narrower means a smoother, more "
              "predictable landscape; (c) the largest gradient change per unit of step, smaller meaning smoother. " +
              meter_text(r) + "; " + run_text(r, data) + ".";
  return f;
}

}  // namespace

// [SECTION] Dispatch

Figure build_figure(const std::string& kind, const FigureRun& run, const FigureOptions& opt) {
  check_figure_kind(kind);
  if (run.snapshots.empty() || run.cfg.networks.empty() || run.snapshots[0].networks.size() != run.cfg.networks.size())
    throw ConfigError("the run has no snapshots to draw a figure from");
  const std::string data = run.data.empty() ? std::string(to_string(run.cfg.data.kind)) : run.data;
  if (kind == "paper-fig1") return paper_fig1(run, data);
  if (kind == "histograms") return histograms(run, opt, data);
  if (kind == "saturation") return saturation(run, data);
  if (kind == "lr-sweep") return lr_sweep(run, data);
  if (kind == "generalization") return generalization(run, data);
  if (kind == "ics") return ics(run, data);
  if (kind == "landscape") return landscape(run, data);
  return overview(run, data);
}

}  // namespace bnlab
