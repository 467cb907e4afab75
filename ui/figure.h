// figure.h — lecture figures from a finished run: the paper's Figure 1 and friends, as PNG and CSV.
//
// [SECTION] Kinds
// [SECTION] The figure model (what is plotted is what the CSV holds)
// [SECTION] Building, writing, drawing
//
// A figure is built in two steps. build_figure turns a run's snapshots into a Figure: panels of
// series with their x and y values, plain data with no ImGui in it. figure_csv writes exactly
// those values, and draw_figure plots exactly those values with the plot module in a light
// "paper" theme; so the CSV beside a PNG is the data of the PNG. render_figure draws it offscreen
// (ui/offscreen.h) at any scale. The kinds live in ui/figure_kinds.cpp, one function each.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <imgui.h>

#include "core/config.h"
#include "core/landscape.h"
#include "core/speedup.h"
#include "core/stats.h"
#include "ui/offscreen.h"
#include "ui/plot.h"

namespace bnlab {

// [SECTION] Kinds

struct FigureKindInfo {
  const char* name;  // "paper-fig1"
  const char* what;  // one line for `bnlab figure --list`
};
const std::vector<FigureKindInfo>& figure_kinds();
// Throws ConfigError naming the kinds when `name` is none of them.
void check_figure_kind(const std::string& name);
// The preset's own figure: paper-fig1 for paper-fig1, else its lesson's figure (core/lessons.h),
// else "overview".
std::string default_figure_kind(const std::string& preset);

// [SECTION] The figure model (what is plotted is what the CSV holds)

// One series: one CSV block (figure, panel, network, series, x, value) and one plot item.
struct FigureSeries {
  enum Kind {
    Line,       // y over x
    Band,       // a fill between y (low) and hi; drawn under the lines
    Histogram,  // shares per bin as a step outline: x holds the bins' centres, equally spaced
    Marker,     // a dashed vertical line at x[0] with `label` as its caption (divergence)
  } kind = Line;
  std::string network;  // the network it belongs to; empty when none
  std::string name;     // the CSV's series column: "test_acc", "unit_p50", "share@1000"
  std::string label;    // legend label; "##…" keeps it out of the legend
  ImU32 color = IM_COL32(0, 0, 0, 255);
  float width = 1;      // line width, × the figure's base width
  bool csv = true;      // false: drawn from values another series already lists (a band's edges)
  std::vector<double> x;   // (points)
  std::vector<float> y;    // (points)
  std::vector<float> hi;   // Band: (points) upper edge
};

struct FigurePanel {
  std::string id;     // the CSV's panel column and the letter shown: "a"
  std::string title;  // "(a) Test accuracy"
  std::string x_label, y_label;
  bool y_log = false, x_is_step = true;
  double x_min = plot::kAuto;                        // e.g. 0 for a loss whose first point is later
  double y_min = plot::kAuto, y_max = plot::kAuto;  // shared ranges between panels (b, c)
  plot::Legend legend = plot::Legend::TopRight;
  std::vector<std::pair<double, double>> shades;  // x spans shaded as "saturates" (histograms)
  std::string shade_label;
  std::vector<FigureSeries> series;
};

struct Figure {
  std::string kind;   // the CSV's figure column
  int columns = 1;    // panels per row
  std::vector<FigurePanel> panels;
  std::string caption;  // below the panels, as under a figure in a paper
};

// A finished run, as `bnlab figure` trained it.
struct FigureRun {
  RunConfig cfg;
  std::vector<StepStats> snapshots;  // every logged step, in order
  std::vector<float> losses;         // (steps, networks): every step's mini-batch loss
  std::vector<LandscapeStats> landscape;  // the meters' measurements (core/landscape.h), in order
  std::string data;                  // the data in a few words, for captions ("MNIST, 8000 train / …")
  Chance chance;                     // of the test set, for the speed-up (core/speedup.h)
  int train_examples = 0;            // the training set's size (train accuracy's subset is at most this); 0: unknown
};

struct FigureOptions {
  std::vector<int64_t> at;  // histograms: the steps to show (the nearest snapshot of each); empty = default
};

// [SECTION] Building, writing, drawing

// Throws ConfigError for an unknown kind or a run the kind cannot show (e.g. no snapshots).
Figure build_figure(const std::string& kind, const FigureRun& run, const FigureOptions& opt);

// figure,panel,network,series,x,value — one row per plotted value, numbers as "%.7g" (as
// `bnlab run` writes them), NaN as an empty field. Same figure, same bytes.
std::string figure_csv(const Figure& fig);

// Draws the figure filling the current ImGui display: panels in a grid, caption below. The font
// size follows the figure's logical size (readable on a slide at 1600×900). Light theme.
void draw_figure(const Figure& fig);

// Where a panel's data area landed in the image, in image pixels.
struct PanelRect {
  std::string id, title;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
// Renders the figure offscreen at (width·scale)×(height·scale); rects receives each panel's data
// area. Needs a current GL context; throws OffscreenError as render_offscreen does.
Image render_figure(const Figure& fig, int width, int height, int scale, std::vector<PanelRect>* rects);

}  // namespace bnlab
