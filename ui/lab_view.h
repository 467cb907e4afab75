// lab_view.h — the live lab's window contents: view options, panels, shortcuts, theme and fonts.
//
// [SECTION] View options (everything the UI owns)
// [SECTION] Fonts and theme
// [SECTION] Drawing a frame
// [SECTION] Panels (one file each: ui/panel_*.cpp)
//
// The UI reads the LabSession's published state every frame and sends it commands; the only state
// it keeps is ViewOptions. Nothing here touches the window system: the app (app/gui.cpp) owns the
// GLFW window and applies the requests ViewOptions carries (fullscreen).
#pragma once

#include <string>
#include <vector>

#include <imgui.h>
#include <nlohmann/json.hpp>

#include "core/lab_session.h"
#include "ui/panel_export.h"
#include "ui/png_export.h"

namespace bnlab {

// [SECTION] View options (everything the UI owns)

// New tabs go at the end: view.json keeps the tab by its index.
enum class LabTab : int { Figure1, Percentiles, Histograms, OverTime, Health, Affine, WhyBn, BnStrip, Count };
// Short names: `bnlab --tab NAME` and saved file names.
constexpr const char* kTabIds[] = {"figure1", "percentiles", "histograms", "over-time", "health", "affine", "why-bn",
                                   "one-batch"};
static_assert(sizeof kTabIds / sizeof kTabIds[0] == static_cast<size_t>(LabTab::Count), "one name per tab");
// The tab a short name names (kTabIds; --tab, a lesson's "tab"); −1 for none.
int tab_from_id(const std::string& id);

// The tab bar's trailing buttons (ui/panel_export.cpp, ui/png_export.cpp); Save PNG's short form
// where the bar is narrow (ViewOptions::compact_tabs).
constexpr const char* kExportLabel = "Export ▾";
constexpr const char* kSavePngLabel = "Save PNG ▾";
constexpr const char* kSavePngShortLabel = "PNG ▾";

// The percentile plots' y axes (ui/panel_common.h, percentile_ranges).
enum class YScale : int { Auto, Shared, Own };

struct ViewOptions {
  bool dark = false;          // false: the light high-contrast theme (projectors)
  bool presentation = false;  // large text and thicker lines for a room
  int font_size = 2;          // index into kFontSizes; while font_auto, the app sets it for the window
  bool font_auto = true;      // the text size follows the window's height (auto_font_size) until + or − is pressed
  bool show_controls = true;  // H
  bool show_help = false;     // F1 or ?
  bool fullscreen = false;    // F; the app applies it
  LabTab tab = LabTab::Figure1;
  bool select_tab = true;     // not persisted: make `tab` the tab bar's selection on the next frame it is drawn
  int selected_net = 0;       // B toggles BN on this network
  bool unit_percentiles = false;  // Percentiles tab: the typical unit instead of the whole layer
  YScale y_scale = YScale::Auto;  // Percentiles and Figure 1 tabs: the percentile plots' y axes
  int heatmap_tap = 1;        // Over time tab: which tap (Tap)
  int strip_layer = -1;       // One batch tab: the hidden layer shown; −1 (or past the last): the last
  float loss_smoothing = 0.9f;  // exponential smoothing of the train loss, 0 = raw only
  bool early_phase = false;   // Figure 1 tab: x axis over the first kEarlyPhaseSteps, not the whole run
  bool train_accuracy = false;  // Figure 1 tab: train accuracy (pale) beside test accuracy
  bool show_lesson = true;    // not persisted: a lesson opens with its text shown
  float lesson_height = 0;    // not persisted: the lesson text's box as last drawn
  bool keep_lesson_height = false;  // not persisted: draw the box at lesson_height (Save PNG's copy)
  // not persisted: a network name being typed that is not valid (shown with name_problem until
  // corrected) — network name_edit_net's field shows name_edit instead of the run's name.
  int name_edit_net = -1;
  std::string name_edit, name_problem;
  // not persisted: the keys pressed since the last frame, in order (the app queues the window's
  // key events, so that a tap shorter than a frame still acts, exactly once); handle_shortcuts
  // consumes them. `repeat`: the key is held down and the system repeats it.
  struct KeyPress {
    int key;
    bool repeat;
    bool ctrl = false;  // Control was held (Ctrl+Z)
  };
  std::vector<KeyPress> key_presses;
  bool escape = false;        // not persisted: Escape was pressed this frame (closes the open popup)
  // not persisted: the button whose popup is open, set each frame it is drawn; a click on it
  // closes the popup, and the app does not pass that click on (app/gui.cpp).
  struct Rect {
    ImVec2 min{0, 0}, max{0, 0};
  } popup_button;
  // not persisted: where this frame put its tabs and tab-bar buttons (by label), for
  // `--plot-rects` (tests drive the window with them); rebuilt by every draw_lab.
  std::vector<std::pair<std::string, Rect>> frame_items;
  bool compact_tabs = false;  // not persisted: this frame's tab bar shows the short names (it is narrow)
  ExportState exports;        // not persisted: the Export menu (ui/panel_export.h)
  PngExport png;              // not persisted: the Save PNG menu (ui/png_export.h)
};

nlohmann::json to_json(const ViewOptions& v);
// Missing or malformed keys keep their defaults (a hand-edited file never stops the app).
ViewOptions view_options_from_json(const nlohmann::json& j);

// [SECTION] Fonts and theme

// Font pixel sizes loaded into the atlas; + and − step through them, presentation adds two.
constexpr float kFontSizes[] = {13, 16, 19, 23, 28, 34, 42};
constexpr int kFontSizeCount = static_cast<int>(sizeof kFontSizes / sizeof kFontSizes[0]);
constexpr const char* kFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";  // fonts-dejavu-core

// The text size (an index into kFontSizes) for a window `height` logical pixels tall: about 47
// lines of text whatever the size — 16 px at 720 and 768, 19 px at 900, 23 px at 1080, 28 px at
// 1440 — so that a projected 1080p window is as readable from the back of a room as a 900p one.
int auto_font_size(float height);

// Loads DejaVu Sans at every size (× dpi_scale for HiDPI) with the Greek and math glyphs the
// labels use (γ β σ μ ε − ≤ …). Returns an empty string, or a message saying why ImGui's built-in
// bitmap font is used instead (the font package is missing).
std::string load_fonts(ImFontAtlas* atlas, float dpi_scale);
// The font, colours and sizes for `v` (call before ImGui::NewFrame).
void apply_view(const ViewOptions& v, float dpi_scale);
// Each network's colour, the same in every view; readable on the current theme.
ImU32 network_color(int net, const ViewOptions& v, float alpha = 1.f);
// Lines are thicker in presentation mode.
float line_width(const ViewOptions& v);
// The side panel's font: the chosen text size without presentation mode's step up — the presenter
// reads the controls from close by, and at presentation size they took half a 1280-pixel screen.
ImFont* controls_font(const ViewOptions& v);

// [SECTION] Drawing a frame

// The whole window: controls on the left, views on the right, help on top. Call between
// ImGui::NewFrame and ImGui::Render, after plot::NewFrame.
void draw_lab(LabSession& lab, ViewOptions& v);
// Keyboard shortcuts (Space S R B F + − H F1 ? Page Down/Up) from v.key_presses, which it
// empties; ignored while a text field has focus, except Escape, which closes a popup.
void handle_shortcuts(LabSession& lab, ViewOptions& v);

// GLFW's key codes: the GLFW backend indexes io.KeysDown with them. The app checks they match.
namespace keys {
constexpr int kSpace = 32, kB = 66, kF = 70, kH = 72, kR = 82, kS = 83, kZ = 90, kF1 = 290;
constexpr int kPageUp = 266, kPageDown = 267;  // what a presenter's remote sends
constexpr int kEscape = 256;
}

// [SECTION] Panels (one file each: ui/panel_*.cpp)

void panel_controls(LabSession& lab, const LabState& s, ViewOptions& v);
void panel_figure1(const LabState& s, const ViewOptions& v);
// The Figure 1 tab's top row, drawn above panel_figure1: the x-axis choice (whole run / early
// phase) and the networks' names in their colours (the legend of every plot below).
void figure1_toolbar(const LabState& s, ViewOptions& v);
// The toolbar's speed-up readout (core/speedup.h): one line naming the networks that reached the
// first network's final test accuracy in fewer steps, and when, then one for each network that
// has not beaten chance while another has ("none has not beaten chance (…): no speed-up to
// measure").
// What a pinned γ (or β, `beta`) slider shows for a network's units: the pinned value while every
// normalized unit holds it, else — after Undo BN (γ = σ, β = μ per unit) or a per-layer setting —
// the units' mean, marked as such (not uniform).
struct PinnedValue {
  double value;
  bool uniform;
};
PinnedValue pinned_value(const std::vector<UnitParams>& units, double pin, bool beta);

struct ReadoutLine {
  std::string text, tip;  // the line, and its tooltip
};
std::vector<ReadoutLine> speedup_readout(const LabState& s);
void panel_percentiles(const LabState& s, ViewOptions& v);
void panel_histograms(const LabState& s, const ViewOptions& v);
void panel_over_time(const LabState& s, const ViewOptions& v);
void panel_health(const LabState& s, const ViewOptions& v);
void panel_affine(const LabState& s, const ViewOptions& v);
// One mini-batch through BN at the typical unit of the chosen layer, per network (core/stats.h
// BatchStrip): x with μ ± σ, x̂, γx̂ + β as rows of dots joined per example.
void panel_bn_strip(const LabState& s, ViewOptions& v);
// "Why BN works": Santurkar et al.'s landscape and ICS meters, with their frequency control.
void panel_why_bn(LabSession& lab, const LabState& s, const ViewOptions& v);
void panel_help(ViewOptions& v);
// The open lesson's text with previous/next and a picker above the views; only the picker when
// the open preset is not a lesson (ui/panel_lesson.cpp).
void panel_lesson(LabSession& lab, ViewOptions& v);
// Opens the next (+1) or previous (−1) lesson, on the tab its text starts from; from a preset
// that is not a lesson, +1 opens lesson 1. Nothing at either end.
void step_lesson(LabSession& lab, ViewOptions& v, int direction);
// The "Export ▾" button at the end of the tab bar (data, session, recording) and "● REC" while
// recording; call inside the tab bar.
void panel_export(LabSession& lab, const LabState& s, ViewOptions& v);

}  // namespace bnlab
