// plot.h — a small plotting module drawn on ImDrawList (ImPlot is not packaged in Debian).
//
// [SECTION] Context and the plot's description
// [SECTION] Begin/End
// [SECTION] Items
//
// Usage, as with ImGui windows — items go between a BeginPlot that returned true and EndPlot:
//
//   plot::Spec spec{"Test accuracy", "step", "accuracy"};
//   if (plot::BeginPlot("##acc", spec, size)) {
//     plot::PlotLine("bn", xs, ys, n, colour);
//     plot::EndPlot();
//   }
//
// Items are recorded, not drawn, until EndPlot: axes that fit their data are then known before
// anything is drawn, so a plot is right in its first frame. Data pointers must stay valid until
// EndPlot. Techniques (ideas only, no code) from ImPlot: "nice" ticks of 1, 2, 5 × 10^k; items
// clipped to the plot rectangle; one legend entry per label, so a band and a line of the same
// network share it; a hover readout found by binary search on x; and lines reduced to one
// min/max segment per pixel column, so a million points cost what a plot's width costs.
// Labels starting with "##" stay out of the legend and the readout.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <imgui.h>

namespace bnlab::plot {

constexpr double kAuto = std::numeric_limits<double>::quiet_NaN();

// [SECTION] Context and the plot's description

// What the last frames drew, for tests and the screenshot test.
struct PlotRecord {
  std::string title;
  ImVec2 min, max;  // the data area in screen pixels
  int items = 0;
  bool has_data = false;  // at least one finite value was drawn
  ImVec2 frame_min, frame_max;  // the whole widget (title, ticks, axis labels) in screen pixels
  std::vector<std::string> cut;  // texts drawn cut short, ending in "…": a title wider than the plot even in its short form
  std::vector<ImVec4> captions;  // the markers' caption boxes as drawn, (x0, y0, x1, y1) in screen pixels
};
struct HoverValue {
  std::string label;
  double value = 0, value_hi = 0;  // bands: lo and hi
  bool band = false;
};
struct Hover {
  bool active = false;  // the mouse is over a plot's data area
  std::string plot;     // its title
  double x = 0, y = 0;  // the mouse in data coordinates
  // The x of the samples the values are read at (the first line's or band's nearest sample: a
  // logged step, a unit's index), which the readout names; the mouse's x when there is none.
  double sample_x = 0;
  std::vector<HoverValue> values;  // per item under the cursor's x
};

enum class Legend { TopRight, TopLeft, BottomRight, Off };

struct Spec {
  const char* title = "";
  const char* title_short = "";  // said instead where the title does not fit the plot's width
  const char* x_label = "";
  const char* y_label = "";
  const char* y_label_short = "";  // said instead where y_label does not fit the plot's height ("input")
  bool y_log = false;                  // log10 axis; values ≤ 0 are left out
  double x_min = kAuto, x_max = kAuto; // kAuto: fit the data
  double y_min = kAuto, y_max = kAuto;
  Legend legend = Legend::TopRight;
  bool x_is_step = true;               // x tick labels as 20k, 1.5M
  // A categorical y axis: ticks at y = 0, 1, …, y_tick_count − 1 named by these labels (rows of
  // dots, e.g. a BN strip's stages) instead of numbers; set y_min/y_max to frame them.
  const char* const* y_tick_labels = nullptr;
  int y_tick_count = 0;
};

// One recorded item (internal to the module; kept here so the context owns them by value).
struct Item {
  enum Kind { Line, Band, Bars, Heatmap, Marker, Shade, Message, Dots, Segments } kind = Line;
  std::string label;
  ImU32 color = 0;
  float thickness = 2.f;
  const double* xs = nullptr;
  const float* ys = nullptr;   // Line: values; Band: lo; Bars, Heatmap: values
  const float* hi = nullptr;   // Band: hi
  int count = 0;               // points, bars, or heatmap columns
  int rows = 0;                // Heatmap: cells per column; Bars: this series' slot
  double a = 0, b = 0;         // Bars: x0, width; Heatmap: y0, y1; Marker: x; Shade: x0, x1
  float vmax = 1;              // Heatmap: the value of a full colour; Bars: number of slots
  int dash_of = 0, dash_slot = 0;  // Line: identical to dash_of − 1 others; drawn in dash slot dash_slot
  const ImU32* colors = nullptr;   // Dots: (count) per dot; Segments: (count / 2) per segment; null: `color`
};

struct Context {
  // Per frame (cleared by NewFrame): every plot drawn, in order.
  std::vector<PlotRecord> frame_plots;
  Hover hover;  // the readout of the last hovered plot this frame
  // The plot right-clicked this frame (an index into frame_plots), −1 for none: the app offers to
  // save that plot (ui/png_export.h).
  int clicked_plot = -1;

