// panel_common.h — what several panels draw the same way: series as lines and bands, divergence
// marks, grids of plots, the saturating regions of an activation.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "core/format.h"
#include "core/lab_session.h"
#include "ui/lab_view.h"
#include "ui/plot.h"

namespace bnlab {

// Network `net`'s colour: the one its history keeps for the network's life (NetworkHistory::
// color), so removing a network recolours no other. Until the history has the network (the
// frame after it was added), the colour of its index.
ImU32 network_color(const LabState& s, int net, const ViewOptions& v, float alpha = 1.f);


// `text` as a tooltip, wrapped, while the last item is hovered (disabled or not): what a control
// does.
void tip(const char* text);

// Continues the line after the last item when one `width` pixels wide still fits there
// (`spacing` apart; negative: the style's), else lets the next item start a new line: a row of
// controls or names wraps instead of running past the window's edge.
void same_line_if_fits(float width, float spacing = -1);
// The width of a radio button or checkbox labelled `label`.
float toggle_width(const char* label);

// The size of one cell in a grid of `cols` × `rows` plots filling the space left in the window.
ImVec2 grid_cell(int cols, int rows, float min_height);
// Every network's hidden layers as a grid of plots, rows layers and columns networks, wrapped into
// balanced groups of networks where the width cannot hold every short title. Plot (n, l) is titled "<network>, <layer label>
// <suffix>" (short: the short label and `short_suffix`); draw(n, l, spec, cell) sets the rest of
// `spec` and draws it. A network with fewer layers leaves its cells empty.
void network_layer_grid(const LabState& s, float min_height, const std::string& suffix, const std::string& short_suffix,
                        const std::function<void(int n, int l, plot::Spec& spec, ImVec2 cell)>& draw);

// A series' bucket means as a line.
void plot_series(const char* label, const Series& s, ImU32 color, float width);
// The band between two series measured together (same x), e.g. the 15th and 85th percentiles.
void plot_series_band(const char* label, const Series& lo, const Series& hi, ImU32 color);
// The paper's Figure 1b/c bands from the 2/15/50/85/98th percentile series: 15–85 shaded, 2–98
// faint, the median as a line; the legend names them once.
void plot_percentile_bands(const std::array<Series, 5>& pct, ImU32 color, const ViewOptions& v);
// The y range of each network's percentile plot of `layer` (or its typical unit), padded around
// the 2nd–98th percentiles: one range for all, so that drift compares by eye; or, where the view
// asks for it — or on YScale::Auto where the widest network's range is over kOwnScaleRatio times
// the narrowest's (lesson 2: ±50 without BN, ±3 with, and BN's band a flat line on the shared
// scale) — each network its own. (networks) pairs (lo, hi), plot::kAuto before any data.
struct PercentileRanges {
  std::vector<std::pair<double, double>> y;  // (networks) the range of each network's plot
  bool shared = true;
};
constexpr double kOwnScaleRatio = 10;
PercentileRanges percentile_ranges(const LabState& s, int layer, bool unit, YScale mode);
// The YScale choice as a small combo ("y scale: auto ▾"), with its tooltip.
void y_scale_combo(ViewOptions& v);
// A snapshot's histogram as bars of the share of values per bin; `shares` receives the bar
// heights and must live until EndPlot.
// Networks side by side: this one takes slot `slot` of `slots` in every bin.
void plot_histogram(const char* label, const Histogram& h, ImU32 color, std::vector<float>* shares, int slot, int slots);
// A step outline of a snapshot's histogram (share of values per bin), for overlaying networks in
// small plots where side-by-side bars would be thinner than a pixel; `xs` and `shares` receive the
// outline's points and must live until EndPlot.
void plot_histogram_outline(const char* label, const Histogram& h, ImU32 color, float width, std::vector<double>* xs,
                            std::vector<float>* shares);
// One line naming every network in its colour ("■ baseline  ■ bn"), followed by `note` in the
// dimmed text colour: the legend of a grid of small plots, which then need none of their own.
void network_legend_row(const LabState& s, const ViewOptions& v, const char* note = "");
// A tap's name for people: "nonlinearity input", not core's "nonlin_in".
const char* tap_label(int tap);
// The activation's saturating regions shaded on a histogram of `tap`, labelled "saturates".
void plot_saturating_regions(Activation act, int tap);
// On a plot over steps: what the user changed while training (RunEvent: a thin line in the
// network's colour, "bn: lr 0.003"; grey for the whole run, "batch 30") and "baseline diverged
// at step N" (dashed) — for every network, or only network `only` and the run's (a plot of one
// network's values).
void plot_event_markers(const LabState& s, const ViewOptions& v, int only = -1);
// The same as one line of text, for plots of one moment (histograms, per-unit values); empty
// when the network is healthy.
std::string divergence_note(const LabState& s, int net);

// Where `act` saturates on `tap`'s axis, as two spans (lo0, hi0) and (lo1, hi1); false when it
// never does (ReLU, linear, or the pre-normalization tap, whose scale is arbitrary). Matches
// saturation_definition() in core/stats.h.
bool saturating_spans(Activation act, int tap, double span[4]);

// The layer's label: "layer 2 of 3 (100 sigmoid, BN)"; short, for narrow plots: "layer 2, BN".
std::string layer_label(const NetworkConfig& n, int layer);
std::string layer_label_short(const NetworkConfig& n, int layer);

}  // namespace bnlab