  // The plot being built between BeginPlot and EndPlot.
  Spec spec;
  ImVec2 frame_min, frame_max;  // the whole widget
  bool hovered = false;
  std::vector<Item> items;
  std::vector<ImVec2> scratch;  // pixel points, reused between items
};

Context* CreateContext();
void DestroyContext(Context* ctx);
void SetCurrentContext(Context* ctx);
Context* GetCurrentContext();
// Starts a frame's records; call after ImGui::NewFrame.
void NewFrame();

// `text` when it is at most `max_width` pixels wide in the current font, else its longest start
// (whole UTF-8 characters) that fits with "…" after it.
std::string FitText(const char* text, float max_width);

// [SECTION] Begin/End

// Returns false when the plot is scrolled out of view (then do not call EndPlot).
bool BeginPlot(const char* id, const Spec& spec, ImVec2 size);
void EndPlot();

// [SECTION] Items

void PlotLine(const char* label, const double* xs, const float* ys, int count, ImU32 color, float thickness = 2.f);
// A filled band between lo and hi (percentile bands, min/max envelopes).
void PlotBand(const char* label, const double* xs, const float* lo, const float* hi, int count, ImU32 color);
// Bars of equal width: bar i covers [x0 + i·width, x0 + (i+1)·width) up to heights[i]. Several
// series side by side: each takes one of `slots` equal parts of every bin (grouped bars).
void PlotBars(const char* label, double x0, double width, const float* heights, int count, ImU32 color, int slot = 0,
              int slots = 1);
// A heatmap of columns: column c is centred at xs[c] and holds `rows` cells covering [y0, y1)
// from the bottom; values (cols, rows) row-major; colours from transparent to `color` as the value
// goes from 0 to vmax (square-root scale, so sparse tails stay visible).
void PlotHeatmap(const char* label, const float* values, int cols, int rows, const double* xs, double y0, double y1,
                 ImU32 color, float vmax);
// A vertical marker with a caption (e.g. "diverged at step N"): dashed at thickness 2 and above,
// a thin solid line below (the user's edits). Captions of markers close together stack in up to
// kCaptionRows rows from the top or from the bottom, wherever they hide the fewest points of the
// plot's lines; one with no room, or wider than the plot, is left out.
void PlotMarkerX(const char* caption, double x, ImU32 color, float thickness = 2.f);
constexpr int kCaptionRows = 3;
// Dots at (xs[i], ys[i]) of radius `radius` pixels, each in colors[i] (null: all in `color`), in
// any order: one dot per example.
void PlotDots(const char* label, const double* xs, const float* ys, int count, ImU32 color, float radius,
              const ImU32* colors = nullptr);
// Straight segments from point 2k to point 2k + 1 (count points, in any order), segment k in
// colors[k] (null: all in `color`): links between dots, ticks, whiskers.
void PlotSegments(const char* label, const double* xs, const float* ys, int count, ImU32 color, float thickness,
                  const ImU32* colors = nullptr);
// A shaded span of x (e.g. where a sigmoid saturates); `label` goes in the legend.
void PlotShadeX(const char* label, double x0, double x1, ImU32 color);
// A message centred in the plot (e.g. "waiting for the first snapshot").
void PlotMessage(const char* text);

// Nice tick positions covering [lo, hi] with about `target` intervals: 1, 2 or 5 × 10^k apart.
std::vector<double> NiceTicks(double lo, double hi, int target);
// A tick label; steps as "20k", "1.5M".
std::string FormatTick(double v, double spacing, bool is_step);

}  // namespace bnlab::plot
